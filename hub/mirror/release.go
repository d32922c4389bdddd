package mirror

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/member"
	"github.com/sei-protocol/sei-fleet/internal/kube"
)

// release handles a deleted record per its deletion policy, then drops its finalizer.
func (r *Reconciler) release(ctx context.Context, record *seiv1alpha1.SeiNode) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(record, seiv1alpha1.FinalizerNodeRecord) {
		return ctrl.Result{}, nil
	}
	done, reason, msg, err := r.releaseMember(ctx, record)
	if err != nil || !done {
		if record.Annotations[seiv1alpha1.AnnotationReleaseMember] == "true" {
			ctrl.LoggerFrom(ctx).Info("Releasing record of an unreachable member on an admin's request", "reason", msg)
			return r.dropFinalizer(ctx, record)
		}
		before := record.DeepCopy()
		if err != nil {
			reason, msg = seiv1alpha1.ReasonMemberUnreachable, err.Error()
		}
		setSynced(record, false, reason, msg+
			"; the record is kept until this is done, or until an admin annotates it "+seiv1alpha1.AnnotationReleaseMember+"=true")
		if _, perr := kube.PatchStatus(ctx, r.Manager.GetLocalManager().GetClient(), before, record, nodeStatus); perr != nil {
			return ctrl.Result{}, perr
		}
		return ctrl.Result{RequeueAfter: r.retry()}, nil
	}
	return r.dropFinalizer(ctx, record)
}

// releaseMember deletes or orphans the member copy. It reports done when nothing is left to do, or a
// reason and message saying what it waits for: MemberUnreachable when the member cannot be reached,
// Releasing while a reachable member's agent tears the node down.
func (r *Reconciler) releaseMember(ctx context.Context, record *seiv1alpha1.SeiNode) (bool, string, string, error) {
	cl, err := r.Manager.GetCluster(ctx, multicluster.ClusterName(record.Spec.ClusterName))
	if err != nil {
		return false, seiv1alpha1.ReasonMemberUnreachable,
			fmt.Sprintf("member cluster %s is not reachable: its copy of the node cannot be released", record.Spec.ClusterName), nil
	}
	// "Not found" on another cluster than the pinned one would release a record whose copy runs on.
	if err := r.Identity.VerifyIdentity(ctx, record.Spec.ClusterName); err != nil {
		return false, seiv1alpha1.ReasonMemberUnreachable,
			fmt.Sprintf("member cluster %s could not be verified (%v): its copy of the node cannot be released", record.Spec.ClusterName, err), nil
	}
	reader := cl.GetAPIReader()
	memberCopy := &seiv1alpha1.SeiNode{}
	if err := reader.Get(ctx, client.ObjectKeyFromObject(record), memberCopy); err != nil {
		if apierrors.IsNotFound(err) {
			return true, "", "", nil
		}
		return false, "", "", fmt.Errorf("member cluster %s: read copy of the node: %w", record.Spec.ClusterName, err)
	}
	if record.Annotations[seiv1alpha1.AnnotationDeletionPolicy] != string(seiv1alpha1.DeletionDelete) {
		if err := member.Orphan(ctx, cl.GetClient(), memberCopy, r.now().UTC().Format(time.RFC3339)); err != nil {
			return false, "", "", err
		}
		ctrl.LoggerFrom(ctx).Info("Orphaned member copy (deletion policy Retain): it keeps running")
		return true, "", "", nil
	}
	if memberCopy.DeletionTimestamp.IsZero() {
		ctrl.LoggerFrom(ctx).Info("Deleting member copy (deletion policy Delete)")
		if err := cl.GetClient().Delete(ctx, memberCopy); err != nil && !apierrors.IsNotFound(err) {
			return false, "", "", fmt.Errorf("member cluster %s: delete copy of the node: %w", record.Spec.ClusterName, err)
		}
	}
	return false, seiv1alpha1.ReasonMemberReleasing,
		fmt.Sprintf("waiting for the agent on %s to confirm the node is gone", record.Spec.ClusterName), nil
}

func (r *Reconciler) dropFinalizer(ctx context.Context, record *seiv1alpha1.SeiNode) (ctrl.Result, error) {
	if err := kube.SetFinalizer(ctx, r.Manager.GetLocalManager().GetClient(), record, seiv1alpha1.FinalizerNodeRecord, false); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}
