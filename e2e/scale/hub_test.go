package scale

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// repoRoot finds the repository from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// buildHub builds cmd/hub into dir.
func buildHub(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "hub")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/hub")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/hub: %w: %s", err, out)
	}
	return bin, nil
}

// hubProcess is the hub binary running as a child of the test.
type hubProcess struct {
	cmd    *exec.Cmd
	exited chan error
	log    string
}

// startHub runs bin with args, its log in logPath. The child gets SIGKILL when the thread that forked
// it ends (Pdeathsig): that thread is locked to a goroutine that lives exactly as long as the child, so
// a test killed on its timeout takes the hub with it.
func startHub(bin, logPath string, args []string) (*hubProcess, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create hub log: %w", err)
	}
	h := &hubProcess{exited: make(chan error, 1), log: logPath}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		defer func() { _ = logFile.Close() }()
		cmd := exec.Command(bin, args...) //nolint:gosec // the binary this test built
		cmd.Stdout, cmd.Stderr = logFile, logFile
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			started <- fmt.Errorf("start hub: %w", err)
			return
		}
		h.cmd = cmd
		started <- nil
		h.exited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return h, nil
}

// stop ends the hub: SIGTERM, then SIGKILL after 10s. Stopping a stopped hub does nothing.
func (h *hubProcess) stop() {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-h.exited:
	case <-time.After(10 * time.Second):
		_ = h.cmd.Process.Kill()
		err = <-h.exited
	}
	h.exited <- err // for running, and a second stop
}

// running reports an error when the hub has exited.
func (h *hubProcess) running() error {
	select {
	case err := <-h.exited:
		h.exited <- err
		return fmt.Errorf("hub exited: %w; log tail:\n%s", err, h.logTail(40))
	default:
		return nil
	}
}

func (h *hubProcess) logTail(lines int) string {
	raw, err := os.ReadFile(h.log)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux architecture Go runs on.
const clockTicks = 100

// cpuSeconds is the process's user and system time so far (/proc/<pid>/stat utime+stime).
func (h *hubProcess) cpuSeconds() (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", h.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read hub stat: %w", err)
	}
	// The command name, in parentheses, may hold spaces: fields count from after its ')'.
	rest := raw[bytes.LastIndexByte(raw, ')')+2:]
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat line")
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err := aggregate.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("parse hub stat: %w", err)
	}
	return (utime + stime) / clockTicks, nil
}

// peakRSSMiB is the process's peak resident set (VmHWM).
func (h *hubProcess) peakRSSMiB() (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", h.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read hub status: %w", err)
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmHWM %q: %w", v, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}
