package clusters

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// A member's identity is the UID of its kube-system namespace: it is fixed for the life of a cluster,
// every cluster has one, and the hub may read it with the rights it has there anyway. The hub pins it
// on the ManagedCluster (seiv1alpha1.AnnotationClusterIdentity) the first time it reaches the cluster,
// and from then on a kubeconfig that reaches any other cluster under that name is refused: "not found"
// on another cluster proves nothing about the one that runs the nodes.

// IdentityError says that a member's kubeconfig reaches another cluster than the one pinned for it.
type IdentityError struct {
	// Cluster is the ManagedCluster's name.
	Cluster string
	// Pinned is the identity pinned on the ManagedCluster; Found is the one the kubeconfig reaches.
	Pinned, Found types.UID
}

func (e *IdentityError) Error() string {
	return fmt.Sprintf("cluster %s is not the cluster the hub pinned for that name: its kubeconfig reaches a cluster "+
		"whose kube-system namespace has UID %s, but ManagedCluster %s is pinned to %s (annotation %s). The kubeconfig "+
		"Secret points at another cluster, or the cluster was rebuilt; the hub places, fences and sweeps nothing there. "+
		"If it was rebuilt on purpose and no node of the old cluster can run any more, remove the annotation to pin the new one",
		e.Cluster, e.Found, e.Cluster, e.Pinned, seiv1alpha1.AnnotationClusterIdentity)
}

// IsIdentityChanged reports whether err says that a member's identity changed.
func IsIdentityChanged(err error) bool {
	var ierr *IdentityError
	return errors.As(err, &ierr)
}

// ReadIdentity reads a cluster's identity: one request, without discovery, bounded by ctx.
func ReadIdentity(ctx context.Context, cs kubernetes.Interface) (types.UID, error) {
	ns, err := cs.CoreV1().Namespaces().Get(ctx, metav1.NamespaceSystem, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("read kube-system namespace: %w", err)
	}
	return ns.UID, nil
}

// pin checks found against the identity pinned on mc, and pins found when nothing is pinned yet. The
// pin is written under an optimistic lock, so a pin set meanwhile is never overwritten.
func (p *Provider) pin(ctx context.Context, mc *clusterv1.ManagedCluster, found types.UID) error {
	pinned := types.UID(mc.Annotations[seiv1alpha1.AnnotationClusterIdentity])
	switch {
	case pinned == found:
		return nil
	case pinned != "":
		return &IdentityError{Cluster: mc.Name, Pinned: pinned, Found: found}
	}
	patch := client.MergeFromWithOptions(mc.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if mc.Annotations == nil {
		mc.Annotations = map[string]string{}
	}
	mc.Annotations[seiv1alpha1.AnnotationClusterIdentity] = string(found)
	if err := p.hub.Patch(ctx, mc, patch); err != nil {
		return fmt.Errorf("pin the identity of cluster %s on its ManagedCluster: %w", mc.Name, err)
	}
	p.log.Info("Pinned member cluster identity", "cluster", mc.Name, "identity", found)
	return nil
}

// VerifyIdentity confirms, with fresh reads through the engaged client, that name still reaches the
// cluster pinned for it — its kube-system namespace UID is the pinned one — and that the agent there
// calls itself name (its heartbeat Lease's holder). Fencing and sweeping act on a member only after
// it: an endpoint that now reaches another cluster answers "not found" for everything. A changed
// identity also disengages the cluster, with an IdentityError as the reason.
func (p *Provider) VerifyIdentity(ctx context.Context, name string) error {
	m, err := p.verifyPin(ctx, name)
	if err != nil {
		return err
	}
	key := types.NamespacedName{Namespace: p.opts.HeartbeatNamespace, Name: seiv1alpha1.AgentHeartbeatLease}
	lease, err := m.clientset.CoordinationV1().Leases(key.Namespace).Get(ctx, key.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("verify cluster %s: no agent heartbeat Lease %s there, so no agent vouches for the cluster's name", name, key)
	case err != nil:
		return fmt.Errorf("verify cluster %s: read heartbeat Lease %s: %w", name, key, err)
	}
	if holder := lease.Spec.HolderIdentity; holder == nil || *holder != name {
		got := ""
		if holder != nil {
			got = *holder
		}
		return fmt.Errorf("verify cluster %s: the agent there says it runs in cluster %q", name, got)
	}
	return nil
}

// verifyPin re-reads the identity of the engaged instance of name and compares it with the one it was
// engaged with (the pin). On a mismatch it disengages that instance.
func (p *Provider) verifyPin(ctx context.Context, name string) (*member, error) {
	m := p.member(multicluster.ClusterName(name))
	if m == nil {
		reason := p.NotEngagedReason(name)
		if reason == "" {
			reason = "not engaged"
		}
		return nil, fmt.Errorf("verify cluster %s: %w: %s", name, multicluster.ErrClusterNotFound, reason)
	}
	found, err := ReadIdentity(ctx, m.clientset)
	if err != nil {
		return nil, fmt.Errorf("verify cluster %s: %w", name, err)
	}
	if found != m.identity {
		ierr := &IdentityError{Cluster: name, Pinned: m.identity, Found: found}
		p.log.Info("Member cluster identity changed: disengaging it", "cluster", name, "pinned", m.identity, "found", found)
		p.removeIf(name, m, ierr)
		return nil, ierr
	}
	return m, nil
}
