package testfleet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// A control plane's kube-apiserver and etcd get a parent-death signal (SIGKILL), so that they die
// with the test process that started them, even when it is killed or panics on `go test -timeout`.
// envtest starts them itself and sets no such signal, so it runs wrappers instead, kept in
// <assets>/.pdeathsig: shell scripts that exec the binary under `setpriv --pdeathsig KILL` (same
// pid, same argv[0]). They live next to the binaries, not in $TMPDIR, because a noexec /tmp could
// not run them.
//
// The signal fires when the thread that forked the process ends, not the process. Go ends a thread
// only when a goroutine exits locked to it, but dataplane/proc does just that, on whatever thread
// its goroutine was scheduled; so each control plane forks from a locked thread of its own
// (osThread), which ends when the control plane stops. A process the signal misses (the test died
// between the fork and setpriv's prctl) is killed by the next Start's sweep (rundir.go).

// binaries are the programs a control plane runs.
type binaries struct {
	assets, apiserver, etcd string
}

var (
	warnNoPdeathsig sync.Once
	// setpriv is the path of a setpriv that can set a parent-death signal.
	setpriv = sync.OnceValues(func() (string, error) {
		path, err := exec.LookPath("setpriv")
		if err != nil {
			return "", fmt.Errorf("find setpriv (util-linux): %w", err)
		}
		// Older or other setprivs (BusyBox) may lack the flag.
		if out, err := exec.Command(path, "--pdeathsig", "KILL", "--", "true").CombinedOutput(); err != nil {
			return "", fmt.Errorf("%s --pdeathsig KILL: %w: %s", path, err, bytes.TrimSpace(out))
		}
		return path, nil
	})
)

// controlPlaneBinaries returns the wrapped kube-apiserver and etcd in assets or, when they can't be
// made, the binaries themselves with a warning; in CI, where nothing may leak, an error.
func controlPlaneBinaries(assets string) (binaries, error) {
	bins, err := pdeathsigWrappers(assets)
	if err == nil {
		return bins, nil
	}
	if InCI() {
		return binaries{}, fmt.Errorf("control planes would outlive a killed test: %w", err)
	}
	warnNoPdeathsig.Do(func() {
		fmt.Fprintf(os.Stderr, "testfleet: WARNING: etcd and kube-apiserver run without a parent-death signal; "+
			"if this process is killed they outlive it until the next testfleet.Start: %v\n", err)
	})
	return binaries{
		assets:    assets,
		apiserver: filepath.Join(assets, "kube-apiserver"),
		etcd:      filepath.Join(assets, "etcd"),
	}, nil
}

func pdeathsigWrappers(assets string) (binaries, error) {
	sp, err := setpriv()
	if err != nil {
		return binaries{}, err
	}
	dir := filepath.Join(assets, ".pdeathsig")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return binaries{}, fmt.Errorf("make wrapper directory: %w", err)
	}
	bins := binaries{assets: assets}
	for name, path := range map[string]*string{"kube-apiserver": &bins.apiserver, "etcd": &bins.etcd} {
		bin, err := filepath.Abs(filepath.Join(assets, name))
		if err != nil {
			return binaries{}, fmt.Errorf("locate %s: %w", name, err)
		}
		script := fmt.Sprintf("#!/bin/sh\n# Written by sei-fleet's internal/testfleet: %s dies with the process that starts it.\nexec %s --pdeathsig KILL -- %s \"$@\"\n",
			name, shellQuote(sp), shellQuote(bin))
		*path = filepath.Join(dir, name)
		if err := writeExecutable(*path, []byte(script)); err != nil {
			return binaries{}, err
		}
	}
	return bins, nil
}

// writeExecutable makes path hold content, unless it already does. Test processes starting at once
// share the file, so it is replaced whole (rename), never rewritten in place while another runs it.
func writeExecutable(path string, content []byte) error {
	if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, content) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(content)
	err = aggregate.Join(err, tmp.Chmod(0o755), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// errThreadEnded means the control plane was stopped.
var errThreadEnded = errors.New("control plane stopped")

// osThread runs functions on one OS thread, locked for its whole life, so that a process forked
// there keeps its parent thread until end (see the top of this file).
type osThread struct {
	work chan func()
	quit chan struct{}
	once sync.Once
}

func newOSThread() *osThread {
	t := &osThread{work: make(chan func()), quit: make(chan struct{})}
	go func() {
		runtime.LockOSThread()
		// Never unlocked: the thread ends with this goroutine, and whatever it forked that still
		// runs gets its parent-death signal.
		for {
			select {
			case fn := <-t.work:
				fn()
			case <-t.quit:
				return
			}
		}
	}()
	return t
}

// do runs fn on the thread and returns its error.
func (t *osThread) do(fn func() error) error {
	if t == nil {
		return errThreadEnded
	}
	done := make(chan error, 1)
	select {
	case t.work <- func() { done <- fn() }:
		return <-done
	case <-t.quit:
		return errThreadEnded
	}
}

// end ends the thread.
func (t *osThread) end() {
	if t != nil {
		t.once.Do(func() { close(t.quit) })
	}
}
