// Package node runs one real Kubernetes node of a local member cluster: containerd, runc, CNI, the
// kubelet and kube-proxy under a supervisor that is PID 1 of new PID, mount, UTS and network
// namespaces (as kind runs each node in a container). The kubelet registers with the member's
// kube-apiserver, which stays on the host's loopback.
package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/sei-protocol/sei-fleet/dataplane/fabric"
	"github.com/sei-protocol/sei-fleet/dataplane/netns"
	"github.com/sei-protocol/sei-fleet/dataplane/proc"
	"github.com/sei-protocol/sei-fleet/dataplane/reexec"
)

// Options describe a node.
type Options struct {
	// Name is the node's name and hostname.
	Name string
	// Dir holds all the node's state; it is removed by Stop.
	Dir string
	// BinDir has kubelet and kube-proxy.
	BinDir string
	// Fabric is the network the node joins.
	Fabric *fabric.Fabric
	// Kubeconfig is an admin kubeconfig of the member's apiserver (on the host's loopback).
	Kubeconfig []byte
}

// Node is a running node.
type Node struct {
	Name string
	// Port is the node's address and pod range on the fabric.
	Port fabric.Port
	// Socket is containerd's socket, reachable from the host (for loading images).
	Socket string
	// LogDir has the logs of the supervisor and every daemon.
	LogDir string
	// PodLogDir has the containers' logs (<namespace>_<pod>_<uid>/<container>/<restart>.log).
	PodLogDir string

	dir      string
	sup      *proc.Process
	listener net.Listener
	wg       sync.WaitGroup
}

// Start brings a node up and returns once its daemons run; the kubelet then registers on its own.
func Start(ctx context.Context, o Options) (_ *Node, err error) {
	port, err := o.Fabric.Reserve()
	if err != nil {
		return nil, err
	}
	c, upstream, err := prepareConfig(o, port)
	if err != nil {
		return nil, err
	}
	n := &Node{Name: o.Name, Port: port, Socket: c.socket(), LogDir: c.LogDir, PodLogDir: c.podLogsDir(), dir: o.Dir}
	defer func() {
		if err != nil {
			n.Stop()
		}
	}()
	self, err := reexec.Self()
	if err != nil {
		return nil, err
	}
	role, err := reexec.Env(supervisorRole)
	if err != nil {
		return nil, err
	}
	goR, goW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer func() { _ = goW.Close() }()
	n.sup, err = startSupervisor(self, role, goR, c)
	_ = goR.Close()
	if err != nil {
		return nil, err
	}
	nsPath := netns.PathOf(n.sup.Pid())
	if err := netns.Exec(nsPath, "ip", "link", "set", "lo", "up"); err != nil {
		return nil, err
	}
	if err := o.Fabric.Attach(nsPath, port); err != nil {
		return nil, err
	}
	if n.listener, err = netns.Listen(nsPath, apiServerAddr); err != nil {
		return nil, err
	}
	n.wg.Add(1)
	go n.forward(upstream)
	if _, err := goW.Write([]byte{1}); err != nil {
		return nil, fmt.Errorf("release supervisor: %w", err)
	}
	if err := n.sup.WaitFor(ctx, 200*time.Millisecond, func() error {
		c, err := net.Dial("unix", n.Socket)
		if err != nil {
			return err
		}
		return c.Close()
	}); err != nil {
		return nil, fmt.Errorf("node %s: containerd: %w (logs in %s)", o.Name, err, c.LogDir)
	}
	return n, nil
}

// prepareConfig writes every configuration file of the node and returns the supervisor's config
// and the apiserver's host address.
func prepareConfig(o Options, port fabric.Port) (*config, string, error) {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, "", err
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, "", err
	}
	c := &config{Name: o.Name, Dir: dir, BinDir: o.BinDir, LogDir: filepath.Join(dir, "logs"),
		IP: port.IP, PodCIDR: port.PodCIDR, ClusterCIDR: o.Fabric.ClusterCIDR()}
	for _, d := range []string{c.LogDir, c.cniConfDir(), c.path("kubelet")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, "", err
		}
	}
	kc, err := clientcmd.Load(o.Kubeconfig)
	if err != nil {
		return nil, "", fmt.Errorf("node %s: parse kubeconfig: %w", o.Name, err)
	}
	upstream := ""
	for _, cl := range kc.Clusters {
		u := strings.TrimPrefix(cl.Server, "https://")
		if upstream != "" && upstream != u {
			return nil, "", fmt.Errorf("node %s: kubeconfig names more than one server", o.Name)
		}
		upstream = u
		cl.Server = "https://" + apiServerAddr
		// The serving certificate names the loopback address on either side of the forwarder.
	}
	if upstream == "" {
		return nil, "", fmt.Errorf("node %s: kubeconfig has no cluster", o.Name)
	}
	kubeconfig, err := clientcmd.Write(*kc)
	if err != nil {
		return nil, "", err
	}
	cni, err := cniConflist(c)
	if err != nil {
		return nil, "", err
	}
	files := map[string][]byte{
		c.kubeconfig():     kubeconfig,
		c.containerdConf(): []byte(containerdTOML(c)),
		c.kubeletConf():    []byte(kubeletYAML(c)),
		c.proxyConf():      []byte(proxyYAML(c)),
		filepath.Join(c.cniConfDir(), "10-sei-fleet.conflist"): cni,
	}
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, "", err
		}
	}
	return c, upstream, nil
}

func startSupervisor(self, role string, stdin *os.File, c *config) (*proc.Process, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return proc.Start(proc.Spec{
		Name: "node " + c.Name, Path: self, Env: []string{role, envConfig + "=" + string(raw)},
		LogPath: filepath.Join(c.LogDir, "supervisor.log"), Stdin: stdin,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS,
		},
	})
}

// forward carries the kubelet's and kube-proxy's apiserver connections out of the node.
func (n *Node) forward(upstream string) {
	defer n.wg.Done()
	for {
		in, err := n.listener.Accept()
		if err != nil {
			return
		}
		go func() {
			defer func() { _ = in.Close() }()
			out, err := net.DialTimeout("tcp", upstream, 5*time.Second)
			if err != nil {
				return
			}
			defer func() { _ = out.Close() }()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
			go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
			<-done
		}()
	}
}

// Running says whether the node's supervisor is alive.
func (n *Node) Running() bool { return n.sup != nil && n.sup.Running() }

// Stop ends the node: the supervisor stops its daemons and exits, which ends every process left in
// its namespaces; its mounts vanish with the mount namespace. Then the node's folder is removed.
func (n *Node) Stop() {
	if n.sup != nil {
		_ = n.sup.Stop(30 * time.Second)
	}
	if n.listener != nil {
		_ = n.listener.Close()
		n.wg.Wait()
	}
	sweepCgroups()
	if n.dir != "" {
		_ = removeAll(n.dir)
	}
}

// removeAll removes a node folder; containerd leaves read-only directories in its snapshots.
func removeAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}
