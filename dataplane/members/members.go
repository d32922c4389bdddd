// Package members runs the data plane of several member clusters at once: one fabric they all join
// (so each member's node reaches the others' node addresses, as regions reach each other over the
// internet) and one dataplane/cluster per member, started in parallel, with the same images loaded
// into every member's runtime.
package members

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/sei-protocol/sei-fleet/dataplane/cluster"
	"github.com/sei-protocol/sei-fleet/dataplane/fabric"
	"github.com/sei-protocol/sei-fleet/dataplane/images"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// Member is one member cluster whose kube-apiserver runs.
type Member struct {
	Name string
	// Kubeconfig is an admin kubeconfig of its apiserver.
	Kubeconfig []byte
}

// Options describe the data plane.
type Options struct {
	Members []Member
	// Dir holds every member's state and logs, one folder per member.
	Dir string
	// BinDir has kubelet, kube-proxy, kube-controller-manager and kube-scheduler.
	BinDir string
	// Images are layout tarballs loaded into every member (the pause image is always added).
	Images []string
}

// DataPlane is the members' running data plane.
type DataPlane struct {
	Fabric   *fabric.Fabric
	Clusters map[string]*cluster.Cluster
}

// Start starts the fabric and every member's cluster. On error, whatever started is stopped.
func Start(ctx context.Context, o Options) (_ *DataPlane, err error) {
	if len(o.Members) > fabric.MaxNodes {
		return nil, fmt.Errorf("a fabric holds %d nodes, got %d members", fabric.MaxNodes, len(o.Members))
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	pause, err := images.BuildPause(ctx, filepath.Join(o.Dir, "pause.tar"))
	if err != nil {
		return nil, err
	}
	fab, err := fabric.New()
	if err != nil {
		return nil, err
	}
	d := &DataPlane{Fabric: fab, Clusters: map[string]*cluster.Cluster{}}
	defer func() {
		if err != nil {
			d.Stop()
		}
	}()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	for _, m := range o.Members {
		// What a killed run left (its nodes died with their namespaces; their files did not).
		if err := os.RemoveAll(filepath.Join(o.Dir, m.Name)); err != nil {
			return nil, fmt.Errorf("remove the state a previous run left for %s: %w", m.Name, err)
		}
	}
	for _, m := range o.Members {
		wg.Go(func() {
			c, err := cluster.Start(ctx, cluster.Options{
				Name: m.Name, Dir: filepath.Join(o.Dir, m.Name), BinDir: o.BinDir, Fabric: fab,
				Kubeconfig: m.Kubeconfig, Images: append([]string{pause.Path}, o.Images...),
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("member %s: %w", m.Name, err))
				return
			}
			d.Clusters[m.Name] = c
		})
	}
	wg.Wait()
	return d, aggregate.Join(errs...)
}

// Load imports an image into every member, as `kind load` does.
func (d *DataPlane) Load(ctx context.Context, tarball string) error {
	var errs []error
	for _, c := range d.Clusters {
		errs = append(errs, c.Load(ctx, tarball))
	}
	return aggregate.Join(errs...)
}

// Stop stops every member's cluster, then the fabric.
func (d *DataPlane) Stop() {
	var wg sync.WaitGroup
	for _, c := range d.Clusters {
		wg.Go(c.Stop)
	}
	wg.Wait()
	if d.Fabric != nil {
		d.Fabric.Close()
	}
}
