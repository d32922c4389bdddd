package node

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// DefaultStallAfter is how long a running node's height may stand still before it no longer counts as
// caught up: long enough for a few missed reads and a slow block, short enough that a rollout does
// not go on past a stuck node.
const DefaultStallAfter = 2 * time.Minute

// catchUpRecheck bounds the interval between reads while a node is not caught up: a rollout waits
// on it, and blocks come every second or so.
const catchUpRecheck = 5 * time.Second

// progress is what the agent has seen of one node's chain since its seid container last started.
type progress struct {
	// incarnation names the seid container the reads came from (pod UID and restart count): a
	// restarted seid must show progress again.
	incarnation string
	// height is the highest height read from this incarnation.
	height int64
	// advanced: two reads of this incarnation showed the height grow.
	advanced bool
	// since is when the height last grew, or when the incarnation was first seen.
	since time.Time
}

// verdict is the CaughtUp condition one read leads to.
type verdict struct {
	status  metav1.ConditionStatus
	reason  string
	message string
}

// judge folds one read (its answer or its error) into p and says what CaughtUp is now. keep is set
// when a failed read says nothing new: the condition stays as it was until the stall window ends,
// so one lost answer does not flip Ready.
func judge(p progress, st ChainStatus, readErr error, now time.Time, stall time.Duration) (next progress, v verdict, keep bool) {
	stalledFor := now.Sub(p.since)
	if readErr != nil {
		switch {
		case stalledFor > stall:
			return p, verdict{metav1.ConditionFalse, seiv1alpha1.ReasonHeightStalled,
				fmt.Sprintf("no advance past height %d for %s; seid's RPC: %v", p.height, stalledFor.Round(time.Second), readErr)}, false
		case !p.advanced:
			// A condition still standing is from before this seid started: it says nothing of this one.
			return p, verdict{metav1.ConditionFalse, seiv1alpha1.ReasonWaitingForBlocks,
				fmt.Sprintf("waiting for seid's RPC: %v", readErr)}, false
		}
		return p, verdict{}, true
	}
	if st.Height > p.height {
		p.advanced = p.advanced || p.height > 0
		p.height, p.since, stalledFor = st.Height, now, 0
	}
	switch {
	case st.CatchingUp:
		return p, verdict{metav1.ConditionFalse, seiv1alpha1.ReasonCatchingUp, fmt.Sprintf("catching up at height %d", st.Height)}, false
	case stalledFor > stall:
		return p, verdict{metav1.ConditionFalse, seiv1alpha1.ReasonHeightStalled,
			fmt.Sprintf("height %d has not advanced for %s", p.height, stalledFor.Round(time.Second))}, false
	case !p.advanced:
		return p, verdict{metav1.ConditionFalse, seiv1alpha1.ReasonWaitingForBlocks,
			fmt.Sprintf("at height %d; waiting to see it advance since seid started", st.Height)}, false
	}
	return p, caughtUpAt(p.height), false
}

func caughtUpAt(height int64) verdict {
	return verdict{metav1.ConditionTrue, seiv1alpha1.ReasonCaughtUp, fmt.Sprintf("at height %d", height)}
}

func setCaughtUpCondition(node *seiv1alpha1.SeiNode, v verdict) {
	meta.SetStatusCondition(&node.Status.Conditions, metav1.Condition{
		Type: seiv1alpha1.NodeCaughtUp, Status: v.status, Reason: v.reason, Message: v.message, ObservedGeneration: node.Generation,
	})
}

// progressBook holds each running node's progress; workers share it.
type progressBook struct {
	mu sync.Mutex
	m  map[string]progress
}

func (b *progressBook) get(uid string) (progress, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.m[uid]
	return p, ok
}

func (b *progressBook) put(uid string, p progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]progress{}
	}
	b.m[uid] = p
}

func (b *progressBook) forget(uid string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, uid)
}

// observeChain reads a running node's height and catching_up into status and the CaughtUp condition,
// and says when to read again: soon while the node is not caught up, on the height interval after.
// An unreachable RPC changes nothing until the stall window ends. pod is the node's pod from the cache
// (nil when there is none).
func (r *Reconciler) observeChain(ctx context.Context, node *seiv1alpha1.SeiNode, pod *corev1.Pod) ctrl.Result {
	if r.HeightInterval <= 0 || node.Status.Phase != seiv1alpha1.NodeRunning || node.Spec.Paused {
		r.progress.forget(string(node.UID))
		return ctrl.Result{}
	}
	now := r.now()
	incarnation, started := seidIncarnation(pod)
	p, ok := r.progress.get(string(node.UID))
	if !ok || p.incarnation != incarnation {
		p = progress{incarnation: incarnation, since: now}
		// An agent that restarts keeps a caught-up node caught up, when the condition was established
		// after this seid started (so from its reads).
		if c := meta.FindStatusCondition(node.Status.Conditions, seiv1alpha1.NodeCaughtUp); !ok && c != nil &&
			c.Status == metav1.ConditionTrue && !started.IsZero() && started.Before(c.LastTransitionTime.Time) {
			p.advanced, p.height = true, node.Status.Height
		}
	}
	st, err := r.Height(ctx, node)
	if errors.Is(err, ErrHeightRefused) {
		ctrl.LoggerFrom(ctx).Info("Block height refused", "reason", err.Error())
	} else if err != nil {
		ctrl.LoggerFrom(ctx).V(2).Info("Block height not available", "reason", err.Error())
	}
	p, v, keep := judge(p, st, err, now, r.stallAfter())
	r.progress.put(string(node.UID), p)
	if err == nil && st.Height > 0 {
		node.Status.Height = st.Height
	}
	if !keep {
		setCaughtUpCondition(node, v)
	}
	if meta.IsStatusConditionTrue(node.Status.Conditions, seiv1alpha1.NodeCaughtUp) {
		return ctrl.Result{RequeueAfter: r.HeightInterval}
	}
	return ctrl.Result{RequeueAfter: min(r.HeightInterval, catchUpRecheck)}
}

// seidIncarnation names the seid container now running in pod and when it started; "" and zero when
// there is no pod.
func seidIncarnation(pod *corev1.Pod) (string, time.Time) {
	if pod == nil {
		return "", time.Time{}
	}
	for _, s := range pod.Status.ContainerStatuses {
		if s.Name != resources.ContainerSeid {
			continue
		}
		var started time.Time
		if s.State.Running != nil {
			started = s.State.Running.StartedAt.Time
		}
		return string(pod.UID) + "/" + strconv.Itoa(int(s.RestartCount)), started
	}
	return string(pod.UID), time.Time{}
}

func (r *Reconciler) stallAfter() time.Duration {
	if r.StallAfter > 0 {
		return r.StallAfter
	}
	return DefaultStallAfter
}
