package resources

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// seidInitState is the signing state the fake `seid init` writes, as tendermint writes it.
const seidInitState = "{\n  \"height\": \"0\",\n  \"round\": 0,\n  \"step\": 0\n}"

// signedState is a state a validator that signed at height h leaves, as tendermint writes it.
func signedState(h string) string {
	return "{\n  \"height\": \"" + h + "\",\n  \"round\": 0,\n  \"step\": 3,\n  \"signature\": \"c2ln\",\n  \"signbytes\": \"0A0B\"\n}"
}

func floorState(h string) string { return `{"height":"` + h + `","round":0,"step":0}` + "\n" }

const (
	stateFile     = "data/priv_validator_state.json"
	unvouchedPath = "data/" + UnvouchedFile
)

// keyFromSecret is the consensus key in the signing Secret, as the agent mints it (seid's format);
// anotherKey is some other validator's.
var (
	keyFromSecret = string(testKey(1).JSON())
	anotherKey    = string(testKey(2).JSON())
)

// testKey is a consensus key made from a fixed seed.
func testKey(seed byte) seikeys.ConsensusKey {
	k, err := seikeys.ConsensusKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		panic(err)
	}
	return k
}

// reformatted is key as other tooling may write it (a re-created Secret, say): compact, the fields in
// another order, the address in lower case. It is the same key.
func reformatted(key string) string {
	var f struct {
		Address string `json:"address"`
		PubKey  struct {
			Type, Value string
		} `json:"pub_key"`
		PrivKey struct {
			Type, Value string
		} `json:"priv_key"`
	}
	if err := json.Unmarshal([]byte(key), &f); err != nil {
		panic(err)
	}
	return fmt.Sprintf(`{"priv_key":{"value":%q,"type":%q},"pub_key":{"value":%q,"type":%q},"address":%q}`,
		f.PrivKey.Value, f.PrivKey.Type, f.PubKey.Value, f.PubKey.Type, strings.ToLower(f.Address))
}

// TestInitScriptSigningState runs seid-init against a validator's volume in every state it can find
// it in, with and without a floor, and checks the signing state it leaves and whether it marks the
// state as one the volume cannot vouch for.
func TestInitScriptSigningState(t *testing.T) {
	for _, tc := range []struct {
		name string
		// volume prepares the home before seid-init runs; nil is a fresh volume.
		volume func(e *scriptEnv)
		floor  string // SEI_SIGNING_STATE_FLOOR; "" leaves it unset
		// wantState is the state file afterwards; wantUnvouched the marker's content ("" for none).
		wantState, wantUnvouched string
	}{
		{name: "fresh volume, no floor: written at 0, unvouched as a new key here",
			wantState: floorState("0"), wantUnvouched: "0\n"},
		{name: "fresh volume, floor: raised to the floor", floor: "1234",
			wantState: floorState("1234"), wantUnvouched: "1234\n"},
		{name: "own volume above the floor: untouched, vouched", volume: ownVolume(signedState("5000")), floor: "1234",
			wantState: signedState("5000")},
		{name: "own volume at the floor: untouched, vouched", volume: ownVolume(signedState("1234")), floor: "1234",
			wantState: signedState("1234")},
		{name: "own volume, no floor: untouched, vouched", volume: ownVolume(signedState("7")),
			wantState: signedState("7")},
		{name: "own volume below the floor, signed elsewhere since: raised", volume: ownVolume(signedState("1000")), floor: "1234",
			wantState: floorState("1234"), wantUnvouched: "1234\n"},
		{name: "own key, state file lost, no floor: written at 0", volume: ownVolume(""),
			wantState: floorState("0"), wantUnvouched: "0\n"},
		{name: "own key, state file lost: written at the floor", volume: ownVolume(""), floor: "77",
			wantState: floorState("77"), wantUnvouched: "77\n"},
		{name: "another key's state above the floor: its height kept without its signature, unvouched", floor: "100",
			volume:    volumeWith(anotherKey, signedState("9000")),
			wantState: floorState("9000"), wantUnvouched: "9000\n"},
		{name: "another key's state below the floor: raised, unvouched", floor: "100",
			volume:    volumeWith(anotherKey, signedState("10")),
			wantState: floorState("100"), wantUnvouched: "100\n"},
		{name: "the Secret's key written differently: the same key, its state untouched, vouched", floor: "1234",
			volume:    volumeWith(reformatted(keyFromSecret), signedState("5000")),
			wantState: signedState("5000")},
		{name: "the same address with another public key counts as another key", floor: "100",
			volume: volumeWith(strings.Replace(keyFromSecret, testKey(1).PubKeyBase64(), testKey(2).PubKeyBase64(), 1),
				signedState("9000")),
			wantState: floorState("9000"), wantUnvouched: "9000\n"},
		{name: "a key with no readable address counts as another key", floor: "100",
			volume:    volumeWith(`{"priv_key":{"type":"tendermint/PrivKeyEd25519","value":"eA=="}}`, signedState("9000")),
			wantState: floorState("9000"), wantUnvouched: "9000\n"},
		{name: "a key that is no JSON counts as another key", floor: "100",
			volume:    volumeWith("garbage\n", signedState("9000")),
			wantState: floorState("9000"), wantUnvouched: "9000\n"},
		{name: "heights are decimal, not octal", volume: ownVolume(signedState("010")), floor: "0009",
			wantState: signedState("010")},
		{name: "compact JSON is read too", volume: ownVolume(`{"height":"1300","round":1,"step":2}`), floor: "1234",
			wantState: `{"height":"1300","round":1,"step":2}`},
		{name: "an earlier unvouched start stays unvouched until the key signs here", floor: "1234",
			volume: func(e *scriptEnv) {
				ownVolume(floorState("1234"))(e)
				e.write("home/"+unvouchedPath, "1234\n", 0o600)
			},
			wantState: floorState("1234"), wantUnvouched: "1234\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			e := newScriptEnv(t)
			if tc.volume != nil {
				tc.volume(e)
			}
			var env []string
			if tc.floor != "" {
				env = append(env, "SEI_SIGNING_STATE_FLOOR="+tc.floor)
			}
			out, err := e.runInit("validator", "", env...)
			g.Expect(err).NotTo(HaveOccurred(), out)
			g.Expect(e.read("config/priv_validator_key.json")).To(Equal(keyFromSecret))
			g.Expect(e.read(stateFile)).To(Equal(tc.wantState))
			if tc.wantUnvouched == "" {
				g.Expect(e.read(unvouchedPath)).To(ContainSubstring("no such file"), "the volume vouches for the state")
			} else {
				g.Expect(e.read(unvouchedPath)).To(Equal(tc.wantUnvouched))
			}
			info, err := os.Stat(filepath.Join(e.home, stateFile))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)), "written under umask 077")
			tmps, _ := filepath.Glob(filepath.Join(e.home, "data", "*.tmp"))
			g.Expect(tmps).To(BeEmpty(), "written atomically: nothing half-written is left")
		})
	}
}

// TestInitScriptSurvivesACrashAfterAnyRename kills seid-init right after each of its renames in turn (a
// fake mv on PATH renames, then SIGKILLs the script), runs it again, and expects the volume exactly as
// one uninterrupted run leaves it, and seid's start to arm the double-sign check exactly as it would
// then. Every rename is a point where the pod can die (OOM, node loss): a key installed or a state
// raised without the unvouched mark would be vouched for by the next run, and the check never armed.
func TestInitScriptSurvivesACrashAfterAnyRename(t *testing.T) {
	realMv, err := exec.LookPath("mv")
	if err != nil {
		t.Skipf("mv not available: %v", err)
	}
	for _, tc := range []struct {
		name   string
		volume func(e *scriptEnv)
		floor  string
	}{
		{name: "fresh volume", floor: "1234"},
		{name: "own volume below the floor", volume: ownVolume(signedState("1000")), floor: "1234"},
		{name: "another key's state above the floor", volume: volumeWith(anotherKey, signedState("9000")), floor: "100"},
		{name: "own volume above the floor", volume: ownVolume(signedState("5000")), floor: "1234"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			env := func(more ...string) []string {
				return append([]string{"SEI_SIGNING_STATE_FLOOR=" + tc.floor, "SEI_DOUBLE_SIGN_CHECK_HEIGHT=10"}, more...)
			}
			prepare := func() *scriptEnv {
				e := newScriptEnv(t)
				if tc.volume != nil {
					tc.volume(e)
				}
				return e
			}
			// afterwards is what a volume holds once seid-init ran, and the flags seid then starts with.
			afterwards := func(e *scriptEnv) []string {
				out := e.runStart(g, env()...)
				raw, err := os.ReadFile(e.log)
				g.Expect(err).NotTo(HaveOccurred(), out)
				key := e.read("config/priv_validator_key.json")
				if key == keyFromSecret {
					key = "<the Secret's key>"
				}
				return []string{"key " + key, "state " + e.read(stateFile),
					"mark " + strings.ReplaceAll(e.read(unvouchedPath), e.home, "<home>"),
					"seid" + strings.TrimPrefix(string(raw), "start --home "+e.home)}
			}

			ref := prepare()
			out, err := ref.runInit("validator", "", env()...)
			g.Expect(err).NotTo(HaveOccurred(), out)
			want := afterwards(ref)

			for n := 1; ; n++ {
				e := prepare()
				e.write("bin/mv", "#!/bin/bash\n"+realMv+" \"$@\" || exit\nn=0\n"+
					"[ ! -f "+e.root+"/renames ] || read -r n < "+e.root+"/renames\n"+
					"echo $((n + 1)) > "+e.root+"/renames\n"+
					"[ $((n + 1)) != \"${CRASH_AFTER_RENAME}\" ] || kill -KILL $PPID\n", 0o755)
				out, err := e.runInit("validator", "", env("CRASH_AFTER_RENAME="+strconv.Itoa(n))...)
				if err == nil {
					g.Expect(n).To(BeNumerically(">", 1), "the script renames something")
					break // fewer than n renames: every crash point was tried
				}
				var exit *exec.ExitError
				g.Expect(errors.As(err, &exit)).To(BeTrue(), out)
				g.Expect(exit.ExitCode()).To(Equal(-1), "killed after rename %d: %s", n, out)

				out, err = e.runInit("validator", "", env("CRASH_AFTER_RENAME=0")...)
				g.Expect(err).NotTo(HaveOccurred(), out)
				g.Expect(afterwards(e)).To(Equal(want), "seid-init killed after rename %d, then run again", n)
			}
		})
	}
}

// TestInitScriptRefusesAnUnknownSigningState: a state file without a readable height, or a floor that
// is not a height, fails the pod (ExitSigningState) and leaves the state as it was.
func TestInitScriptRefusesAnUnknownSigningState(t *testing.T) {
	for _, tc := range []struct {
		name, state, floor, want string
	}{
		{name: "garbage state", state: "garbage", want: "has no readable height"},
		{name: "height not a string", state: `{"height":1234,"round":0,"step":0}`, want: "has no readable height"},
		{name: "negative floor", state: signedState("5"), floor: "-1", want: "floor -1 is not a height"},
		{name: "floor not a number", state: signedState("5"), floor: "12a", want: "floor 12a is not a height"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			e := newScriptEnv(t)
			ownVolume(tc.state)(e)
			var env []string
			if tc.floor != "" {
				env = append(env, "SEI_SIGNING_STATE_FLOOR="+tc.floor)
			}
			out, err := e.runInit("validator", "", env...)
			var exit *exec.ExitError
			g.Expect(errors.As(err, &exit)).To(BeTrue(), out)
			g.Expect(exit.ExitCode()).To(Equal(ExitSigningState))
			g.Expect(out).To(ContainSubstring(tc.want))
			g.Expect(e.read(stateFile)).To(Equal(tc.state), "the state is left as it was")
		})
	}
}

// TestInitScriptRefusesASecretKeyItCannotRead: without the address and public key of the Secret's key
// seid-init cannot tell whose state is on the volume. Taking it for another key on every start would
// strip this key's own signature each time (a state at its height, round 0, no signature, lets the key
// sign that height again), so it refuses (ExitSigningState) and touches nothing. The agent refuses
// such a Secret before the pod exists (agent/tasks ensure-identity); this is the script's own guard.
func TestInitScriptRefusesASecretKeyItCannotRead(t *testing.T) {
	g := NewWithT(t)
	e := newScriptEnv(t)
	ownVolume(signedState("5000"))(e)
	e.write(strings.TrimPrefix(mountSigningKey, "/")+"/"+SecretKeySigningKey, "not a key\n", 0o400)
	out, err := e.runInit("validator", "")
	var exit *exec.ExitError
	g.Expect(errors.As(err, &exit)).To(BeTrue(), out)
	g.Expect(exit.ExitCode()).To(Equal(ExitSigningState))
	g.Expect(out).To(ContainSubstring("has no readable address and pub_key"))
	g.Expect(e.read("config/priv_validator_key.json")).To(Equal(keyFromSecret), "the key on the volume is left as it was")
	g.Expect(e.read(stateFile)).To(Equal(signedState("5000")), "the state is left as it was")
	g.Expect(e.read(unvouchedPath)).To(ContainSubstring("no such file"))
}

func TestInitScriptLeavesAFullNodesStateAlone(t *testing.T) {
	g := NewWithT(t)
	e := newScriptEnv(t)
	out, err := e.runInit("full", "", "SEI_SIGNING_STATE_FLOOR=99")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(e.read(stateFile)).To(Equal(seidInitState))
	g.Expect(e.read(unvouchedPath)).To(ContainSubstring("no such file"))
}

// TestStartScriptArmsTheDoubleSignCheck: seid starts with the double-sign check exactly while the
// volume cannot vouch for the signing state, and the mark goes once the key signed above it.
func TestStartScriptArmsTheDoubleSignCheck(t *testing.T) {
	for _, tc := range []struct {
		name             string
		state, unvouched string // "" for no file
		check            string // SEI_DOUBLE_SIGN_CHECK_HEIGHT; "" leaves it unset
		wantArgs         string // after "start --home <home>"
		wantMarkKept     bool
	}{
		{name: "vouched: no check", state: signedState("500"), check: "10"},
		{name: "unvouched, not signed since: armed", state: floorState("1234"), unvouched: "1234\n", check: "10",
			wantArgs: " --consensus.double-sign-check-height 10", wantMarkKept: true},
		{name: "unvouched, signed at the marked height: disarmed", state: signedState("1234"), unvouched: "1234\n", check: "25"},
		{name: "unvouched, at the marked height unsigned: armed", state: floorState("1234"), unvouched: "1234\n", check: "25",
			wantArgs: " --consensus.double-sign-check-height 25", wantMarkKept: true},
		{name: "unvouched, signed below the mark: armed", state: signedState("1233"), unvouched: "1234\n", check: "10",
			wantArgs: " --consensus.double-sign-check-height 10", wantMarkKept: true},
		{name: "signed above the mark: disarmed for good", state: signedState("1235"), unvouched: "1234\n", check: "10"},
		{name: "check turned off: no flag, mark kept", state: floorState("1234"), unvouched: "1234\n", check: "0", wantMarkKept: true},
		{name: "check unset: no flag", state: floorState("1234"), unvouched: "1234\n", wantMarkKept: true},
		{name: "state unreadable: armed", state: "garbage", unvouched: "1234\n", check: "10",
			wantArgs: " --consensus.double-sign-check-height 10", wantMarkKept: true},
		{name: "mark and state unreadable: armed, mark kept", state: "garbage", unvouched: "\n", check: "10",
			wantArgs: " --consensus.double-sign-check-height 10", wantMarkKept: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			e := newScriptEnv(t)
			if tc.state != "" {
				e.write("home/"+stateFile, tc.state, 0o600)
			}
			if tc.unvouched != "" {
				e.write("home/"+unvouchedPath, tc.unvouched, 0o600)
			}
			var env []string
			if tc.check != "" {
				env = append(env, "SEI_DOUBLE_SIGN_CHECK_HEIGHT="+tc.check)
			}
			out := e.runStart(g, env...)
			raw, err := os.ReadFile(e.log)
			g.Expect(err).NotTo(HaveOccurred(), out)
			g.Expect(string(raw)).To(Equal("start --home " + e.home + tc.wantArgs + "\n"))
			if tc.wantMarkKept {
				g.Expect(e.read(unvouchedPath)).To(Equal(tc.unvouched))
			} else {
				g.Expect(e.read(unvouchedPath)).To(ContainSubstring("no such file"))
			}
		})
	}
}

// TestStartScriptRewritesAnUnreadableMark: a mark that cannot be read (empty after a power loss, as
// nothing is synced) is written again just above the state's height. That start is armed, and the
// key's next signature above that height disarms it; kept as it was, it armed every start and the
// validator's own recent signatures would refuse seid for ever.
func TestStartScriptRewritesAnUnreadableMark(t *testing.T) {
	for _, mark := range []string{"", "\n", "garbage\n", "12a\n"} {
		t.Run(strconv.Quote(mark), func(t *testing.T) {
			g := NewWithT(t)
			e := newScriptEnv(t)
			e.write("home/"+stateFile, signedState("1234"), 0o600)
			e.write("home/"+unvouchedPath, mark, 0o600)
			armed := "start --home " + e.home + " --consensus.double-sign-check-height 10\n"

			out := e.runStart(g, "SEI_DOUBLE_SIGN_CHECK_HEIGHT=10")
			g.Expect(e.read("../seid.log")).To(Equal(armed), out)
			g.Expect(e.read(unvouchedPath)).To(Equal("1235\n"), "written again above the state's height")
			tmps, _ := filepath.Glob(filepath.Join(e.home, "data", "*.tmp"))
			g.Expect(tmps).To(BeEmpty(), "written atomically")

			out = e.runStart(g, "SEI_DOUBLE_SIGN_CHECK_HEIGHT=10")
			g.Expect(e.read("../seid.log")).To(Equal(armed), "no new signature yet: still armed\n%s", out)

			e.write("home/"+stateFile, signedState("1235"), 0o600) // seid signed the next height
			out = e.runStart(g, "SEI_DOUBLE_SIGN_CHECK_HEIGHT=10")
			g.Expect(e.read("../seid.log")).To(Equal("start --home "+e.home+"\n"), "signed above it: disarmed\n%s", out)
			g.Expect(e.read(unvouchedPath)).To(ContainSubstring("no such file"))
		})
	}
}

// runStart runs startScript against a sidecar that releases seid at once, and returns its output.
func (e *scriptEnv) runStart(g Gomega, env ...string) string {
	out, err := e.start(env...)
	g.Expect(err).NotTo(HaveOccurred(), out)
	return out
}

// ownVolume is a volume this validator ran on: seid initialised, its key from the Secret installed,
// and the given signing state ("" for none).
func ownVolume(state string) func(e *scriptEnv) { return volumeWith(keyFromSecret, state) }

// volumeWith is an initialised volume holding key as the consensus key and state ("" for none).
func volumeWith(key, state string) func(e *scriptEnv) {
	return func(e *scriptEnv) {
		for _, f := range []string{"config.toml", "app.toml", "genesis.json", "node_key.json"} {
			e.write("home/config/"+f, "generated\n", 0o600)
		}
		e.write("home/config/priv_validator_key.json", key, 0o600)
		if state != "" {
			e.write("home/"+stateFile, state, 0o600)
		} else {
			e.write("home/data/.keep", "", 0o600)
		}
	}
}

// TestSigningEnvironment: validators get the floor (seid-init) and the double-sign check's look-back
// (seid), from the configuration or the node's override; other nodes get neither.
func TestSigningEnvironment(t *testing.T) {
	withCheck := func(n int64) *config.Config {
		c := devConfig()
		c.Signing.DoubleSignCheckHeight = &n
		return c
	}
	for _, tc := range []struct {
		name            string
		node            *seiv1alpha1.SeiNode
		cfg             *config.Config
		floor, lookBack string // "" for absent
	}{
		{name: "full node", node: newNode("rpc-0").Build(), cfg: devConfig()},
		{name: "validator, defaults", node: newNode("val-0").MintedValidator().Build(), cfg: devConfig(), floor: "0", lookBack: "10"},
		{name: "validator, floor and configured look-back", cfg: withCheck(30), floor: "123456", lookBack: "30",
			node: newNode("val-0").MintedValidator().With(func(n *seiv1alpha1.SeiNode) { n.Spec.Validator.SigningStateFloor = 123456 }).Build()},
		{name: "validator, the node's override wins", cfg: withCheck(30), floor: "0", lookBack: "0",
			node: newNode("val-0").MintedValidator().With(func(n *seiv1alpha1.SeiNode) {
				n.Spec.Overrides = map[string]string{overrideDoubleSignCheckHeight: "0"}
			}).Build()},
		{name: "validator, an override that is no number is ignored here", cfg: withCheck(30), floor: "0", lookBack: "30",
			node: newNode("val-0").MintedValidator().With(func(n *seiv1alpha1.SeiNode) {
				n.Spec.Overrides = map[string]string{overrideDoubleSignCheckHeight: "many"}
			}).Build()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			sts, err := BuildStatefulSet(tc.node, tc.cfg)
			g.Expect(err).NotTo(HaveOccurred())
			for container, kv := range map[string][2]string{
				ContainerSeidInit: {envSigningStateFloor, tc.floor},
				ContainerSeid:     {envDoubleSignCheckHeight, tc.lookBack},
			} {
				c, err := containerByName(&sts.Spec.Template.Spec, container)
				g.Expect(err).NotTo(HaveOccurred())
				if kv[1] == "" {
					g.Expect(envMap(c)).NotTo(HaveKey(kv[0]))
				} else {
					g.Expect(envMap(c)).To(HaveKeyWithValue(kv[0], kv[1]), container)
				}
			}
		})
	}
}
