// Package heartbeat keeps the agent's heartbeat: a Lease in the agent's namespace, renewed on an
// interval, whose holder names the member cluster the agent runs in. The hub (hub/clusters) reads it
// to tell a live member from one whose agent or apiserver is gone, and to catch a kubeconfig Secret
// that points at the wrong cluster.
package heartbeat

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;create;update,namespace=sei-fleet-system

// Heartbeat renews the Lease. It is a manager Runnable that runs only on the elected agent.
type Heartbeat struct {
	// Client writes the Lease; an uncached client is enough.
	Client client.Client
	// Namespace of the Lease (the agent's namespace).
	Namespace string
	// ClusterName is written as the Lease's holder.
	ClusterName string
	// Interval between renewals (default 10s); the Lease's duration is four intervals, so a hub sees a
	// stale heartbeat after three missed renewals.
	Interval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// NeedLeaderElection: only the active agent speaks for the cluster.
func (h *Heartbeat) NeedLeaderElection() bool { return true }

// Start renews until ctx ends. Failures are logged and retried on the next tick; a missed renewal is
// exactly what the hub should see.
func (h *Heartbeat) Start(ctx context.Context) error {
	log := ctrl.LoggerFrom(ctx).WithName("heartbeat")
	wait.NonSlidingUntilWithContext(ctx, func(ctx context.Context) {
		if err := h.Renew(ctx); err != nil && ctx.Err() == nil {
			log.Error(err, "Renew heartbeat Lease")
		}
	}, h.interval())
	return nil
}

// Renew writes one heartbeat.
func (h *Heartbeat) Renew(ctx context.Context) error {
	now := metav1.NewMicroTime(h.now())
	key := types.NamespacedName{Namespace: h.Namespace, Name: seiv1alpha1.AgentHeartbeatLease}
	duration := int32(4 * h.interval() / time.Second)
	lease := &coordinationv1.Lease{}
	err := h.Client.Get(ctx, key, lease)
	if apierrors.IsNotFound(err) {
		lease = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name,
				Labels: map[string]string{seiv1alpha1.LabelCluster: h.ClusterName}},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity: ptr.To(h.ClusterName), LeaseDurationSeconds: ptr.To(duration),
				AcquireTime: &now, RenewTime: &now,
			},
		}
		if err := h.Client.Create(ctx, lease); err != nil {
			return fmt.Errorf("create heartbeat Lease %s: %w", key, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("get heartbeat Lease %s: %w", key, err)
	}
	lease.Spec.HolderIdentity = ptr.To(h.ClusterName)
	lease.Spec.LeaseDurationSeconds = ptr.To(duration)
	lease.Spec.RenewTime = &now
	if err := h.Client.Update(ctx, lease); err != nil {
		return fmt.Errorf("renew heartbeat Lease %s: %w", key, err)
	}
	return nil
}

func (h *Heartbeat) interval() time.Duration {
	if h.Interval > 0 {
		return h.Interval
	}
	return 10 * time.Second
}

func (h *Heartbeat) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
