// Package netns holds network namespaces with a process (so they vanish when it dies, even by
// SIGKILL, unlike `ip netns add`'s bind mounts) and runs code or commands inside them.
package netns

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sei-protocol/sei-fleet/dataplane/proc"
	"github.com/sei-protocol/sei-fleet/dataplane/reexec"
)

const holdRole = "netns-hold"

func init() { reexec.Register(holdRole, hold) }

// hold keeps its namespace alive until it is told to stop or its parent dies.
func hold() int {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
	return 0
}

// Holder is a process that keeps a new network namespace alive.
type Holder struct{ p *proc.Process }

// New starts a holder in a new network namespace with its loopback up.
func New(name string) (*Holder, error) {
	self, err := reexec.Self()
	if err != nil {
		return nil, err
	}
	env, err := reexec.Env(holdRole)
	if err != nil {
		return nil, err
	}
	p, err := proc.Start(proc.Spec{Name: name, Path: self, Env: []string{env},
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}})
	if err != nil {
		return nil, err
	}
	h := &Holder{p: p}
	if err := Exec(h.Path(), "ip", "link", "set", "lo", "up"); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// Path is the namespace's file, for setns and nsenter.
func (h *Holder) Path() string { return PathOf(h.p.Pid()) }

// Pid of the holder.
func (h *Holder) Pid() int { return h.p.Pid() }

// Close ends the holder; the namespace and every interface in it go with it.
func (h *Holder) Close() { _ = h.p.Stop(5 * time.Second) }

// PathOf is the network namespace file of a process.
func PathOf(pid int) string { return fmt.Sprintf("/proc/%d/ns/net", pid) }

// Exec runs a command inside the namespace at path and returns its error with its output.
func Exec(path, name string, args ...string) error {
	_, err := Output(path, name, args...)
	return err
}

// Output runs a command inside the namespace at path and returns its standard output.
func Output(path, name string, args ...string) (string, error) {
	full := append([]string{"--net=" + path, name}, args...)
	cmd := exec.Command("nsenter", full...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s in %s: %w: %s", name, strings.Join(args, " "), path, err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// Do runs fn on a thread switched into the namespace at path. Sockets fn opens stay in that
// namespace after Do returns, which is how a listener is put inside a node.
func Do(path string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open own network namespace: %w", err)
	}
	defer func() { _ = orig.Close() }()
	target, err := os.Open(path)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open network namespace %s: %w", path, err)
	}
	defer func() { _ = target.Close() }()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter network namespace %s: %w", path, err)
	}
	fnErr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked and Go retires it with the goroutine: it must not run other code
		// in the wrong namespace.
		return fmt.Errorf("return from network namespace %s: %w", path, err)
	}
	runtime.UnlockOSThread()
	return fnErr
}

// Listen opens a TCP listener inside the namespace at path.
func Listen(path, addr string) (net.Listener, error) {
	var l net.Listener
	err := Do(path, func() error {
		var err error
		l, err = (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listen on %s in %s: %w", addr, path, err)
	}
	return l, nil
}
