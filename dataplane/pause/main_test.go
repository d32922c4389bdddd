package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestRunReapsChildrenAndStopsOnTERM(t *testing.T) {
	g := NewWithT(t)
	// ForkExec rather than os/exec, whose Wait would reap the child itself.
	pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func() (string, error) { return state(pid) }).Should(Equal("Z"))

	sigs := make(chan os.Signal, 2)
	sigs <- syscall.SIGCHLD
	sigs <- syscall.SIGTERM
	run(sigs)
	// Nothing left to wait for: run took it.
	_, err = syscall.Wait4(pid, nil, syscall.WNOHANG, nil)
	g.Expect(err).To(MatchError(syscall.ECHILD))
	_, err = state(pid)
	g.Expect(err).To(MatchError(os.ErrNotExist))
}

func TestPauseExitsZeroOnTERMAndINT(t *testing.T) {
	g := NewWithT(t)
	bin := filepath.Join(t.TempDir(), "pause")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.CommandContext(t.Context(), bin)
		g.Expect(cmd.Start()).To(Succeed())
		// Until main's Notify the signal would kill it. The Go runtime catches signals from its
		// start, so the mask shows the process is up, and the pause covers the rest of the start.
		g.Eventually(func() (bool, error) { return catches(cmd.Process.Pid, sig) }).Should(BeTrue())
		time.Sleep(100 * time.Millisecond)
		g.Expect(cmd.Process.Signal(sig)).To(Succeed())
		g.Expect(cmd.Wait()).To(Succeed(), sig.String())
	}
}

// state is the process's state letter from /proc (R, S, Z…).
func state(pid int) (string, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", err
	}
	// The command name is in parentheses and may hold spaces; the state follows it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+3 > len(s) {
		return "", errors.New("malformed stat: " + s)
	}
	return s[i+2 : i+3], nil
}

// catches says whether the process has a handler for sig (its bit in /proc's SigCgt mask).
func catches(pid int, sig syscall.Signal) (bool, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			bits, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			return bits&(1<<(uint(sig)-1)) != 0, err
		}
	}
	return false, errors.New("no SigCgt in status")
}
