package testfleet

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// Every file a control plane writes (etcd's data, the apiserver's certificates) lives in the run
// directory of the test process that started it, $TMPDIR/sei-fleet-run/<pid>-<start time>. A normal
// Stop removes it; a killed process cannot, so each Start sweeps the run directories of processes
// that are gone. The start time (field 22 of /proc/<pid>/stat) makes the name one process's even
// after its pid is reused.

// runMu orders this process's creation of its run directory against removing it once empty.
var runMu sync.Mutex

// ownRunDir is this process's run directory; it exists while a control plane runs. Its parent
// holds every process's; both are fixed once, should a test change $TMPDIR.
var ownRunDir = sync.OnceValues(func() (string, error) {
	pid := os.Getpid()
	start, err := startTime(pid)
	if err != nil {
		return "", err
	}
	return filepath.Join(os.TempDir(), "sei-fleet-run", runDirName(pid, start)), nil
})

func runDirName(pid int, start uint64) string { return fmt.Sprintf("%d-%d", pid, start) }

// parseRunDirName is runDirName's inverse; ok is false for any other name.
func parseRunDirName(name string) (pid int, start uint64, ok bool) {
	p, s, found := strings.Cut(name, "-")
	if !found {
		return 0, 0, false
	}
	pid, err := strconv.Atoi(p)
	if err != nil || pid <= 0 {
		return 0, 0, false
	}
	start, err = strconv.ParseUint(s, 10, 64)
	if err != nil || runDirName(pid, start) != name {
		return 0, 0, false
	}
	return pid, start, true
}

// newPlaneDir makes a directory for one control plane's files in this process's run directory.
func newPlaneDir(name string) (string, error) {
	run, err := ownRunDir()
	if err != nil {
		return "", err
	}
	runMu.Lock()
	defer runMu.Unlock()
	if err := os.MkdirAll(run, 0o700); err != nil {
		return "", fmt.Errorf("make run directory: %w", err)
	}
	dir, err := os.MkdirTemp(run, name+"-")
	if err != nil {
		return "", fmt.Errorf("make directory of control plane %s: %w", name, err)
	}
	return dir, nil
}

// removeRunFiles removes dir, one of this process's, and the run directory if nothing else is left.
func removeRunFiles(dir string) error {
	err := os.RemoveAll(dir)
	if err != nil {
		err = fmt.Errorf("remove %s: %w", dir, err)
	}
	if run, runErr := ownRunDir(); runErr == nil {
		runMu.Lock()
		// Fails while other control planes of this process still have their directories there.
		_ = os.Remove(run)
		runMu.Unlock()
	}
	return err
}

// sweepRunDirs removes the run directories of processes that are gone. A process still using one
// (a control plane of a process that died without a parent-death signal set) is killed first.
func sweepRunDirs() error {
	run, err := ownRunDir()
	if err != nil {
		return err
	}
	root := filepath.Dir(run)
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list run directories: %w", err)
	}
	var errs []error
	for _, e := range entries {
		pid, start, ok := parseRunDirName(e.Name())
		if !ok || !e.IsDir() || e.Name() == filepath.Base(run) || running(pid, start) {
			continue
		}
		dead := filepath.Join(root, e.Name())
		for _, orphan := range controlPlaneProcesses(dead) {
			_ = syscall.Kill(orphan, syscall.SIGKILL)
		}
		// Claim the directory by moving it into our own: of several processes sweeping at once one
		// wins, and should it die before the removal is done, the rest goes with its own directory.
		claimed := filepath.Join(run, "swept-"+e.Name())
		runMu.Lock()
		err := os.MkdirAll(run, 0o700)
		if err == nil {
			err = os.Rename(dead, claimed)
		}
		runMu.Unlock()
		if errors.Is(err, fs.ErrNotExist) {
			continue // another process claimed it
		}
		if err == nil {
			err = removeRunFiles(claimed)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", dead, err))
		}
	}
	return aggregate.Join(errs...)
}

// procStat reads the state and the start time of process pid from /proc.
func procStat(pid int) (state byte, start uint64, err error) {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, err
	}
	// The command name in parentheses may hold spaces and parentheses; the fields after it don't.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: %q", pid, raw)
	}
	fields := strings.Fields(string(raw[i+1:]))
	if len(fields) < 20 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: %q", pid, raw)
	}
	// fields[0] is field 3 of stat(5), the state; the start time is field 22.
	start, err = strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("parse start time in /proc/%d/stat: %w", pid, err)
	}
	return fields[0][0], start, nil
}

// startTime is when process pid started, in clock ticks since boot.
func startTime(pid int) (uint64, error) {
	_, start, err := procStat(pid)
	if err != nil {
		return 0, fmt.Errorf("start time of process %d: %w", pid, err)
	}
	return start, nil
}

// running says whether the process that had pid and started at start still runs. Only a missing
// process, another one on its pid, or a zombie counts as gone: a process hidden by /proc's
// permissions might own its run directory.
func running(pid int, start uint64) bool {
	state, got, err := procStat(pid)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	return err != nil || (got == start && state != 'Z')
}

// controlPlaneProcesses lists the etcd and kube-apiserver processes with dir or a path under it in
// their command line (etcd's --data-dir, the apiserver's --cert-dir).
func controlPlaneProcesses(dir string) []int {
	return processesWhere(func(argv []string) bool {
		if bin := filepath.Base(argv[0]); bin != "etcd" && bin != "kube-apiserver" {
			return false
		}
		for _, a := range argv[1:] {
			if strings.Contains(a, dir+"/") || strings.HasSuffix(a, dir) {
				return true
			}
		}
		return false
	})
}

// processesWhere lists the processes whose command line satisfies match.
func processesWhere(match func(argv []string) bool) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue // gone, or a kernel thread
		}
		if match(strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// NewRunDir makes a directory in this process's run directory for other state that must not outlive
// the process (a data plane's nodes, say): a later Start sweeps it if the process is killed. remove
// deletes it.
func NewRunDir(name string) (dir string, remove func() error, err error) {
	dir, err = newPlaneDir(name)
	if err != nil {
		return "", nil, err
	}
	return dir, func() error { return removeRunFiles(dir) }, nil
}
