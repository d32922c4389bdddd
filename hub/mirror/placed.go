package mirror

import (
	"context"
	"fmt"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// notPlacedError: a validator record names another cluster than the one its deployment placed the
// validator on. Only a place plan moves a validator, after the old cluster confirmed its copy gone,
// and it records the move in the deployment first; anything else that changes spec.clusterName (a
// user's edit, a tool that rewrites records) would make the mirror start a second copy of the key
// while the first may still sign.
type notPlacedError struct {
	cluster, placed string
}

func (e *notPlacedError) Error() string {
	if e.placed == "" {
		return fmt.Sprintf("its deployment has not placed this validator yet: no copy is created on %s", e.cluster)
	}
	return fmt.Sprintf("its deployment placed this validator on %s (status.validatorPlacements), not %s: no copy is created on %s; "+
		"only the hub moves a validator, after %s confirmed its copy gone", e.placed, e.cluster, e.cluster, e.placed)
}

// placedHere checks, before a validator's copy is created, that the deployment controlling the record
// placed it on the record's cluster. The deployment is read uncached: after a move the cache may still
// hold the old placement, which only delays the new copy. Records no deployment controls (a validator
// a user runs by hand) are the user's to place.
func (r *Reconciler) placedHere(ctx context.Context, record *seiv1alpha1.SeiNode) error {
	owner, ord, dep, err := r.validatorDeployment(ctx, record)
	switch {
	case err != nil:
		return err
	case owner == nil:
		return nil
	case ord < 0 || dep == nil:
		return &notPlacedError{cluster: record.Spec.ClusterName}
	}
	placed := ""
	if p := dep.Status.PlacementOf(ord); p != nil {
		placed = p.Cluster
	}
	if dep.UID != owner.UID || placed != record.Spec.ClusterName {
		return &notPlacedError{cluster: record.Spec.ClusterName, placed: placed}
	}
	return nil
}

// validatorDeployment reads, uncached, the SeiNodeDeployment that controls a validator record, with
// the record's ordinal (-1 when its label does not parse). owner is nil for a record that is not a
// validator's or that no deployment controls; dep is nil when that deployment is gone. A deployment
// read uncached cannot look alive while it is being deleted, nor hold a placement the hub changed.
func (r *Reconciler) validatorDeployment(ctx context.Context, record *seiv1alpha1.SeiNode) (*metav1.OwnerReference, int, *seiv1alpha1.SeiNodeDeployment, error) {
	owner := metav1.GetControllerOf(record)
	if record.Spec.Validator == nil || owner == nil || owner.Kind != "SeiNodeDeployment" {
		return nil, -1, nil, nil
	}
	ord, err := strconv.Atoi(record.Labels[seiv1alpha1.LabelOrdinal])
	if err != nil {
		ord = -1
	}
	dep := &seiv1alpha1.SeiNodeDeployment{}
	key := client.ObjectKey{Namespace: record.Namespace, Name: owner.Name}
	if err := r.Manager.GetLocalManager().GetAPIReader().Get(ctx, key, dep); err != nil {
		if apierrors.IsNotFound(err) {
			return owner, ord, nil, nil
		}
		return nil, -1, nil, fmt.Errorf("read SeiNodeDeployment %s of validator %s: %w", key, record.Name, err)
	}
	return owner, ord, dep, nil
}
