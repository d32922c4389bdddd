package node

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/kube"
	"github.com/sei-protocol/sei-fleet/internal/nodeconfig"
	"github.com/sei-protocol/sei-fleet/planner"
)

// setPhase moves the node to phase, stamping the transition time when it changes.
func setPhase(node *seiv1alpha1.SeiNode, phase seiv1alpha1.NodePhase, now time.Time) {
	if node.Status.Phase == phase {
		return
	}
	node.Status.Phase = phase
	t := metav1.NewTime(now)
	node.Status.PhaseTransitionTime = &t
}

// finishPlan applies a finished plan's outcome — its target or failed phase, the generation the status
// now describes, the PlanFailed condition — and clears it. It returns the failure message, if any.
func finishPlan(node *seiv1alpha1.SeiNode, now time.Time) string {
	plan := node.Status.Plan
	node.Status.Plan = nil
	node.Status.ObservedGeneration = plan.Generation
	if plan.Phase == seiv1alpha1.PlanFailed {
		if plan.FailedPhase != "" {
			setPhase(node, seiv1alpha1.NodePhase(plan.FailedPhase), now)
		}
		msg := planner.FailureMessage(plan)
		setCondition(node, seiv1alpha1.NodePlanFailed, true, seiv1alpha1.ReasonTaskFailed, plan.Type+" plan: "+msg)
		return msg
	}
	if plan.TargetPhase != "" {
		setPhase(node, seiv1alpha1.NodePhase(plan.TargetPhase), now)
	}
	switch {
	case plan.Type == PlanAwaitHalt && plan.Generation == node.Generation && node.Spec.HaltHeight > 0:
		// The sidecar saw the node's RPC at the halt height or above; seid halts on committing it.
		node.Status.HaltedAt = node.Spec.HaltHeight
		node.Status.Height = max(node.Status.Height, node.Spec.HaltHeight)
	case node.Status.HaltedAt != node.Spec.HaltHeight:
		node.Status.HaltedAt = 0 // this plan released seid (a new image, or the halt cleared)
	}
	setCondition(node, seiv1alpha1.NodePlanFailed, false, seiv1alpha1.ReasonNoFailure, "the last plan ("+plan.Type+") completed")
	return ""
}

// updateConditions derives every condition the agent owns from the node's spec and status, and what
// it just saw of the pod. Each condition is always present.
func updateConditions(node *seiv1alpha1.SeiNode, obs podObservation) {
	s := &node.Status
	paused := node.Spec.Paused
	if paused {
		setCondition(node, seiv1alpha1.NodePaused, true, seiv1alpha1.ReasonPaused, "spec.paused is set: the node is scaled to zero")
	} else {
		setCondition(node, seiv1alpha1.NodePaused, false, seiv1alpha1.ReasonNotPaused, "")
	}

	updating := planner.IsActive(s.Plan) && s.Plan.Type == PlanNodeUpdate
	if updating {
		setCondition(node, seiv1alpha1.NodeUpdateInProgress, true, seiv1alpha1.ReasonImageRolling, "rolling to "+node.Spec.Image)
	} else {
		setCondition(node, seiv1alpha1.NodeUpdateInProgress, false, seiv1alpha1.ReasonUpToDate, "")
	}

	switch s.Phase {
	case seiv1alpha1.NodeRunning:
		setCondition(node, seiv1alpha1.NodeInitialized, true, seiv1alpha1.ReasonSucceeded, "the init plan completed")
	case seiv1alpha1.NodeFailed:
		setCondition(node, seiv1alpha1.NodeInitialized, false, seiv1alpha1.ReasonFailed, "initialization failed: see PlanFailed")
	default:
		setCondition(node, seiv1alpha1.NodeInitialized, false, seiv1alpha1.ReasonInProgress, "")
	}

	identity := s.NodeID != "" && (node.Spec.Validator == nil || s.ConsensusPubKey != "")
	if obs.keys != nil {
		setCondition(node, seiv1alpha1.NodeIdentityReady, false, obs.keys.Reason, obs.keys.Message)
	} else if identity {
		setCondition(node, seiv1alpha1.NodeIdentityReady, true, seiv1alpha1.ReasonKeysFound, "node ID "+s.NodeID)
	} else {
		setCondition(node, seiv1alpha1.NodeIdentityReady, false, seiv1alpha1.ReasonPending, "")
	}

	g := node.Spec.Genesis
	switch {
	case g != nil && obs.genesisRefused:
		setCondition(node, seiv1alpha1.NodeGenesisVerified, false, seiv1alpha1.ReasonGenesisMismatch,
			"the pod refused genesis "+g.ConfigMapName+": "+obs.failing)
	case g != nil && obs.genesisSHA256 != "" && obs.genesisSHA256 != g.SHA256:
		setCondition(node, seiv1alpha1.NodeGenesisVerified, false, seiv1alpha1.ReasonGenesisMismatch,
			"genesis ConfigMap "+g.ConfigMapName+" now hashes to "+obs.genesisSHA256+", not spec.genesis.sha256 "+g.SHA256+": the pod will not start on it")
	case g != nil && s.GenesisSHA256 == g.SHA256:
		setCondition(node, seiv1alpha1.NodeGenesisVerified, true, seiv1alpha1.ReasonGenesisMatches, "genesis sha256 "+g.SHA256)
	case g != nil:
		setCondition(node, seiv1alpha1.NodeGenesisVerified, false, seiv1alpha1.ReasonPending, "genesis "+g.ConfigMapName+" not verified yet")
	case ceremonyValidator(node):
		setCondition(node, seiv1alpha1.NodeGenesisVerified, false, seiv1alpha1.ReasonWaitingForGenesis, "waiting for the hub to assemble the ceremony's genesis")
	default:
		setCondition(node, seiv1alpha1.NodeGenesisVerified, true, seiv1alpha1.ReasonNotRequired, "the sidecar resolves this chain's genesis")
	}

	if err := validateOverrides(node); err != nil {
		setCondition(node, seiv1alpha1.NodeConfigValid, false, seiv1alpha1.ReasonInvalidOverrides, nodeconfig.Summary("spec.overrides", err))
	} else {
		setCondition(node, seiv1alpha1.NodeConfigValid, true, seiv1alpha1.ReasonOverridesValid, "")
	}

	switch {
	case node.Spec.HaltHeight == 0:
		setCondition(node, seiv1alpha1.NodeHalted, false, seiv1alpha1.ReasonNoHaltHeight, "")
	case halted(node):
		setCondition(node, seiv1alpha1.NodeHalted, true, seiv1alpha1.ReasonHaltHeightReached,
			fmt.Sprintf("seid reached its halt height %d and is held at the start gate", node.Spec.HaltHeight))
	default:
		setCondition(node, seiv1alpha1.NodeHalted, false, seiv1alpha1.ReasonHaltArmed,
			fmt.Sprintf("seid halts after committing block %d", node.Spec.HaltHeight))
	}

	if meta.FindStatusCondition(s.Conditions, seiv1alpha1.NodePlanFailed) == nil {
		setCondition(node, seiv1alpha1.NodePlanFailed, false, seiv1alpha1.ReasonNoFailure, "")
	}

	caughtUp := setCaughtUp(node, obs.chainWatched, updating)
	switch {
	case obs.keys != nil:
		setCondition(node, seiv1alpha1.NodeReady, false, obs.keys.Reason, obs.keys.Message)
	case s.Phase != seiv1alpha1.NodeRunning:
		setCondition(node, seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonNotRunning, "phase "+string(s.Phase))
	case obs.failing != "":
		setCondition(node, seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonPodFailing, obs.failing)
	case paused:
		setCondition(node, seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonPaused, "")
	case halted(node):
		setCondition(node, seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonHaltHeightReached, "halted at its halt height")
	case updating:
		setCondition(node, seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonImageRolling, "")
	case obs.chainWatched && caughtUp.Status != metav1.ConditionTrue:
		setCondition(node, seiv1alpha1.NodeReady, false, caughtUp.Reason, "not caught up: "+caughtUp.Message)
	default:
		setCondition(node, seiv1alpha1.NodeReady, true, seiv1alpha1.ReasonRunning, "")
	}
}

// setCaughtUp sets CaughtUp where the node's state decides it, and returns it as it now stands: a
// running node's reads (observeChain) decide it otherwise.
func setCaughtUp(node *seiv1alpha1.SeiNode, watched, updating bool) metav1.Condition {
	set := func(status metav1.ConditionStatus, reason, msg string) {
		setCaughtUpCondition(node, verdict{status, reason, msg})
	}
	switch {
	case !watched:
		set(metav1.ConditionUnknown, seiv1alpha1.ReasonNotObserved, "the agent reads no block heights (--height-interval=0)")
	case node.Status.Phase != seiv1alpha1.NodeRunning:
		set(metav1.ConditionFalse, seiv1alpha1.ReasonNotRunning, "phase "+string(node.Status.Phase))
	case node.Spec.Paused:
		set(metav1.ConditionFalse, seiv1alpha1.ReasonPaused, "")
	case updating:
		set(metav1.ConditionFalse, seiv1alpha1.ReasonImageRolling, "seid restarts on "+node.Spec.Image)
	case meta.FindStatusCondition(node.Status.Conditions, seiv1alpha1.NodeCaughtUp) == nil:
		set(metav1.ConditionUnknown, seiv1alpha1.ReasonPending, "seid's height not read yet")
	}
	return *meta.FindStatusCondition(node.Status.Conditions, seiv1alpha1.NodeCaughtUp)
}

// validateOverrides checks spec.overrides as the sidecar's config-apply will take them, for the
// node's mode.
func validateOverrides(node *seiv1alpha1.SeiNode) error {
	return nodeconfig.ValidateOverrides(string(node.Spec.Mode()), node.Spec.Overrides)
}

func setCondition(node *seiv1alpha1.SeiNode, typ string, status bool, reason, msg string) {
	kube.SetCondition(&node.Status.Conditions, node.Generation, typ, status, reason, msg)
}
