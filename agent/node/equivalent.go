package node

import (
	"time"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// The agent's status rules, for the scale harness's agent-equivalent (internal/agentsim): it writes
// what this agent writes, with this agent's code, without running pods.

// InitPlan is the plan the agent starts for a new node, at its current generation.
func InitPlan(node *seiv1alpha1.SeiNode) (*seiv1alpha1.TaskPlan, error) {
	return buildPlan(node, PlanInit)
}

// SetPhase moves the node to phase, stamping the transition time when it changes.
func SetPhase(node *seiv1alpha1.SeiNode, phase seiv1alpha1.NodePhase, now time.Time) {
	setPhase(node, phase, now)
}

// UpdateHealthyConditions derives every condition the agent owns, for a node whose pod is healthy
// (or not there yet) and whose keys are its own. chainWatched: heights are read, and a running node
// with one is caught up on an advancing chain.
func UpdateHealthyConditions(node *seiv1alpha1.SeiNode, chainWatched bool) {
	if chainWatched && node.Status.Phase == seiv1alpha1.NodeRunning && !node.Spec.Paused && node.Status.Height > 0 {
		setCaughtUpCondition(node, caughtUpAt(node.Status.Height))
	}
	updateConditions(node, podObservation{chainWatched: chainWatched})
}

// DeletionStarted passes the update that marks a node for deletion: with generation, label and
// annotation changes, what wakes the agent's controller.
var DeletionStarted = deletionStarted

// FinishPlan applies a finished plan's outcome (its target or failed phase, the generation the status
// now describes, the PlanFailed condition) and clears it; it returns the failure message, if any.
func FinishPlan(node *seiv1alpha1.SeiNode, now time.Time) string {
	return finishPlan(node, now)
}
