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
	owner := metav1.GetControllerOf(record)
	if record.Spec.Validator == nil || owner == nil || owner.Kind != "SeiNodeDeployment" {
		return nil
	}
	ord, err := strconv.Atoi(record.Labels[seiv1alpha1.LabelOrdinal])
	if err != nil {
		return &notPlacedError{cluster: record.Spec.ClusterName}
	}
	dep := &seiv1alpha1.SeiNodeDeployment{}
	key := client.ObjectKey{Namespace: record.Namespace, Name: owner.Name}
	if err := r.Manager.GetLocalManager().GetAPIReader().Get(ctx, key, dep); err != nil {
		if apierrors.IsNotFound(err) {
			return &notPlacedError{cluster: record.Spec.ClusterName}
		}
		return fmt.Errorf("read SeiNodeDeployment %s of validator %s: %w", key, record.Name, err)
	}
	placed := ""
	for _, p := range dep.Status.ValidatorPlacements {
		if int(p.Ordinal) == ord {
			placed = p.Cluster
		}
	}
	if dep.UID != owner.UID || placed != record.Spec.ClusterName {
		return &notPlacedError{cluster: record.Spec.ClusterName, placed: placed}
	}
	return nil
}
