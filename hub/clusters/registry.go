package clusters

import (
	"context"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// The registry: one engaged instance per cluster name. Unlike multicluster-runtime's pkg/clusters, an
// instance that stops removes only itself, never a replacement registered under its name since.

// member is one engaged cluster instance.
type member struct {
	cluster cluster.Cluster
	cancel  context.CancelFunc
	hash    string
	// identity is the cluster's pinned identity, verified when the instance was engaged.
	identity types.UID
	// clientset makes the identity and heartbeat reads: typed, so they need no discovery.
	clientset kubernetes.Interface
}

type index struct {
	obj     client.Object
	field   string
	extract client.IndexerFunc
}

func (p *Provider) member(name multicluster.ClusterName) *member {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.members[name]
}

// disengage removes whatever instance is engaged as name and records why (nil clears the reason).
func (p *Provider) disengage(name string, reason error) {
	p.mu.Lock()
	m := p.members[multicluster.ClusterName(name)]
	delete(p.members, multicluster.ClusterName(name))
	if reason != nil {
		p.refused[name] = reason
	} else {
		delete(p.refused, name)
	}
	p.mu.Unlock()
	if m != nil {
		m.cancel()
		p.log.Info("Disengaged member cluster", "cluster", name, "reason", reason)
		p.notify(name)
	}
}

// removeIf removes instance m, and only m, recording reason when it was engaged.
func (p *Provider) removeIf(name string, m *member, reason error) {
	p.mu.Lock()
	removed := p.members[multicluster.ClusterName(name)] == m
	if removed {
		delete(p.members, multicluster.ClusterName(name))
		if reason != nil {
			p.refused[name] = reason
		}
	}
	p.mu.Unlock()
	m.cancel()
	if removed {
		p.notify(name)
	}
}

func (p *Provider) notify(name string) {
	if p.changed != nil {
		p.changed(name)
	}
}

// Get returns an engaged member cluster, or multicluster.ErrClusterNotFound.
func (p *Provider) Get(_ context.Context, name multicluster.ClusterName) (cluster.Cluster, error) {
	if m := p.member(name); m != nil {
		return m.cluster, nil
	}
	return nil, fmt.Errorf("cluster %s: %w", name, multicluster.ErrClusterNotFound)
}

// IndexField indexes a field on every engaged cluster, now and later.
func (p *Provider) IndexField(ctx context.Context, obj client.Object, field string, extract client.IndexerFunc) error {
	p.mu.Lock()
	p.indexers = append(p.indexers, index{obj: obj, field: field, extract: extract})
	clusters := make(map[multicluster.ClusterName]cluster.Cluster, len(p.members))
	for n, m := range p.members {
		clusters[n] = m.cluster
	}
	p.mu.Unlock()
	var errs []error
	for n, cl := range clusters {
		if err := cl.GetFieldIndexer().IndexField(ctx, obj, field, extract); err != nil {
			errs = append(errs, fmt.Errorf("index %s on cluster %s: %w", field, n, err))
		}
	}
	return aggregate.Join(errs...)
}

// Engaged returns the names of the engaged clusters, sorted.
func (p *Provider) Engaged() []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]string, 0, len(p.members))
	for n := range p.members {
		out = append(out, string(n))
	}
	sort.Strings(out)
	return out
}

// NotEngagedReason says why a registered cluster is not engaged ("" when it is, or is unknown).
func (p *Provider) NotEngagedReason(name string) string {
	if err := p.NotEngagedError(name); err != nil {
		return err.Error()
	}
	return ""
}

// NotEngagedError is why a registered cluster is not engaged (nil when it is, or is unknown); an
// IdentityError when its kubeconfig reaches another cluster than the one pinned.
func (p *Provider) NotEngagedError(name string) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.refused[name]
}
