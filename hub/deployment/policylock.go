package deployment

import (
	"context"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// policyLocks serialise the reconciles of deployments under one capped policy. maxNodesPerCluster
// counts the nodes of every deployment under the policy: two workers deciding at once from the same
// usage could each fill a cluster's last place. Deployments under uncapped policies, or other
// policies, run in parallel.
type policyLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// lock takes the lock of dep's policy when that policy caps nodes per cluster, and returns its release.
func (p *policyLocks) lock(ctx context.Context, reader client.Reader, dep *seiv1alpha1.SeiNodeDeployment) func() {
	name := dep.Spec.Placement.PolicyName
	pol := &seiv1alpha1.SeiPlacementPolicy{}
	if name == "" || reader.Get(ctx, client.ObjectKey{Name: name}, pol) != nil || pol.Spec.MaxNodesPerCluster == nil {
		return func() {} // a missing policy places nothing; evaluate reports it
	}
	p.mu.Lock()
	if p.locks == nil {
		p.locks = map[string]*sync.Mutex{}
	}
	l := p.locks[name]
	if l == nil {
		l = &sync.Mutex{}
		p.locks[name] = l
	}
	p.mu.Unlock()
	l.Lock()
	return l.Unlock
}
