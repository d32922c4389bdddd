// Package cluster completes a member cluster whose kube-apiserver already runs: it adds the
// controllers an apiserver alone lacks (kube-controller-manager, kube-scheduler), one real node
// (dataplane/node), a default StorageClass whose volumes are directories on the node
// (dataplane/provisioner) and the images its pods use, loaded into the node's containerd as
// `kind load` does.
package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sei-protocol/sei-fleet/dataplane/fabric"
	"github.com/sei-protocol/sei-fleet/dataplane/images"
	"github.com/sei-protocol/sei-fleet/dataplane/node"
	"github.com/sei-protocol/sei-fleet/dataplane/proc"
	"github.com/sei-protocol/sei-fleet/dataplane/provisioner"
)

// Options describe one member's data plane.
type Options struct {
	// Name of the member; its node is "<name>-node".
	Name string
	// Dir holds the cluster's state and logs.
	Dir string
	// BinDir has kubelet, kube-proxy, kube-controller-manager and kube-scheduler.
	BinDir string
	Fabric *fabric.Fabric
	// Kubeconfig is an admin kubeconfig of the member's apiserver.
	Kubeconfig []byte
	// Images are layout tarballs loaded into the node before Start returns.
	Images []string
	// WithoutProvisioner leaves claims unbound: no provisioner, no default StorageClass.
	WithoutProvisioner bool
}

// Cluster is a running member data plane.
type Cluster struct {
	Name string
	Node *node.Node
	dir  string
	ctrl []*proc.Process
	prov *provisioner.Provisioner
}

// Start starts the controllers, the provisioner and the node, and loads the images.
func Start(ctx context.Context, o Options) (_ *Cluster, err error) {
	c := &Cluster{Name: o.Name, dir: o.Dir}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	logs := filepath.Join(o.Dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(o.Dir, "admin.kubeconfig")
	if err := os.WriteFile(kubeconfig, o.Kubeconfig, 0o600); err != nil {
		return nil, err
	}
	for _, s := range controllers(o.BinDir, kubeconfig, o.Fabric.ClusterCIDR()) {
		s.LogPath = filepath.Join(logs, s.Name+".log")
		p, err := proc.Start(s)
		if err != nil {
			return nil, err
		}
		c.ctrl = append(c.ctrl, p)
	}
	nodeName, nodeDir := o.Name+"-node", filepath.Join(o.Dir, "node")
	if !o.WithoutProvisioner {
		// Volumes live in the node's folder, as on its disk; the kubelet sees the host's paths.
		volumes, err := filepath.Abs(filepath.Join(nodeDir, "volumes"))
		if err != nil {
			return nil, err
		}
		c.prov, err = provisioner.Start(ctx, provisioner.Options{Kubeconfig: kubeconfig,
			Dirs: func(n string) (string, bool) { return volumes, n == nodeName }})
		if err != nil {
			return nil, err
		}
	}
	c.Node, err = node.Start(ctx, node.Options{
		Name: nodeName, Dir: nodeDir, BinDir: o.BinDir, Fabric: o.Fabric, Kubeconfig: o.Kubeconfig,
	})
	if err != nil {
		return nil, err
	}
	for _, img := range o.Images {
		if err := c.Load(ctx, img); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// controllers are kube-controller-manager and kube-scheduler on the host, talking to the apiserver
// directly. They serve nothing (secure port 0) so clusters never compete for ports.
func controllers(binDir, kubeconfig, clusterCIDR string) []proc.Spec {
	return []proc.Spec{
		{Name: "kube-controller-manager", Path: filepath.Join(binDir, "kube-controller-manager"), Args: []string{
			"--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
			"--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false",
			"--cluster-cidr", clusterCIDR, "--controllers=*,-serviceaccount-token",
			// Pods on a lost node are evicted after five minutes by default; a member's only node is
			// never lost, and tests that stop it want the pods left alone.
			"--node-monitor-grace-period=1h",
		}},
		{Name: "kube-scheduler", Path: filepath.Join(binDir, "kube-scheduler"), Args: []string{
			"--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
			"--leader-elect=false", "--secure-port=0",
		}},
	}
}

// Load imports an image layout tarball into the node's containerd.
func (c *Cluster) Load(ctx context.Context, tarball string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	// An import can break off mid-stream on a loaded machine ("failed to send write: EOF", seen once
	// among four nodes importing 120 MB each at once); it is idempotent, so try again.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = images.Load(ctx, c.Node.Socket, "k8s.io", tarball); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("load %s into %s: %w", tarball, c.Name, ctx.Err())
		case <-time.After(2 * time.Second):
		}
	}
	return fmt.Errorf("load %s into %s: %w", tarball, c.Name, err)
}

// Stop stops the provisioner, the node, then the controllers, and removes the cluster's folder.
func (c *Cluster) Stop() {
	if c.prov != nil {
		c.prov.Stop()
	}
	if c.Node != nil {
		c.Node.Stop()
	}
	for _, p := range c.ctrl {
		_ = p.Stop(10 * time.Second)
	}
	if c.dir != "" {
		_ = os.RemoveAll(c.dir)
	}
}
