package deployment

import (
	"context"
	"fmt"
	"maps"
	"sync"

	toolscache "k8s.io/client-go/tools/cache"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// policyUsage keeps, per placement policy, how many records each cluster holds. A count stays valid
// until a record under that policy is created or deleted, or changes its labels or cluster: status
// changes, nearly every event in a large fleet, leave it valid. Without it every reconcile of every
// deployment listed every record under its policy (at 10,000 nodes, 58% of the hub's CPU, measured).
type policyUsage struct {
	mu      sync.Mutex
	watched bool              // counts are kept only while record events bump gen
	gen     map[string]uint64 // per policy, bumped by each change that moves a count
	counts  map[string]usageCount
}

type usageCount struct {
	gen        uint64
	perCluster map[string]int
}

// watch bumps a policy's generation on every record event that can change its counts.
func (u *policyUsage) watch(informer crcache.Informer) error {
	_, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) { u.bump(o) },
		UpdateFunc: func(oldObj, newObj any) {
			o, okOld := oldObj.(*seiv1alpha1.SeiNode)
			n, okNew := newObj.(*seiv1alpha1.SeiNode)
			if okOld && okNew && o.Spec.ClusterName == n.Spec.ClusterName && maps.Equal(o.Labels, n.Labels) {
				return
			}
			u.bump(oldObj)
			u.bump(newObj)
		},
		DeleteFunc: func(o any) {
			if tomb, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = tomb.Obj
			}
			u.bump(o)
		},
	})
	if err != nil {
		return fmt.Errorf("watch SeiNode records for policy usage: %w", err)
	}
	u.mu.Lock()
	u.watched = true
	u.mu.Unlock()
	return nil
}

func (u *policyUsage) bump(o any) {
	n, ok := o.(*seiv1alpha1.SeiNode)
	if !ok {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.gen == nil {
		u.gen = map[string]uint64{}
	}
	u.gen[n.Labels[seiv1alpha1.LabelPolicy]]++
}

// of returns the records per cluster under policy, from the cache; the caller must not change it.
func (u *policyUsage) of(ctx context.Context, c client.Reader, policy string) (map[string]int, error) {
	u.mu.Lock()
	watched, gen := u.watched, u.gen[policy]
	if cnt, ok := u.counts[policy]; watched && ok && cnt.gen == gen {
		u.mu.Unlock()
		return cnt.perCluster, nil
	}
	u.mu.Unlock()
	all := &seiv1alpha1.SeiNodeList{}
	// Read-only: the cache's own objects, not copies of them.
	if err := c.List(ctx, all, client.MatchingLabels{seiv1alpha1.LabelPolicy: policy}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list SeiNodes under policy %s: %w", policy, err)
	}
	perCluster := map[string]int{}
	for i := range all.Items {
		perCluster[all.Items[i].Spec.ClusterName]++
	}
	if watched {
		// gen was read before the list: a change since then bumps it, and the next call counts again.
		u.mu.Lock()
		if u.counts == nil {
			u.counts = map[string]usageCount{}
		}
		u.counts[policy] = usageCount{gen: gen, perCluster: perCluster}
		u.mu.Unlock()
	}
	return perCluster, nil
}
