package framework

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// envPretendSeid makes the test binary, started as "seid start --home H", wait to be killed: a
// process that looks to the scanner exactly as the start script's `exec seid start --home` does.
const envPretendSeid = "SEI_FLEET_PRETEND_SEID"

func TestMain(m *testing.M) {
	switch os.Getenv(envPretendSeid) {
	case "":
	case "fork":
		// A seid with a child that still looks like it (a fork that has not exec'd yet).
		// The child dies with this process (the test kills it): nothing outlives the test.
		runtime.LockOSThread()
		self, _ := os.Executable()
		child := &exec.Cmd{Path: self, Args: os.Args, Env: append(os.Environ(), envPretendSeid+"=1"),
			SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}}
		if child.Start() != nil {
			os.Exit(1)
		}
		time.Sleep(time.Hour)
		os.Exit(0)
	default:
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// pretendSeid starts a process "seid start --home home" and stops it when the test ends.
func pretendSeid(t *testing.T, home string) *exec.Cmd {
	t.Helper()
	return pretend(t, home, "1")
}

func pretend(t *testing.T, home, mode string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	cmd := &exec.Cmd{Path: self, Args: []string{"seid", "start", "--home", home}, Env: append(os.Environ(), envPretendSeid+"="+mode)}
	NewWithT(t).Expect(cmd.Start()).To(Succeed())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// home makes a seid home with a key of address addr (and no private key: the scanner reads only the
// address) and a signing state at height, or none when height < 0.
func home(t *testing.T, addr string, height int) string {
	t.Helper()
	g := NewWithT(t)
	dir := t.TempDir()
	g.Expect(os.MkdirAll(filepath.Join(dir, "config"), 0o700)).To(Succeed())
	g.Expect(os.MkdirAll(filepath.Join(dir, "data"), 0o700)).To(Succeed())
	if addr != "" {
		g.Expect(os.WriteFile(filepath.Join(dir, "config", "priv_validator_key.json"),
			[]byte(`{"address":"`+addr+`","pub_key":{"type":"tendermint/PubKeyEd25519","value":"x"}}`), 0o600)).To(Succeed())
	}
	if height >= 0 {
		setSigned(t, dir, height)
	}
	return dir
}

func setSigned(t *testing.T, home string, height int) {
	t.Helper()
	NewWithT(t).Expect(os.WriteFile(filepath.Join(home, "data", "priv_validator_state.json"),
		[]byte(`{"height":"`+strconv.Itoa(height)+`","round":0,"step":3}`), 0o600)).To(Succeed())
}

func signersOf(g Gomega, addr string) []Signer {
	all, err := Signers()
	g.Expect(err).NotTo(HaveOccurred())
	var out []Signer
	for _, s := range all {
		if s.Address == addr {
			out = append(out, s)
		}
	}
	return out
}

func TestSignersFindsSeidProcessesByTheKeyTheyHold(t *testing.T) {
	g := NewWithT(t)
	a := home(t, "AAAA0001", 42)
	b := home(t, "AAAA0001", -1)
	full := home(t, "", -1)
	pa := pretendSeid(t, a)
	pretendSeid(t, full)

	g.Eventually(func(g Gomega) {
		s := signersOf(g, "AAAA0001")
		g.Expect(s).To(HaveLen(1))
		g.Expect(s[0].PID).To(Equal(pa.Process.Pid))
		g.Expect(s[0].Home).To(Equal(a))
		g.Expect(s[0].SignedHeight).To(BeEquivalentTo(42))
	}).WithTimeout(5 * time.Second).Should(Succeed())

	pretendSeid(t, b)
	g.Eventually(func(g Gomega) {
		g.Expect(signersOf(g, "AAAA0001")).To(HaveLen(2), "a second process with the same key is a second signer")
	}).WithTimeout(5 * time.Second).Should(Succeed())
}

// A child of a seid that still looks like it (forked, not exec'd) is that seid, not a second signer;
// the same key in an unrelated process is.
func TestSignersCountsASeidsForkAsItself(t *testing.T) {
	g := NewWithT(t)
	a := home(t, "DDDD0004", 7)
	parent := pretend(t, a, "fork")
	g.Eventually(func(g Gomega) {
		entries, err := os.ReadDir(ProcRoot)
		g.Expect(err).NotTo(HaveOccurred())
		children := 0
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if s, ok := readSigner(pid); ok && s.Address == "DDDD0004" && s.PPID == parent.Process.Pid {
				children++
			}
		}
		g.Expect(children).To(Equal(1), "the child runs as seid start with the parent's key")
		s := signersOf(g, "DDDD0004")
		g.Expect(s).To(HaveLen(1))
		g.Expect(s[0].PID).To(Equal(parent.Process.Pid))
	}).WithTimeout(5 * time.Second).Should(Succeed())

	pretendSeid(t, a)
	g.Eventually(func(g Gomega) {
		g.Expect(signersOf(g, "DDDD0004")).To(HaveLen(2), "another process with the key is a second signer")
	}).WithTimeout(5 * time.Second).Should(Succeed())
}

func TestSignerWatchReportsTwoSignersAndASigningStateThatGoesBack(t *testing.T) {
	g := NewWithT(t)
	a := home(t, "BBBB0002", 100)
	pa := pretendSeid(t, a)
	w := WatchSigners(20 * time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	setSigned(t, a, 120)
	time.Sleep(100 * time.Millisecond)
	clean := w.Stop()
	g.Expect(clean.Violations).To(BeEmpty())
	g.Expect(clean.MostAtOnce).To(HaveKeyWithValue("BBBB0002", 1))
	g.Expect(clean.HighestSigned).To(HaveKeyWithValue("BBBB0002", int64(120)))

	w = WatchSigners(20 * time.Millisecond)
	time.Sleep(60 * time.Millisecond)
	_ = pa.Process.Kill()
	_ = pa.Wait()
	// The key starts again on a volume whose state went back: the watch must see it.
	pretendSeid(t, home(t, "BBBB0002", 5))
	pretendSeid(t, home(t, "BBBB0002", 130))
	g.Eventually(func() int { return len(signersOf(g, "BBBB0002")) }).WithTimeout(5 * time.Second).Should(Equal(2))
	time.Sleep(100 * time.Millisecond)
	bad := w.Stop()
	g.Expect(bad.MostAtOnce).To(HaveKeyWithValue("BBBB0002", 2))
	g.Expect(bad.Violations).To(ContainElement(ContainSubstring("held by 2 seid processes")))
	g.Expect(bad.Violations).To(ContainElement(MatchRegexp(`went back from 1[23]0 to 5 `)))
}
