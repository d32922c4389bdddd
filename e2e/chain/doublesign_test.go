//go:build chain

package chain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/genesis"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// seidRefusal is what seid logs when its double-sign check finds the key's signature.
const seidRefusal = "found signature from the same key"

// TestDoubleSignCheckOnRealSeid runs a four-validator chain whose nodes start exactly as the agent's
// pods start them: seid-init's and seid's scripts and environment as resources.BuildStatefulSet
// renders them, with seid-init's mounts under a temporary root and the sidecar's part (listen
// addresses, peers, the release of seid's start gate) done by the test.
//
//   - A copy of validator B (its consensus key on a fresh volume, as a move or a lost volume makes
//     one) starts while B keeps signing: seid-init marks its state unvouched, seid starts with the
//     double-sign check (the default look-back, 10), finds B's signatures and exits; the copy never
//     signs. Its state, raised to a floor, is one seid loads.
//   - B itself restarts on its own volume. Its pod looks back 1000 blocks, so its own signatures are
//     surely within reach: forced on (seid started by hand on a copy of B's volume), the check
//     refuses B for its own signatures, which is what would keep a network restarting at once from
//     ever starting again. The pod's start does not arm it, since B's state shows it signed from this
//     volume, and B signs again.
func TestDoubleSignCheckOnRealSeid(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain; skipped with -short")
	}
	g := NewWithT(t)
	s := requireSeid(t)
	const chainID = "dsc-1"
	release := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer release.Close()
	_, sidecarPort, err := net.SplitHostPort(release.Listener.Addr().String())
	g.Expect(err).NotTo(HaveOccurred())

	// Four validators of equal power: the chain commits without any one of them, and each has the
	// two peers block sync needs to call itself caught up.
	names := []string{"val-a", "val-b", "val-c", "val-d"}
	const bLookBack = 1000
	vals := make([]validator, len(names))
	pods := make([]*pod, len(names))
	in := genesis.Input{ChainID: chainID, GenesisTime: time.Now().UTC()}
	for i := range names {
		p2p := freePort(t)
		vals[i] = mintValidator(t, i, chainID, p2p)
		in.Gentxs = append(in.Gentxs, vals[i].gentx)
		in.Accounts = append(in.Accounts, vals[i].account(false))
		pods[i] = &pod{name: names[i], p2p: p2p, rpc: freePort(t), sidecarPort: sidecarPort}
	}
	pods[1].lookBack = bLookBack
	res, err := genesis.Assemble(in)
	g.Expect(err).NotTo(HaveOccurred())
	peers := res.PersistentPeers()
	for i, p := range pods {
		p.prepare(t, s, chainID, res.Genesis, vals[i].cons.JSON(), vals[i].node.JSON(), 0)
		p.configure(t, peersBut(peers, vals[i].node.ID()))
		p.start(t)
		defer p.stop()
	}
	a, b := pods[0], pods[1]
	g.Expect(b.read(t, "data/"+resources.UnvouchedFile)).To(Equal("0\n"), "a new volume cannot vouch for its state")
	waitForHeight(t, a, 12, 180*time.Second, pods...)

	// A copy of B on a fresh volume, with a floor below the chain's height. It gets a node key of its
	// own: two peers with one node ID would keep it from syncing, which is not what is tested here.
	otherNode, err := seikeys.GenerateNodeKey(rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	cp := &pod{name: "val-b-copy", p2p: freePort(t), rpc: freePort(t), sidecarPort: sidecarPort}
	cp.prepare(t, s, chainID, res.Genesis, vals[1].cons.JSON(), otherNode.JSON(), 5)
	g.Expect(cp.read(t, "data/priv_validator_state.json")).To(Equal(`{"height":"5","round":0,"step":0}` + "\n"))
	g.Expect(cp.read(t, "data/"+resources.UnvouchedFile)).To(Equal("5\n"))
	cp.configure(t, peers)
	cp.start(t)
	defer cp.stop()
	exit := cp.waitExit(t, 180*time.Second)
	g.Expect(exit).To(HaveOccurred(), "the copy must not keep running: %s", tail(cp.log, 20))
	g.Expect(cp.read(t, "seid.log")).To(ContainSubstring("looks for this key in the last 10 blocks"))
	g.Expect(cp.read(t, "seid.log")).To(ContainSubstring(seidRefusal), tail(cp.log, 20))
	g.Expect(cp.read(t, "data/priv_validator_state.json")).To(Equal(`{"height":"5","round":0,"step":0}`+"\n"), "the copy never signed")
	before := latestHeight(t.Context(), a.rpcURL())
	waitForHeight(t, a, before+3, 60*time.Second, pods...)

	// B stops. Forced on, the check refuses it on (a copy of) its own volume for its own signatures.
	b.stop()
	stopped := signedHeight(t, b)
	forcedHome := filepath.Join(t.TempDir(), "home")
	g.Expect(exec.Command("cp", "-a", b.home, forcedHome).Run()).To(Succeed())
	forced := exec.Command(s.Path, "start", "--home", forcedHome, "--consensus.double-sign-check-height", strconv.Itoa(bLookBack))
	out, err := runBounded(forced, 180*time.Second)
	g.Expect(err).To(HaveOccurred(), "seid with the check forced on must refuse: %s", lastLines(out, 20))
	g.Expect(out).To(ContainSubstring(seidRefusal), lastLines(out, 20))

	// The pod's restart (seid-init again, then the start script) does not arm it, and B signs again.
	b.prepare(t, s, chainID, res.Genesis, vals[1].cons.JSON(), vals[1].node.JSON(), 0)
	b.start(t)
	deadline := time.Now().Add(120 * time.Second)
	for signedHeight(t, b) < stopped+3 && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	g.Expect(signedHeight(t, b)).To(BeNumerically(">=", stopped+3), "B signs again after its restart: %s", tail(b.log, 20))
	g.Expect(b.read(t, "seid.log")).To(ContainSubstring("double-sign check disarmed"))
	g.Expect(b.read(t, "seid.log")).NotTo(ContainSubstring("looks for this key"))
	g.Expect(b.exists("data/" + resources.UnvouchedFile)).To(BeFalse())
}

// signedHeight is the height of p's signing state.
func signedHeight(t *testing.T, p *pod) int64 {
	t.Helper()
	m := regexp.MustCompile(`"height":\s*"(\d+)"`).FindStringSubmatch(p.read(t, "data/priv_validator_state.json"))
	if m == nil {
		t.Fatalf("no height in %s's signing state", p.name)
	}
	h, _ := strconv.ParseInt(m[1], 10, 64)
	return h
}

// pod is one validator's pod as the agent renders it: seid-init's mounts under root, seid's home,
// and the running seid (started through the start script).
type pod struct {
	name            string
	lookBack        int64 // the agent configuration's double-sign look-back; 0: the default
	p2p, rpc        int
	sidecarPort     string
	root, home, log string
	initC, seidC    corev1.Container
	cmd             *exec.Cmd
	done            chan struct{} // closed when seid exited; waitErr then says how
	waitErr         error
	logFile         *os.File
}

// prepare renders the pod for the validator's keys and genesis with the given signing-state floor,
// and runs seid-init's script on its volume. The first call creates the volume and the mounted
// Secrets and ConfigMap; later ones are the pod starting again on them.
func (p *pod) prepare(t *testing.T, s Seid, chainID string, genesisJSON, signingKey, nodeKey []byte, floor int64) {
	t.Helper()
	g := NewWithT(t)
	if p.root == "" {
		p.root = t.TempDir()
		p.home = filepath.Join(p.root, "home")
		p.log = filepath.Join(p.home, "seid.log")
		for rel, data := range map[string][]byte{
			"etc/sei/keys/signing/priv_validator_key.json": signingKey,
			"etc/sei/keys/node/node_key.json":              nodeKey,
			"etc/sei/genesis/genesis.json":                 genesisJSON,
		} {
			writeFile(t, p.root, rel, data, 0o400)
		}
	}
	sum := sha256.Sum256(genesisJSON)
	node := &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: "chain", UID: types.UID("uid-" + p.name)},
		Spec: seiv1alpha1.SeiNodeSpec{
			ChainID: chainID, Image: "seid:under-test",
			Validator: &seiv1alpha1.ValidatorSpec{
				Identity:          seiv1alpha1.ValidatorIdentity{SigningKeySecret: p.name + "-signing", NodeKeySecret: p.name + "-node"},
				SigningStateFloor: floor,
			},
			Genesis: &seiv1alpha1.GenesisSource{ConfigMapName: chainID + "-genesis", SHA256: hex.EncodeToString(sum[:])},
		},
	}
	cfg := config.Default()
	if p.lookBack != 0 {
		cfg.Signing.DoubleSignCheckHeight = &p.lookBack
	}
	sts, err := resources.BuildStatefulSet(node, cfg)
	g.Expect(err).NotTo(HaveOccurred())
	for _, c := range append(sts.Spec.Template.Spec.InitContainers, sts.Spec.Template.Spec.Containers...) {
		switch c.Name {
		case resources.ContainerSeidInit:
			p.initC = c
		case resources.ContainerSeid:
			p.seidC = c
		}
	}
	out, err := p.script(s, p.initC).CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), "seid-init: %s", out)
}

// script is container c's script as a command: its environment with seid's home under the test's
// root, seid on PATH, and seid-init's mounts moved under root.
func (p *pod) script(s Seid, c corev1.Container) *exec.Cmd {
	script := strings.ReplaceAll(c.Command[2], "/etc/sei/", p.root+"/etc/sei/")
	cmd := exec.Command(c.Command[0], c.Command[1], script)
	cmd.Env = []string{"PATH=" + filepath.Dir(s.Path) + ":" + os.Getenv("PATH"), "HOME=" + p.root}
	for _, e := range c.Env {
		switch e.Name {
		case config.EnvHome:
			cmd.Env = append(cmd.Env, e.Name+"="+p.home)
		case config.EnvSidecarPort:
			cmd.Env = append(cmd.Env, e.Name+"="+p.sidecarPort)
		default:
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
	}
	return cmd
}

// configure does the sidecar's part: listeners on the test's loopback ports, and the peers.
func (p *pod) configure(t *testing.T, peers []string) {
	configureNode(t, p.home, p.p2p, p.rpc, peers)
}

// start runs seid's container script (the start gate, then seid) in the background.
func (p *pod) start(t *testing.T) {
	t.Helper()
	s := Seid{Path: mustLocate(t)}
	logFile, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := p.script(s, p.seidC)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd, p.logFile, p.done = cmd, logFile, make(chan struct{})
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
}

// stop stops seid with SIGTERM (then SIGKILL) and waits for it.
func (p *pod) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done: // a signalled exit is expected
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	_ = p.logFile.Close()
	p.cmd = nil
}

// waitExit waits for seid to exit on its own and returns how it exited (nil: status 0); it fails the
// test when seid is still running after limit.
func (p *pod) waitExit(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		err := p.waitErr
		_ = p.logFile.Close()
		p.cmd = nil
		return err
	case <-time.After(limit):
		t.Fatalf("%s still runs after %s; log tail:\n%s", p.name, limit, tail(p.log, 20))
		return nil
	}
}

func (p *pod) read(t *testing.T, rel string) string { return string(readFile(t, p.home, rel)) }

func (p *pod) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(p.home, rel))
	return err == nil
}

func (p *pod) rpcURL() string { return fmt.Sprintf("http://127.0.0.1:%d", p.rpc) }

// waitForHeight waits until p's chain reached height, and fails with the logs of pods otherwise.
func waitForHeight(t *testing.T, p *pod, height int64, limit time.Duration, pods ...*pod) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if latestHeight(t.Context(), p.rpcURL()) >= height {
			return
		}
		time.Sleep(time.Second)
	}
	var tails []string
	for _, q := range pods {
		tails = append(tails, fmt.Sprintf("--- %s:\n%s", q.name, tail(q.log, 15)))
	}
	t.Fatalf("height %d not reached within %s (at %d)\n%s", height, limit, latestHeight(t.Context(), p.rpcURL()), strings.Join(tails, "\n"))
}

// runBounded runs cmd to its end, or kills it after limit, and returns its output.
func runBounded(cmd *exec.Cmd, limit time.Duration) (string, error) {
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	var err error
	done := make(chan struct{})
	go func() {
		err = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
		return out.String(), err
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		return out.String(), errors.New("still running after " + limit.String())
	}
}

func peersBut(peers []string, self string) []string {
	var out []string
	for _, p := range peers {
		if !strings.HasPrefix(p, self+"@") {
			out = append(out, p)
		}
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func mustLocate(t *testing.T) string {
	t.Helper()
	return requireSeid(t).Path
}
