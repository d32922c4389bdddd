package tasks

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// WaitingSeid: the pod is not being deleted, and its seid container runs but is not ready beside a
// ready sidecar (the only state in which seid's start script can be waiting for the sidecar to release
// it). It names that sidecar: pod UID and restart count.
func WaitingSeid(pod *corev1.Pod) (string, bool) {
	seidWaits, sidecarUp, restarts := false, false, int32(0)
	for _, s := range pod.Status.ContainerStatuses {
		if s.Name == resources.ContainerSeid {
			seidWaits = s.State.Running != nil && !s.Ready
		}
	}
	for _, s := range pod.Status.InitContainerStatuses {
		if s.Name == resources.ContainerSidecar {
			sidecarUp = s.State.Running != nil && s.Ready
			restarts = s.RestartCount
		}
	}
	return fmt.Sprintf("%s/%d", pod.UID, restarts), pod.DeletionTimestamp.IsZero() && seidWaits && sidecarUp
}

// releaseReplaced releases the seid of a pod that came up while await-rollout waited: the plan's
// mark-ready released the pod before it, and the sidecar keeps a release in memory only, so a pod
// the StatefulSet created again (an eviction, a deleted pod) or a restarted sidecar would hold seid
// at its gate for ever (a state-sync joiner waits here for as long as it syncs). Only a pod at the
// StatefulSet's update revision is released: the plan's mark-ready meant that revision, never an
// older one (which could be an old image past a halt height). The mark-ready's ID names the plan's
// task and the sidecar (pod UID, restart count): the sidecar keeps finished tasks by ID on the data
// volume and would answer an ID it has run as done without releasing anything. It reports whether
// it asked the sidecar for a release that has not finished yet.
func releaseReplaced(ctx context.Context, env *Env, p *seiv1alpha1.PlannedTask, sts *appsv1.StatefulSet) (bool, error) {
	if sts.Status.ObservedGeneration < sts.Generation || sts.Status.UpdateRevision == "" {
		return false, nil // the cache's StatefulSet is behind: its update revision may be the old one
	}
	pod, err := nodePod(ctx, env.Client, env)
	if err != nil || pod == nil || pod.Labels[appsv1.StatefulSetRevisionLabel] != sts.Status.UpdateRevision {
		return false, err
	}
	holder, waiting := WaitingSeid(pod)
	if !waiting {
		return false, nil
	}
	released, err := env.Sidecar.Healthz(ctx)
	if err != nil || released {
		return false, nil //nolint:nilerr // an unreachable sidecar is looked at again on the pod's next change
	}
	done, err := sidecar.Run(ctx, env.Sidecar, sidecar.Task{ID: planner.ID("release", p.ID, holder), Type: sidecar.TaskTypeMarkReady, Params: []byte("{}")})
	if err != nil {
		return false, fmt.Errorf("release the seid of pod %s: %w", pod.Name, err)
	}
	return !done, nil
}
