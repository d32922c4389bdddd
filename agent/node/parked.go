package node

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// resumeBackoff is how long after starting a resume plan the agent waits before starting another
// for the same sidecar: one that keeps failing mark-ready is not asked again every reconcile. A new
// pod or a restarted sidecar is released at once.
const resumeBackoff = time.Minute

// parked reports whether a running node's seid waits at its start gate with nothing to release it,
// and names the sidecar that would release it (pod UID and the sidecar container's restart count).
// The gate opens when the sidecar's mark-ready has run; the sidecar keeps that in memory only, so a
// pod the StatefulSet created again (an eviction, a drained or restarted host, a deleted pod) or a
// restarted sidecar container leaves seid's start script waiting for ever, with no spec change to
// start a plan. It is seen from outside: seid's container runs but is not ready, the sidecar is
// ready, and the sidecar answers healthz with "not released". pod is the node's pod from the cache
// (nil when there is none).
func (r *Reconciler) parked(ctx context.Context, node *seiv1alpha1.SeiNode, pod *corev1.Pod) (string, bool) {
	if !resumable(node) || pod == nil {
		return "", false
	}
	sidecar, waiting := tasks.WaitingSeid(pod)
	if !waiting || !r.resumes.due(string(node.UID), sidecar, r.now()) {
		return "", false
	}
	released, err := r.Sidecar(node).Healthz(ctx)
	return sidecar, err == nil && !released
}

// resumable: a node whose parked seid the agent may release. A node with a halt height never is: after
// its halt the gate is shut on purpose (seid on the old image must not start past the height), and
// only the upgrade's switch, or its cancel, moves it on.
func resumable(node *seiv1alpha1.SeiNode) bool {
	return node.Status.Phase == seiv1alpha1.NodeRunning && !node.Spec.Paused && node.DeletionTimestamp.IsZero() &&
		node.Spec.HaltHeight == 0 && node.Status.HaltedAt == 0
}

// cachedPod is the node's pod from the cache, or nil when there is none (or it cannot be read).
func (r *Reconciler) cachedPod(ctx context.Context, node *seiv1alpha1.SeiNode) *corev1.Pod {
	pod := &corev1.Pod{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: node.Namespace, Name: resources.PodName(node)}, pod); err != nil {
		return nil
	}
	return pod
}

// resumeBook remembers each node's last resume plan: for which sidecar, and when it started; workers
// share it.
type resumeBook struct {
	mu   sync.Mutex
	last map[string]resume
}

type resume struct {
	sidecar string
	at      time.Time
}

// due reports whether a resume plan may start for node uid's sidecar at now.
func (b *resumeBook) due(uid, sidecar string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.last[uid]
	return !ok || r.sidecar != sidecar || now.Sub(r.at) >= resumeBackoff
}

// started records a resume plan for node uid's sidecar at now.
func (b *resumeBook) started(uid, sidecar string, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		b.last = map[string]resume{}
	}
	b.last[uid] = resume{sidecar: sidecar, at: now}
}

// forget drops uid (its node is being deleted).
func (b *resumeBook) forget(uid string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.last, uid)
}
