package node

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// keepValidatorData removes a deleted validator's ownership of its data claim before the SeiNode goes,
// so the garbage collector leaves the claim and its signing state for the node's next copy. The agent
// no longer makes owned validator claims; claims an older agent made are owned, and this is where
// they are released, whether or not the node ever ran another plan. Only references to this very
// SeiNode are removed: a claim owned by anything else is not the agent's to change.
func (r *Reconciler) keepValidatorData(ctx context.Context, node *seiv1alpha1.SeiNode) error {
	if node.Spec.Validator == nil {
		return nil
	}
	key := client.ObjectKey{Namespace: node.Namespace, Name: resources.DataPVCName(node)}
	claim := &corev1.PersistentVolumeClaim{}
	if err := r.APIReader.Get(ctx, key, claim); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("get data PersistentVolumeClaim %s: %w", key, err)
	}
	owners := make([]metav1.OwnerReference, 0, len(claim.OwnerReferences))
	for _, ref := range claim.OwnerReferences {
		if ref.UID != node.UID {
			owners = append(owners, ref)
		}
	}
	if len(owners) == len(claim.OwnerReferences) {
		return nil
	}
	ctrl.LoggerFrom(ctx).Info("Releasing the validator's data PersistentVolumeClaim from the deleted node",
		"PersistentVolumeClaim", klog.KObj(claim), "reason", "its signing state must outlive the SeiNode")
	patched := claim.DeepCopy()
	patched.OwnerReferences = owners
	if err := r.Client.Patch(ctx, patched, client.MergeFromWithOptions(claim, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("release data PersistentVolumeClaim %s: %w", key, err)
	}
	return nil
}
