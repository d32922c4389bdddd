package testfleet_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// killedChildEnv makes the test binary a child that startKilledChild starts.
const killedChildEnv = "TESTFLEET_KILLED_CHILD"

// leftovers is what the child reports: its run directory and its control plane's processes.
type leftovers struct {
	RunDir string
	PIDs   []int
}

// killedChild starts one control plane, reports it on stdout and waits to be killed (or for stdin to
// close, should the test die first).
func killedChild(m *testing.M) int {
	opts := testfleet.Options{WithoutHub: true, Members: []string{"doomed"}, Setup: func(*testfleet.Fleet) (func(), error) {
		run, err := testfleet.OwnRunDir()
		if err != nil {
			return nil, err
		}
		if err := json.NewEncoder(os.Stdout).Encode(leftovers{RunDir: run, PIDs: testfleet.ControlPlaneProcesses(run)}); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		_, _ = io.Copy(io.Discard, os.Stdin)
		return func() {}, nil
	}}
	var f *testfleet.Fleet
	return testfleet.Main(m, opts, &f)
}

// runAndKillChild runs this test binary as a killedChild with env added, SIGKILLs it once its control
// plane runs, and returns what it reported, the processes' start times and when it was killed.
func runAndKillChild(t *testing.T, g *WithT, env ...string) (leftovers, map[int]uint64, time.Time) {
	exe, err := os.Executable()
	g.Expect(err).NotTo(HaveOccurred())
	child := exec.Command(exe, "-test.run=^$")
	child.Env = append(append(os.Environ(), killedChildEnv+"=1"), env...)
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	g.Expect(err).NotTo(HaveOccurred())
	stdout, err := child.StdoutPipe()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(child.Start()).To(Succeed())
	// Should the test fail before the kill, the child stops its fleet when its stdin closes.
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = child.Wait()
	})

	reports := make(chan leftovers, 1)
	go func() {
		defer close(reports)
		var l leftovers
		if json.NewDecoder(stdout).Decode(&l) == nil {
			reports <- l
		}
	}()
	var left leftovers
	g.Eventually(reports).WithTimeout(2*time.Minute).Should(Receive(&left), "the child reports its control plane")
	starts := map[int]uint64{}
	var names []string
	for _, pid := range left.PIDs {
		start, err := testfleet.StartTime(pid)
		g.Expect(err).NotTo(HaveOccurred())
		starts[pid] = start
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		g.Expect(err).NotTo(HaveOccurred())
		names = append(names, strings.TrimSpace(string(comm)))
	}
	g.Expect(names).To(ConsistOf("etcd", "kube-apiserver"), "the binaries themselves, under their own names")

	killed := time.Now()
	g.Expect(child.Process.Kill()).To(Succeed())
	_ = child.Wait() // "signal: killed"
	return left, starts, killed
}

func alive(starts map[int]uint64) []int {
	var pids []int
	for pid, start := range starts {
		if testfleet.Running(pid, start) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// sweep is the next Start in this process (one that starts no control plane).
func sweep(g *WithT) {
	f, err := testfleet.Start(testfleet.Options{WithoutHub: true})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.Stop()).To(Succeed())
}

func TestKilledTestProcessLeavesNothingBehind(t *testing.T) {
	g := NewWithT(t)
	left, starts, killed := runAndKillChild(t, g)
	g.Eventually(func() []int { return alive(starts) }).WithTimeout(5*time.Second).WithPolling(20*time.Millisecond).
		Should(BeEmpty(), "the control plane dies with its test process")
	t.Logf("control plane gone %v after the kill", time.Since(killed).Round(time.Millisecond))
	g.Expect(left.RunDir).To(BeADirectory(), "a killed process cannot remove its files")

	sweep(g)
	g.Expect(left.RunDir).NotTo(BeAnExistingFile())
	own, err := testfleet.OwnRunDir()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(own).To(BeADirectory(), "this process's run directory is in use")
}

func TestWithoutSetprivTheNextStartKillsWhatAKilledProcessLeft(t *testing.T) {
	g := NewWithT(t)
	// No PATH, no setpriv; CI would refuse to run so.
	left, starts, _ := runAndKillChild(t, g, "PATH=", "CI=")
	g.Consistently(func() []int { return alive(starts) }).WithTimeout(time.Second).Should(HaveLen(2), "orphans")

	sweep(g)
	g.Eventually(func() []int { return alive(starts) }).WithTimeout(5 * time.Second).Should(BeEmpty())
	g.Expect(left.RunDir).NotTo(BeAnExistingFile())
}

func TestSweepTellsAReusedPidFromItsOwner(t *testing.T) {
	g := NewWithT(t)
	own, err := testfleet.OwnRunDir()
	g.Expect(err).NotTo(HaveOccurred())
	start, err := testfleet.StartTime(os.Getpid())
	g.Expect(err).NotTo(HaveOccurred())
	root := filepath.Dir(own)
	// An earlier process that had this pid, and a directory testfleet did not name.
	reused := filepath.Join(root, fmt.Sprintf("%d-%d", os.Getpid(), start-1))
	foreign := filepath.Join(root, "not-a-run-dir")
	for _, dir := range []string{reused, foreign} {
		g.Expect(os.MkdirAll(filepath.Join(dir, "plane", "etcd"), 0o700)).To(Succeed())
		g.Expect(os.WriteFile(filepath.Join(dir, "plane", "etcd", "db"), []byte("x"), 0o600)).To(Succeed())
	}
	defer func() { _ = os.RemoveAll(foreign) }()

	sweep(g)
	g.Expect(reused).NotTo(BeAnExistingFile())
	g.Expect(foreign).To(BeADirectory())
	g.Expect(own).To(BeADirectory())
}
