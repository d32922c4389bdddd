package agentsim

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/kube"
	"github.com/sei-protocol/sei-fleet/internal/nodeconfig"
)

// setPhase moves the node to phase, stamping the transition time when it changes (as agent/node).
func setPhase(n *seiv1alpha1.SeiNode, phase seiv1alpha1.NodePhase, now time.Time) {
	if n.Status.Phase == phase {
		return
	}
	n.Status.Phase = phase
	t := metav1.NewTime(now)
	n.Status.PhaseTransitionTime = &t
}

// conditions derives the conditions the real agent's updateConditions derives for a full node whose
// keys are its own and whose pod is healthy (no plan in flight between reconciles here). The
// faithfulness test holds the two together.
func conditions(n *seiv1alpha1.SeiNode) {
	s := &n.Status
	set := func(typ string, ok bool, reason, msg string) {
		kube.SetCondition(&s.Conditions, n.Generation, typ, ok, reason, msg)
	}
	if n.Spec.Paused {
		set(seiv1alpha1.NodePaused, true, seiv1alpha1.ReasonPaused, "spec.paused is set: the node is scaled to zero")
	} else {
		set(seiv1alpha1.NodePaused, false, seiv1alpha1.ReasonNotPaused, "")
	}
	set(seiv1alpha1.NodeUpdateInProgress, false, seiv1alpha1.ReasonUpToDate, "")
	switch s.Phase {
	case seiv1alpha1.NodeRunning:
		set(seiv1alpha1.NodeInitialized, true, seiv1alpha1.ReasonSucceeded, "the init plan completed")
	default:
		set(seiv1alpha1.NodeInitialized, false, seiv1alpha1.ReasonInProgress, "")
	}
	if s.NodeID != "" {
		set(seiv1alpha1.NodeIdentityReady, true, seiv1alpha1.ReasonKeysFound, "node ID "+s.NodeID)
	} else {
		set(seiv1alpha1.NodeIdentityReady, false, seiv1alpha1.ReasonPending, "")
	}
	switch g := n.Spec.Genesis; {
	case g != nil && s.GenesisSHA256 == g.SHA256:
		set(seiv1alpha1.NodeGenesisVerified, true, seiv1alpha1.ReasonGenesisMatches, "genesis sha256 "+g.SHA256)
	case g != nil:
		set(seiv1alpha1.NodeGenesisVerified, false, seiv1alpha1.ReasonPending, "genesis "+g.ConfigMapName+" not verified yet")
	default:
		set(seiv1alpha1.NodeGenesisVerified, true, seiv1alpha1.ReasonNotRequired, "the sidecar resolves this chain's genesis")
	}
	if err := nodeconfig.ValidateOverrides(string(n.Spec.Mode()), n.Spec.Overrides); err != nil {
		set(seiv1alpha1.NodeConfigValid, false, seiv1alpha1.ReasonInvalidOverrides, nodeconfig.Summary("spec.overrides", err))
	} else {
		set(seiv1alpha1.NodeConfigValid, true, seiv1alpha1.ReasonOverridesValid, "")
	}
	if meta.FindStatusCondition(s.Conditions, seiv1alpha1.NodePlanFailed) == nil {
		set(seiv1alpha1.NodePlanFailed, false, seiv1alpha1.ReasonNoFailure, "")
	}
	switch {
	case s.Phase != seiv1alpha1.NodeRunning:
		set(seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonNotRunning, "phase "+string(s.Phase))
	case n.Spec.Paused:
		set(seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonPaused, "")
	default:
		set(seiv1alpha1.NodeReady, true, seiv1alpha1.ReasonRunning, "")
	}
}

// deletionStarted passes the update that marks a node for deletion (as agent/node's predicate).
func deletionStarted() predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
		},
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

func controllerOptions(workers int) controller.Options {
	return controller.Options{MaxConcurrentReconciles: workers}
}
