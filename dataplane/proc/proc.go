// Package proc starts the long-running children of the local data plane: each one dies with the
// process that started it (a parent-death signal), logs to a file, and stops with SIGTERM, then SIGKILL.
package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// Spec says what to run.
type Spec struct {
	// Name labels errors and the log file.
	Name string
	Path string
	Args []string
	// Env is added to the parent's environment.
	Env []string
	Dir string
	// LogPath receives stdout and stderr; empty discards them.
	LogPath string
	// SysProcAttr, when set, is used as is, with Pdeathsig and Setpgid forced on.
	SysProcAttr *syscall.SysProcAttr
	// Stdin, when set, is the child's standard input.
	Stdin *os.File
}

// Process is a started child.
type Process struct {
	Name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	log  *os.File
}

// Start runs the child; it gets SIGKILL when this process dies.
func Start(s Spec) (*Process, error) {
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Env = append(os.Environ(), s.Env...)
	cmd.Dir = s.Dir
	attr := s.SysProcAttr
	if attr == nil {
		attr = &syscall.SysProcAttr{}
	}
	attr.Pdeathsig = syscall.SIGKILL
	attr.Setpgid = attr.Cloneflags&syscall.CLONE_NEWPID == 0 // a new PID namespace is its own group
	cmd.SysProcAttr = attr
	if s.Stdin != nil {
		cmd.Stdin = s.Stdin
	}
	p := &Process{Name: s.Name, cmd: cmd, done: make(chan struct{})}
	if s.LogPath != "" {
		f, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("%s: open log: %w", s.Name, err)
		}
		p.log, cmd.Stdout, cmd.Stderr = f, f, f
	}
	started := make(chan error, 1)
	// The child is forked and waited for on one locked thread that exits with it: Pdeathsig fires
	// when the forking thread ends, so that thread must live exactly as long as we care.
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			runtime.UnlockOSThread()
			return
		}
		started <- nil
		p.err = cmd.Wait()
		if p.log != nil {
			_ = p.log.Close()
		}
		close(p.done)
		// The thread stays locked: Go then ends it rather than reuse it.
	}()
	if err := <-started; err != nil {
		if p.log != nil {
			_ = p.log.Close()
		}
		return nil, fmt.Errorf("%s: start %s: %w", s.Name, s.Path, err)
	}
	return p, nil
}

// Pid of the child.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the child's exit error, valid after Done.
func (p *Process) Err() error { return p.err }

// Running says whether the child has not exited yet.
func (p *Process) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM (to the group when the child leads one) and SIGKILL after grace; it returns
// when the child has exited.
func (p *Process) Stop(grace time.Duration) error {
	if !p.Running() {
		return nil
	}
	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.signal(syscall.SIGKILL)
		<-p.done
	}
	var exit *exec.ExitError
	if p.err != nil && !errors.As(p.err, &exit) {
		return fmt.Errorf("%s: %w", p.Name, p.err)
	}
	return nil
}

// Kill sends SIGKILL and waits.
func (p *Process) Kill() {
	if p.Running() {
		p.signal(syscall.SIGKILL)
		<-p.done
	}
}

func (p *Process) signal(sig syscall.Signal) {
	pid := p.cmd.Process.Pid
	if p.cmd.SysProcAttr.Setpgid {
		_ = syscall.Kill(-pid, sig)
		return
	}
	_ = syscall.Kill(pid, sig)
}

// WaitFor polls check every interval until it returns nil, the child exits, or ctx ends.
func (p *Process) WaitFor(ctx context.Context, interval time.Duration, check func() error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited while waiting: %w", p.Name, aggregate.Join(p.err, err))
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", p.Name, aggregate.Join(ctx.Err(), err))
		case <-t.C:
		}
	}
}
