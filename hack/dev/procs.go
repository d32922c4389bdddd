package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// children are the hub and agent processes. Each dies with this process (Pdeathsig) even if it is
// killed without a chance to clean up.
type children struct {
	mu     sync.Mutex
	cmds   []*exec.Cmd
	done   []chan struct{}
	exited chan error
}

func (c *children) start(_ context.Context, bin, logPath string, args ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exited == nil {
		c.exited = make(chan error, 16)
	}
	log, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create log %s: %w", logPath, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return fmt.Errorf("start %s: %w", bin, err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		_ = log.Close()
		close(done)
		c.exited <- fmt.Errorf("%s (%s) exited: %w", filepath.Base(bin), filepath.Base(logPath), err)
	}()
	c.cmds = append(c.cmds, cmd)
	c.done = append(c.done, done)
	return nil
}

// stopAll sends SIGTERM to every child, waits up to 20s, then kills what is left.
func (c *children) stopAll(out io.Writer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cmds) == 0 {
		return
	}
	fmt.Fprintln(out, "Stopping the hub and agents...")
	for _, cmd := range c.cmds {
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.After(20 * time.Second)
	for i, d := range c.done {
		select {
		case <-d:
		case <-deadline:
			_ = c.cmds[i].Process.Kill()
			<-d
		}
	}
	c.cmds, c.done = nil, nil
}
