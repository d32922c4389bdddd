package resources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
)

// scriptTimeout bounds each script run, so a gate that never opens fails the test instead of hanging it.
const scriptTimeout = 20 * time.Second

// fakeSeid stands in for seid: `init` writes what seid init writes (marking each file "generated",
// but the signing state as tendermint writes it) and logs the call; `start` records its arguments.
const fakeSeid = `#!/bin/bash
set -eu
home=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = --home ]; then home="${args[$((i + 1))]}"; fi
done
case "$1" in
init)
  echo "$*" >> "${FAKE_LOG}"
  mkdir -p "${home}/config" "${home}/data"
  for f in config.toml app.toml genesis.json node_key.json priv_validator_key.json; do
    echo generated > "${home}/config/${f}"
  done
  [ -f "${home}/data/priv_validator_state.json" ] || printf '{\n  "height": "0",\n  "round": 0,\n  "step": 0\n}' > "${home}/data/priv_validator_state.json"
  ;;
start) echo "$*" > "${FAKE_LOG}" ;;
esac
`

// scriptEnv is a sandbox for the pod scripts: a fake seid and sleep on PATH, the mounts under root.
type scriptEnv struct {
	t          *testing.T
	root, home string
	log        string
	path       string
}

func newScriptEnv(t *testing.T) *scriptEnv {
	t.Helper()
	for _, tool := range []string{"bash", "sha256sum", "cp", "mv", "chmod"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not available: %v", tool, err)
		}
	}
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	e := &scriptEnv{t: t, root: root, home: filepath.Join(root, "home"), log: filepath.Join(root, "seid.log"),
		path: bin + ":" + os.Getenv("PATH")}
	e.write("bin/seid", fakeSeid, 0o755)
	e.write("bin/sleep", "#!/bin/sh\nexit 0\n", 0o755)
	e.write(strings.TrimPrefix(mountNodeKey, "/")+"/"+SecretKeyNodeKey, "node-key-from-secret\n", 0o400)
	e.write(strings.TrimPrefix(mountSigningKey, "/")+"/"+SecretKeySigningKey, keyFromSecret, 0o400)
	return e
}

func (e *scriptEnv) write(rel, content string, mode os.FileMode) {
	e.t.Helper()
	path := filepath.Join(e.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		e.t.Fatal(err)
	}
}

func (e *scriptEnv) read(rel string) string {
	raw, err := os.ReadFile(filepath.Join(e.home, rel))
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(raw)
}

// runInit runs initScript with the mounts moved under the sandbox root, and env added to its
// environment.
func (e *scriptEnv) runInit(mode, genesisSHA string, env ...string) (string, error) {
	script := strings.ReplaceAll(initScript, "/etc/sei/", e.root+"/etc/sei/")
	ctx, cancel := context.WithTimeout(e.t.Context(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Env = []string{"PATH=" + e.path, "FAKE_LOG=" + e.log, "SEI_HOME=" + e.home, "SEI_CHAIN_ID=test-1",
		"SEI_MODE=" + mode, "SEI_MONIKER=node-0"}
	if genesisSHA != "" {
		cmd.Env = append(cmd.Env, "SEI_GENESIS_SHA256="+genesisSHA)
	}
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (e *scriptEnv) initCalls() []string {
	raw, _ := os.ReadFile(e.log)
	return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(raw)), " ", "_"))
}

func TestInitScriptReferencesTheMounts(t *testing.T) {
	g := NewWithT(t)
	for _, path := range []string{mountNodeKey + "/" + SecretKeyNodeKey, mountSigningKey + "/" + SecretKeySigningKey, mountGenesis + "/" + ConfigMapKeyGenesis} {
		g.Expect(initScript).To(ContainSubstring(path))
	}
}

func TestInitScriptFullNode(t *testing.T) {
	g := NewWithT(t)
	e := newScriptEnv(t)
	out, err := e.runInit("full", "")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(e.initCalls()).To(Equal([]string{"init_node-0_--chain-id_test-1_--mode_full_--home_" + e.home + "_--overwrite"}))
	g.Expect(e.read("config/node_key.json")).To(Equal("node-key-from-secret\n"))
	g.Expect(e.read("config/priv_validator_key.json")).To(Equal("generated\n"), "a full node's consensus key is not touched")
	g.Expect(e.read("config/genesis.json")).To(Equal("generated\n"))
	info, err := os.Stat(filepath.Join(e.home, "config", "node_key.json"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))

	// A second start does not init again and leaves no temporary files.
	out, err = e.runInit("full", "")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(e.initCalls()).To(HaveLen(1))
	tmps, _ := filepath.Glob(filepath.Join(e.home, "config", "*.tmp"))
	g.Expect(tmps).To(BeEmpty())
}

func TestInitScriptRedoesAnInterruptedInit(t *testing.T) {
	g := NewWithT(t)
	e := newScriptEnv(t)
	e.write("home/config/config.toml", "half\n", 0o600) // seid init died before writing app.toml
	out, err := e.runInit("full", "")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(e.initCalls()).To(HaveLen(1))
	g.Expect(e.read("config/app.toml")).To(Equal("generated\n"))
}

func TestInitScriptGenesis(t *testing.T) {
	g := NewWithT(t)
	e := newScriptEnv(t)
	genesis := `{"chain_id":"test-1"}` + "\n"
	sum := sha256.Sum256([]byte(genesis))
	e.write(strings.TrimPrefix(mountGenesis, "/")+"/"+ConfigMapKeyGenesis, genesis, 0o644)

	wrong := strings.Repeat("0", 64)
	out, err := e.runInit("full", wrong)
	g.Expect(err).To(HaveOccurred(), "a genesis with another hash fails the pod")
	g.Expect(out).To(ContainSubstring("does not have sha256 " + wrong))
	g.Expect(e.read("config/genesis.json")).To(Equal("generated\n"), "the unverified genesis is not installed")
	g.Expect(e.read("config/genesis.json.tmp")).To(ContainSubstring("no such file"))

	out, err = e.runInit("full", hex.EncodeToString(sum[:]))
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(e.read("config/genesis.json")).To(Equal(genesis))
}

func TestInitScriptFailsWithoutTheNodeKey(t *testing.T) {
	g := NewWithT(t)
	e := newScriptEnv(t)
	g.Expect(os.Remove(filepath.Join(e.root, mountNodeKey, SecretKeyNodeKey))).To(Succeed())
	_, err := e.runInit("full", "")
	g.Expect(err).To(HaveOccurred())
}

// TestStartScriptWaitsForRelease serves 503 from /v0/healthz twice, then 200, and expects seid to be
// started exactly then, with the home directory.
func TestStartScriptWaitsForRelease(t *testing.T) {
	g := NewWithT(t)
	e := newScriptEnv(t)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v0/healthz" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	g.Expect(err).NotTo(HaveOccurred())

	ctx, cancel := context.WithTimeout(t.Context(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", startScript)
	cmd.Env = []string{"PATH=" + e.path, "FAKE_LOG=" + e.log, "SEI_HOME=" + e.home, "SEI_SIDECAR_PORT=" + port}
	out, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	g.Expect(calls.Load()).To(Equal(int32(3)))
	raw, err := os.ReadFile(e.log)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(Equal("start --home " + e.home + "\n"))
}

func TestStartScriptWaitsWhileNothingListens(t *testing.T) {
	g := NewWithT(t)
	e := newScriptEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	port := l.Addr().(*net.TCPAddr).Port
	g.Expect(l.Close()).To(Succeed())

	// With nothing listening the gate must keep waiting; a counting sleep stops it after a few rounds.
	e.write("bin/sleep", "#!/bin/bash\necho x >> \""+e.root+"/sleeps\"\n[ $(wc -l < \""+e.root+"/sleeps\") -lt 3 ] || kill $PPID\n", 0o755)
	ctx, cancel := context.WithTimeout(t.Context(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", startScript)
	cmd.Env = []string{"PATH=" + e.path, "FAKE_LOG=" + e.log, "SEI_HOME=" + e.home, "SEI_SIDECAR_PORT=" + strconv.Itoa(port)}
	out, err := cmd.CombinedOutput()
	g.Expect(err).To(HaveOccurred(), string(out))
	_, err = os.Stat(e.log)
	g.Expect(os.IsNotExist(err)).To(BeTrue(), "seid must not start")
}

// start runs startScript against a sidecar that has released seid, with env added to the script's
// own, and returns its output.
func (e *scriptEnv) start(env ...string) (string, error) {
	e.t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(e.t.Context(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", startScript)
	cmd.Env = append([]string{"PATH=" + e.path, "FAKE_LOG=" + e.log, "SEI_HOME=" + e.home, "SEI_SIDECAR_PORT=" + port}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// startWithGenesis runs startScript with SEI_GENESIS_SHA256 set when genesisSHA is not empty.
func (e *scriptEnv) startWithGenesis(genesisSHA string) (string, error) {
	if genesisSHA == "" {
		return e.start()
	}
	return e.start("SEI_GENESIS_SHA256=" + genesisSHA)
}

// A restart of seid alone (the sidecar's restart-seid, a crash) does not run seid-init: the start
// script itself refuses a config/genesis.json that is not the one the node was given, with seid-init's
// exit code, and seid never starts on it.
func TestStartScriptChecksTheGenesisBeforeEveryStart(t *testing.T) {
	g := NewWithT(t)
	e := newScriptEnv(t)
	genesis := `{"chain_id":"test-1"}` + "\n"
	sum := sha256.Sum256([]byte(genesis))
	want := hex.EncodeToString(sum[:])
	e.write("home/config/genesis.json", genesis, 0o600)

	out, err := e.startWithGenesis(want)
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(e.read("../seid.log")).To(Equal("start --home " + e.home + "\n"))
	g.Expect(os.Remove(e.log)).To(Succeed())

	// The sidecar rewrote the genesis (configure-genesis from another bucket, say) and restarted seid.
	e.write("home/config/genesis.json", `{"chain_id":"other-1"}`+"\n", 0o600)
	out, err = e.startWithGenesis(want)
	var exit *exec.ExitError
	g.Expect(errors.As(err, &exit)).To(BeTrue(), "%v: %s", err, out)
	g.Expect(exit.ExitCode()).To(Equal(ExitGenesisMismatch))
	g.Expect(out).To(ContainSubstring("config/genesis.json does not have sha256 " + want + ": refusing to start seid"))
	_, err = os.Stat(e.log)
	g.Expect(os.IsNotExist(err)).To(BeTrue(), "seid must not start")

	// No genesis at all is a mismatch too.
	g.Expect(os.Remove(filepath.Join(e.home, "config", "genesis.json"))).To(Succeed())
	_, err = e.startWithGenesis(want)
	g.Expect(err).To(HaveOccurred())
	_, err = os.Stat(e.log)
	g.Expect(os.IsNotExist(err)).To(BeTrue(), "seid must not start")

	// A node without spec.genesis (the sidecar resolves a well-known chain's) is not checked.
	out, err = e.startWithGenesis("")
	g.Expect(err).NotTo(HaveOccurred(), out)
}

// TestScriptsExpandEmptyArraysPortably: under set -u, bash before 4.4 fails on "${a[@]}" when a is
// empty ("unbound variable"), and startScript's check is empty on every start the volume vouches for,
// so seid would never start there. Every array expansion must be the ${a[@]+"${a[@]}"} form. (bash 5
// cannot show the failure, also not with BASH_COMPAT, hence the check on the text; the vouched start
// itself runs in TestStartScriptWaitsForRelease and TestStartScriptArmsTheDoubleSignCheck.)
func TestScriptsExpandEmptyArraysPortably(t *testing.T) {
	g := NewWithT(t)
	expansion := regexp.MustCompile(`\$\{(\w+)\[[@*]\]\}`)
	for name, script := range map[string]string{"initScript": initScript, "startScript": startScript} {
		for _, m := range expansion.FindAllStringSubmatchIndex(script, -1) {
			array := script[m[2]:m[3]]
			guard := "${" + array + "[@]+\""
			portable := guard + script[m[0]:m[1]] + "\"}"
			start := m[0] - len(guard)
			g.Expect(start >= 0 && strings.HasPrefix(script[start:], portable)).To(BeTrue(),
				"%s expands %s; under set -u it must be %s", name, script[m[0]:m[1]], portable)
		}
	}
	g.Expect(startScript).To(ContainSubstring(`${check[@]+"${check[@]}"}`), "the check is expanded, portably")
}

// The seid container gets the expected hash exactly when the node has spec.genesis.
func TestSeidContainerCarriesTheGenesisHash(t *testing.T) {
	g := NewWithT(t)
	withGenesis := newNode("rpc-0").Genesis().Build()
	c := seidContainer(withGenesis, devConfig())
	g.Expect(c.Env).To(ContainElement(corev1.EnvVar{Name: envGenesisSHA256, Value: withGenesis.Spec.Genesis.SHA256}))
	c = seidContainer(newNode("rpc-1").Build(), devConfig())
	for _, v := range c.Env {
		g.Expect(v.Name).NotTo(Equal(envGenesisSHA256))
	}
}
