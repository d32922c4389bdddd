package deployment

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/kube"
)

// delete removes a deleted deployment's records (the mirror honours their deletion policy on each
// member) and releases the deployment once they are all gone. A record held by an unreachable member
// shows up in the DeletionBlocked condition.
func (r *Reconciler) delete(ctx context.Context, dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(dep, seiv1alpha1.FinalizerDeployment) {
		return ctrl.Result{}, nil
	}
	if len(records) == 0 {
		if err := kube.SetFinalizer(ctx, r.Hub, dep, seiv1alpha1.FinalizerDeployment, false); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		return ctrl.Result{}, nil
	}
	env := &Env{Deployment: dep, Hub: r.Hub}
	var blocked, releasing []string
	for i := range records {
		rec := &records[i]
		if rec.DeletionTimestamp.IsZero() {
			if err := deleteRecord(ctx, env, rec); err != nil {
				return ctrl.Result{}, err
			}
			continue
		}
		if c := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeMemberSynced); c != nil && c.Reason == seiv1alpha1.ReasonMemberUnreachable {
			blocked = append(blocked, fmt.Sprintf("%s (%s): %s", rec.Name, rec.Spec.ClusterName, c.Message))
			continue
		}
		releasing = append(releasing, fmt.Sprintf("%s (%s)", rec.Name, rec.Spec.ClusterName))
	}
	before := dep.DeepCopy()
	dep.Status.Phase = seiv1alpha1.DeploymentTerminating
	sort.Strings(blocked)
	sort.Strings(releasing)
	// Blocked only when a member cannot be reached: a reachable member's agent tearing its node down is
	// ordinary progress, not something an admin must act on.
	switch {
	case len(blocked) > 0:
		cond(dep, seiv1alpha1.DeploymentDeletionBlocked, true, seiv1alpha1.ReasonMembersUnreachable,
			fmt.Sprintf("waiting for %d nodes: %s", len(blocked), strings.Join(blocked, "; ")))
	case len(releasing) > 0:
		cond(dep, seiv1alpha1.DeploymentDeletionBlocked, false, seiv1alpha1.ReasonInProgress,
			fmt.Sprintf("releasing the member copies of %d nodes: %s", len(releasing), strings.Join(releasing, ", ")))
	}
	if _, err := kube.PatchStatus(ctx, r.Hub, before, dep, depStatus); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: fallbackWait}, nil // records going (Owns) wake the deployment
}
