package node

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// keyRecheckInterval is how often a node refused its keys looks again.
const keyRecheckInterval = 30 * time.Second

// checkKeys says why a validator may not use its key Secrets, or nil. Claims by older nodes are
// checked on every reconcile (a cache list); the minted Secrets' deployment only when a plan is about
// to start, which is when they would be read or minted (an uncached read per Secret).
func (r *Reconciler) checkKeys(ctx context.Context, node *seiv1alpha1.SeiNode) (*tasks.KeyRefusal, error) {
	if node.Spec.Validator == nil {
		return nil, nil
	}
	refusal, err := tasks.CheckKeyClaims(ctx, r.Client, node)
	if err != nil || refusal != nil {
		return refusal, err
	}
	if node.Status.Plan != nil || node.Status.Phase == "" || nextPlan(node) == "" {
		return nil, nil
	}
	return tasks.CheckMintedKeys(ctx, r.APIReader, node)
}

// stopKeyConflict deletes the StatefulSet of a node whose key Secret an older node holds, if it has
// one: two pods with one key sign twice. A node refused for another deployment's Secret never got
// a pod from those keys, so nothing is stopped then.
func (r *Reconciler) stopKeyConflict(ctx context.Context, node *seiv1alpha1.SeiNode, keys *tasks.KeyRefusal) error {
	if keys.Reason != seiv1alpha1.ReasonKeySecretInUse {
		return nil
	}
	sts := &appsv1.StatefulSet{}
	key := client.ObjectKey{Namespace: node.Namespace, Name: resources.StatefulSetName(node)}
	if err := r.Client.Get(ctx, key, sts); err != nil {
		return client.IgnoreNotFound(err)
	}
	if !sts.DeletionTimestamp.IsZero() {
		return nil
	}
	ctrl.LoggerFrom(ctx).Info("Deleting StatefulSet: an older node holds its key", "reason", keys.Message)
	r.Recorder.Eventf(node, nil, corev1.EventTypeWarning, keys.Reason, "StopPod", "deleting StatefulSet %s: %s", sts.Name, keys.Message)
	if err := r.Client.Delete(ctx, sts, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete StatefulSet %s: %w", key, err)
	}
	return nil
}

// announceKeyRefusal warns once per new refusal.
func (r *Reconciler) announceKeyRefusal(ctx context.Context, before, node *seiv1alpha1.SeiNode, keys *tasks.KeyRefusal) {
	if keys == nil {
		return
	}
	if old := meta.FindStatusCondition(before.Status.Conditions, seiv1alpha1.NodeIdentityReady); old != nil &&
		old.Reason == keys.Reason && old.Message == keys.Message {
		return
	}
	r.Recorder.Eventf(node, nil, corev1.EventTypeWarning, keys.Reason, "Plan", "%s", keys.Message)
	ctrl.LoggerFrom(ctx).Info("Not planning: key Secrets refused", "reason", keys.Message)
}
