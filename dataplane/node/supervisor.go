package node

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sei-protocol/sei-fleet/dataplane/reexec"
)

const (
	supervisorRole = "node-supervisor"
	envConfig      = "SEI_FLEET_NODE_CONFIG"
)

func init() { reexec.Register(supervisorRole, supervise) }

// supervise is PID 1 of a node: new PID, mount, UTS and network namespaces. It prepares the mount
// namespace, waits for the parent to wire the network (one byte on stdin), runs containerd, the
// kubelet and kube-proxy, reaps every orphan (containerd's shims are reparented here), and exits on
// SIGTERM or when a daemon dies. Its exit takes down everything in the namespaces.
func supervise() int {
	logger := log.New(os.Stderr, "node-supervisor: ", log.LstdFlags|log.Lmicroseconds)
	var c config
	if err := json.Unmarshal([]byte(os.Getenv(envConfig)), &c); err != nil {
		logger.Printf("bad config: %v", err)
		return 2
	}
	if err := prepare(&c); err != nil {
		logger.Printf("prepare: %v", err)
		return 1
	}
	if _, err := bufio.NewReader(os.Stdin).ReadByte(); err != nil {
		logger.Printf("parent went away before the network was ready: %v", err)
		return 1
	}
	s := &supervisor{logger: logger, exited: make(chan string, 8), pids: map[int]string{}}
	go s.reap()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	if err := s.start(&c); err != nil {
		logger.Printf("start: %v", err)
		s.stopAll()
		return 1
	}
	code := 0
	select {
	case sig := <-sigs:
		logger.Printf("%v: stopping", sig)
	case name := <-s.exited:
		logger.Printf("%s exited: stopping the node", name)
		code = 1
	}
	s.stopAll()
	return code
}

// prepare makes the mount namespace the node's own: nothing mounted here propagates to the host,
// /proc shows this PID namespace, /run (netns files, shim sockets, runc state) is private, and the
// kernel tunables the kubelet checks read as it wants them.
func prepare(c *config) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	if err := unix.Mount("tmpfs", "/run", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755"); err != nil {
		return fmt.Errorf("mount /run: %w", err)
	}
	for key, want := range kernelTunables {
		f := c.path("sysctl", filepath.Base(key))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f, []byte(want+"\n"), 0o644); err != nil {
			return err
		}
		if err := unix.Mount(f, "/proc/sys/"+key, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s: %w", key, err)
		}
	}
	if err := unix.Sethostname([]byte(c.Name)); err != nil {
		return fmt.Errorf("set hostname: %w", err)
	}
	// Per network namespace: the node routes between its pods, its eth0 and the host.
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		return fmt.Errorf("enable forwarding: %w", err)
	}
	return nil
}

type supervisor struct {
	logger *log.Logger
	mu     sync.Mutex
	pids   map[int]string
	order  []int
	exited chan string
}

// reap waits for every child, ours or orphaned: a PID 1 that does not reap fills the table.
func (s *supervisor) reap() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ECHILD) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			s.logger.Printf("wait: %v", err)
			continue
		}
		s.mu.Lock()
		name, ours := s.pids[pid]
		delete(s.pids, pid)
		s.mu.Unlock()
		if ours {
			s.logger.Printf("%s (pid %d) exited: %v", name, pid, describe(ws))
			select {
			case s.exited <- name:
			default:
			}
		}
	}
}

func describe(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "signal " + ws.Signal().String()
	}
	return fmt.Sprintf("status %d", ws.ExitStatus())
}

func (s *supervisor) spawn(c *config, name, path string, args ...string) error {
	logf, err := os.OpenFile(filepath.Join(c.LogDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer func() { _ = logf.Close() }()
	s.mu.Lock()
	defer s.mu.Unlock()
	pid, err := syscall.ForkExec(path, append([]string{path}, args...), &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{devNull(), logf.Fd(), logf.Fd()},
		Sys:   &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
	})
	if err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	s.pids[pid] = name
	s.order = append(s.order, pid)
	s.logger.Printf("started %s (pid %d)", name, pid)
	return nil
}

var nullFd uintptr

func devNull() uintptr {
	if nullFd == 0 {
		f, err := os.Open(os.DevNull)
		if err == nil {
			nullFd = f.Fd()
		}
	}
	return nullFd
}

func (s *supervisor) start(c *config) error {
	if err := s.spawn(c, "containerd", "/usr/bin/containerd", "--config", c.containerdConf()); err != nil {
		return err
	}
	if err := waitUnix(c.socket(), 30*time.Second); err != nil {
		return fmt.Errorf("containerd: %w", err)
	}
	if err := s.spawn(c, "kubelet", filepath.Join(c.BinDir, "kubelet"),
		"--config", c.kubeletConf(), "--kubeconfig", c.kubeconfig(), "--root-dir", c.path("kubelet"),
		"--cert-dir", c.path("kubelet-pki"), "--hostname-override", c.Name, "--node-ip", c.IP,
		"--oom-score-adj", "0", "--v", "2"); err != nil {
		return err
	}
	return s.spawn(c, "kube-proxy", filepath.Join(c.BinDir, "kube-proxy"),
		"--config", c.proxyConf(), "--oom-score-adj", "0")
}

// stopAll stops the daemons newest first (the kubelet before containerd) with SIGTERM, then SIGKILL.
func (s *supervisor) stopAll() {
	s.mu.Lock()
	order := append([]int(nil), s.order...)
	s.mu.Unlock()
	for i := len(order) - 1; i >= 0; i-- {
		pid := order[i]
		_ = unix.Kill(-pid, unix.SIGTERM)
		deadline := time.Now().Add(10 * time.Second)
		for s.alive(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		_ = unix.Kill(-pid, unix.SIGKILL)
	}
}

func (s *supervisor) alive(pid int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.pids[pid]
	return ok
}

func waitUnix(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.Dial("unix", path)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("socket %s: %w", path, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
