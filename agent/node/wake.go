package node

import (
	"context"
	"io"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// genesisToNodes maps a genesis ConfigMap (the cache holds only those labelled as genesis) to the
// nodes of its namespace started from it.
func (r *Reconciler) genesisToNodes(ctx context.Context, o client.Object) []reconcile.Request {
	nodes := &seiv1alpha1.SeiNodeList{}
	if err := r.Client.List(ctx, nodes, client.InNamespace(o.GetNamespace())); err != nil {
		return nil // the nodes' own fallback requeue looks again
	}
	var reqs []reconcile.Request
	for i := range nodes.Items {
		if g := nodes.Items[i].Spec.Genesis; g != nil && g.ConfigMapName == o.GetName() {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&nodes.Items[i])})
		}
	}
	return reqs
}

// lockedReader serialises reads of r.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}
