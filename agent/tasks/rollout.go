package tasks

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// replacePod deletes the node's pod when it runs an older revision than the StatefulSet's update
// revision (the StatefulSet uses OnDelete, so only this makes a new template take effect). It does not
// wait for the new pod: await-rollout does.
func replacePod(ctx context.Context, env *Env) (planner.Result, error) {
	// Uncached reads: right after apply-statefulset the cache may still show the old generation with
	// its old revision, and the pod would look up to date.
	sts, err := statefulSet(ctx, env.Reader, env)
	if err != nil || sts == nil {
		return planner.Result{}, err
	}
	if sts.Status.ObservedGeneration < sts.Generation {
		return planner.Watching() // the controller has not computed the new revision yet
	}
	pod, err := nodePod(ctx, env.Reader, env)
	if err != nil {
		return planner.Result{}, err
	}
	if pod == nil {
		return planner.Done() // nothing to replace: the StatefulSet creates the pod at the new revision
	}
	if pod.Labels[appsv1.StatefulSetRevisionLabel] == sts.Status.UpdateRevision || !pod.DeletionTimestamp.IsZero() {
		return planner.Done()
	}
	if err := env.Client.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); err != nil && !apierrors.IsNotFound(err) {
		return planner.Result{}, fmt.Errorf("delete pod %s: %w", client.ObjectKeyFromObject(pod), err)
	}
	return planner.Done()
}

// currentPod reports whether the node's pod exists, is not terminating and runs the StatefulSet's
// update revision (read uncached, as replacePod does).
func currentPod(ctx context.Context, env *Env) (bool, error) {
	sts, err := statefulSet(ctx, env.Reader, env)
	if err != nil || sts == nil {
		return false, err
	}
	if sts.Status.ObservedGeneration < sts.Generation || sts.Status.UpdateRevision == "" {
		return false, nil
	}
	pod, err := nodePod(ctx, env.Reader, env)
	if err != nil || pod == nil {
		return false, err
	}
	return pod.DeletionTimestamp.IsZero() && pod.Labels[appsv1.StatefulSetRevisionLabel] == sts.Status.UpdateRevision, nil
}

// nodePod reads the node's pod through r (env.Reader: the apiserver; env.Client: the cache); nil when
// there is none.
func nodePod(ctx context.Context, r client.Reader, env *Env) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	key := client.ObjectKey{Namespace: env.Node.Namespace, Name: resources.PodName(env.Node)}
	if err := r.Get(ctx, key, pod); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("get pod %s: %w", key, err)
	}
	return pod, nil
}

// awaitRollout waits until the StatefulSet has rolled its pod to the current template and the pod is
// ready, then stamps the image the node now runs. A pod that came up meanwhile with seid held at its
// gate is released (releaseReplaced).
func awaitRollout(ctx context.Context, env *Env, p *seiv1alpha1.PlannedTask) (planner.Result, error) {
	sts, err := statefulSet(ctx, env.Client, env)
	if err != nil || sts == nil {
		return planner.Result{}, err
	}
	want := int32(1)
	if sts.Spec.Replicas != nil {
		want = *sts.Spec.Replicas
	}
	st := sts.Status
	// Not CurrentRevision == UpdateRevision: under OnDelete the StatefulSet controller never advances
	// currentRevision (only a RollingUpdate completes), so a real cluster would wait for ever.
	rolled := st.ObservedGeneration >= sts.Generation && st.UpdateRevision != "" &&
		st.UpdatedReplicas == want && st.ReadyReplicas == want
	if !rolled {
		releasing, err := releaseReplaced(ctx, env, p, sts)
		if err != nil {
			// Not a failed rollout: the pod is there and may yet be released; look again shortly.
			ctrl.LoggerFrom(ctx).Error(err, "seid of a replaced pod not released yet")
			return planner.Polling()
		}
		if releasing {
			return planner.Polling() // a sidecar task's progress is reported to nobody
		}
		return planner.Watching() // the StatefulSet's status (and the pod's) wake the node
	}
	env.Node.Status.CurrentImage = env.Node.Spec.Image
	return planner.Done()
}

func statefulSet(ctx context.Context, r client.Reader, env *Env) (*appsv1.StatefulSet, error) {
	sts := &appsv1.StatefulSet{}
	key := client.ObjectKey{Namespace: env.Node.Namespace, Name: resources.StatefulSetName(env.Node)}
	if err := r.Get(ctx, key, sts); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("StatefulSet %s not found", key)
		}
		return nil, fmt.Errorf("get StatefulSet %s: %w", key, err)
	}
	return sts, nil
}
