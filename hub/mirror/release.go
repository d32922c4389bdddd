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

// +kubebuilder:rbac:groups=sei.io,resources=seinodedeployments,verbs=get

// release handles a deleted record per its deletion policy, then drops its finalizer. A validator
// whose deployment still wants its ordinal is the exception: its copy is left as it is.
func (r *Reconciler) release(ctx context.Context, record *seiv1alpha1.SeiNode) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(record, seiv1alpha1.FinalizerNodeRecord) {
		return ctrl.Result{}, nil
	}
	wanted, err := r.stillWanted(ctx, record)
	if err != nil {
		return ctrl.Result{}, err
	}
	if wanted {
		return r.keep(ctx, record)
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

// stillWanted: the record is a validator's, and the deployment that controls it exists, is not being
// deleted, and still has the record's ordinal. Deleting such a record (by hand, or by a tool that
// cleans up objects) is not a decision to stop the validator: the deployment writes the record again,
// on the same cluster, and takes the copy back.
func (r *Reconciler) stillWanted(ctx context.Context, record *seiv1alpha1.SeiNode) (bool, error) {
	owner, ord, dep, err := r.validatorDeployment(ctx, record)
	if err != nil || owner == nil || ord < 0 || dep == nil {
		return false, err
	}
	return dep.UID == owner.UID && dep.DeletionTimestamp.IsZero() && ord < int(dep.Spec.Replicas), nil
}

// keep lets a wanted validator's record go without touching its member copy, which keeps running with
// its volume and keys until the record is back. Where the member can be reached, the copy is told to be
// retained: a copy without a record is otherwise deleted under deletion policy Delete when the sweeper
// finds it, and this one is to be taken back, not removed.
func (r *Reconciler) keep(ctx context.Context, record *seiv1alpha1.SeiNode) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	if cl, err := r.Manager.GetCluster(ctx, multicluster.ClusterName(record.Spec.ClusterName)); err == nil {
		memberCopy := &seiv1alpha1.SeiNode{}
		err := cl.GetAPIReader().Get(ctx, client.ObjectKeyFromObject(record), memberCopy)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			log.Info("Cannot read the member copy to keep it; leaving it as it is", "reason", err.Error())
		case memberCopy.Annotations[seiv1alpha1.AnnotationDeletionPolicy] == string(seiv1alpha1.DeletionDelete):
			patch := client.MergeFrom(memberCopy.DeepCopy())
			memberCopy.Annotations[seiv1alpha1.AnnotationDeletionPolicy] = string(seiv1alpha1.DeletionRetain)
			if err := cl.GetClient().Patch(ctx, memberCopy, patch, client.FieldOwner(seiv1alpha1.FieldOwnerHub)); err != nil && !apierrors.IsNotFound(err) {
				return ctrl.Result{}, fmt.Errorf("member cluster %s: retain the copy of validator %s: %w", record.Spec.ClusterName, record.Name, err)
			}
		}
	}
	log.Info("Record of a validator its deployment still wants was deleted: keeping its member copy running; the deployment writes the record again on the same cluster")
	return r.dropFinalizer(ctx, record)
}

func (r *Reconciler) dropFinalizer(ctx context.Context, record *seiv1alpha1.SeiNode) (ctrl.Result, error) {
	if err := kube.SetFinalizer(ctx, r.Manager.GetLocalManager().GetClient(), record, seiv1alpha1.FinalizerNodeRecord, false); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}
