package node

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Plan types.
const (
	PlanIdentity    = "identity"
	PlanInit        = "init"
	PlanNodeUpdate  = "node-update"
	PlanReconfigure = "reconfigure"
	// PlanAwaitHalt waits for a node whose halt height is armed to reach it (see halted).
	PlanAwaitHalt = "await-halt"
	// PlanResume releases the seid of a running node whose pod or sidecar came back without its
	// release (see parked): the configuration on the data volume is the node's, only the gate is shut.
	PlanResume = "resume"
)

// halted: the node reached its spec.haltHeight, and its seid is held at the start gate.
func halted(node *seiv1alpha1.SeiNode) bool {
	return node.Spec.HaltHeight > 0 && node.Status.HaltedAt == node.Spec.HaltHeight
}

// ceremonyValidator: a validator of a genesis ceremony, which must publish its gentx before its
// genesis can exist.
func ceremonyValidator(node *seiv1alpha1.SeiNode) bool {
	return node.Spec.Validator != nil && node.Spec.Validator.Ceremony != nil
}

// nextPlan says which plan a node without one needs now, or "" for none.
func nextPlan(node *seiv1alpha1.SeiNode) string {
	waitingForGenesis := ceremonyValidator(node) && node.Spec.Genesis == nil
	changed := node.Generation != node.Status.ObservedGeneration
	switch node.Status.Phase {
	case "", seiv1alpha1.NodePending:
		if waitingForGenesis {
			return PlanIdentity
		}
		return PlanInit
	case seiv1alpha1.NodeInitializing:
		if waitingForGenesis {
			return ""
		}
		return PlanInit
	case seiv1alpha1.NodeRunning:
		if !changed {
			armed := !meta.IsStatusConditionTrue(node.Status.Conditions, seiv1alpha1.NodePlanFailed)
			if node.Spec.HaltHeight > 0 && !halted(node) && !node.Spec.Paused && armed {
				return PlanAwaitHalt // armed by the plan that completed this generation
			}
			return ""
		}
		if node.Spec.Image != node.Status.CurrentImage {
			return PlanNodeUpdate
		}
		if halted(node) {
			// Held at the height until the hub moves it to the new image or clears the halt height
			// (a cancel): a reconfigure would release seid on the old image past the height.
			return ""
		}
		return PlanReconfigure
	case seiv1alpha1.NodeFailed:
		if changed { // a fixed spec gets a fresh attempt; the same spec does not loop
			if waitingForGenesis {
				return PlanIdentity
			}
			return PlanInit
		}
	}
	return ""
}

// buildPlan builds a plan of planType for node at its current generation.
func buildPlan(node *seiv1alpha1.SeiNode, planType string) (*seiv1alpha1.TaskPlan, error) {
	var steps []planner.Step
	target, failed := string(seiv1alpha1.NodeRunning), string(seiv1alpha1.NodeFailed)
	identity := []planner.Step{
		{Type: tasks.TypeEnsureIdentity, MaxRetries: 5},
		{Type: tasks.TypeEnsureDataPVC, MaxRetries: 5},
		{Type: tasks.TypeApplyServices, MaxRetries: 5},
		{Type: tasks.TypeResolveP2PAddress, MaxRetries: 3},
	}
	if ceremonyValidator(node) {
		identity = append(identity, planner.Step{Type: tasks.TypePublishGentx, MaxRetries: 3})
	}
	switch planType {
	case PlanIdentity:
		steps = identity
		target = string(seiv1alpha1.NodeInitializing)
	case PlanInit:
		steps = append(steps, identity...)
		steps = append(steps, genesisSteps(node)...)
		steps = append(steps,
			planner.Step{Type: tasks.TypeApplyNetworkPolicy, MaxRetries: 5}, // before the pod exists
			planner.Step{Type: tasks.TypeApplyStatefulSet, MaxRetries: 5})
		steps = append(steps, startSteps(node, false, true)...)
	case PlanNodeUpdate:
		steps = []planner.Step{
			{Type: tasks.TypeApplyStatefulSet, MaxRetries: 5},
			{Type: tasks.TypeReplacePod, MaxRetries: 3},
		}
		steps = append(steps, startSteps(node, false, false)...)
		failed = "" // a failed update keeps the node Running on its old image
	case PlanReconfigure:
		steps = []planner.Step{
			{Type: tasks.TypeApplyServices, MaxRetries: 5},
			{Type: tasks.TypeResolveP2PAddress, MaxRetries: 3},
		}
		steps = append(steps, genesisSteps(node)...)
		steps = append(steps,
			planner.Step{Type: tasks.TypeApplyNetworkPolicy, MaxRetries: 5},
			planner.Step{Type: tasks.TypeApplyStatefulSet, MaxRetries: 5},
			planner.Step{Type: tasks.TypeReplacePod, MaxRetries: 3})
		steps = append(steps, startSteps(node, true, false)...)
		failed = ""
	case PlanAwaitHalt:
		steps = []planner.Step{{Type: tasks.TypeAwaitHalt, Params: tasks.HaltTarget{Height: node.Spec.HaltHeight}}}
		failed = ""
	default:
		return nil, fmt.Errorf("unknown plan type %q", planType)
	}
	plan, err := planner.NewPlan(planner.PlanID(string(node.UID), planType, node.Generation), planType, steps, target, failed)
	if err != nil {
		return nil, err
	}
	plan.Generation = node.Generation
	return plan, nil
}

// resumePlan releases the seid that sidecar (pod UID and restart count) holds at its gate. Its ID
// names that sidecar: the sidecar keeps finished tasks by ID in its store on the data volume and
// would answer a mark-ready it had already run as done without releasing anything, so each pod and
// each sidecar restart gets a resume of its own. The node stays Running if it fails; PlanFailed says
// why seid still waits.
func resumePlan(node *seiv1alpha1.SeiNode, sidecar string) (*seiv1alpha1.TaskPlan, error) {
	steps := []planner.Step{
		{Type: tasks.TypeAwaitSidecar},
		{Type: tasks.TypeSidecarMarkReady, MaxRetries: 3},
		{Type: tasks.TypeAwaitRollout, MaxRetries: 1},
	}
	id := planner.PlanID(string(node.UID), PlanResume+"/"+sidecar, node.Generation)
	plan, err := planner.NewPlan(id, PlanResume, steps, string(seiv1alpha1.NodeRunning), "")
	if err != nil {
		return nil, err
	}
	plan.Generation = node.Generation
	return plan, nil
}

func genesisSteps(node *seiv1alpha1.SeiNode) []planner.Step {
	if node.Spec.Genesis == nil {
		return nil
	}
	return []planner.Step{{Type: tasks.TypeVerifyGenesis, MaxRetries: 3}}
}

// startSteps configure seid through the sidecar, release its start gate and wait for the rollout. A
// paused node has no pod to configure. restart makes a running seid re-read a changed configuration.
// bootstrap adds the full node's bootstrap (init only: it acts on an empty data volume, and the
// sidecar's markers make it a no-op on a volume it already bootstrapped).
func startSteps(node *seiv1alpha1.SeiNode, restart, bootstrap bool) []planner.Step {
	if node.Spec.Paused {
		return nil
	}
	steps := []planner.Step{{Type: tasks.TypeAwaitSidecar}}
	if node.Spec.Genesis == nil {
		// No genesis from the hub: the sidecar resolves a well-known chain's genesis itself.
		steps = append(steps, planner.Step{Type: tasks.TypeSidecarConfigure, MaxRetries: 3})
	}
	steps = append(steps,
		planner.Step{Type: tasks.TypeSidecarConfigApply, MaxRetries: 3},
		planner.Step{Type: tasks.TypeSidecarConfigPatch, MaxRetries: 3},
	)
	if bootstrap {
		steps = append(steps, bootstrapSteps(node)...)
	}
	steps = append(steps, planner.Step{Type: tasks.TypeSidecarConfigCheck, MaxRetries: 3})
	// A seid held at the start gate after its halt height is not running: mark-ready starts it with
	// the new configuration, and restart-seid would wait for an RPC that cannot answer before that.
	if restart && node.Status.HaltedAt == 0 {
		steps = append(steps, planner.Step{Type: tasks.TypeSidecarRestartSeid, MaxRetries: 3})
	}
	steps = append(steps,
		planner.Step{Type: tasks.TypeSidecarMarkReady, MaxRetries: 3},
		planner.Step{Type: tasks.TypeAwaitRollout, MaxRetries: 1},
	)
	if node.Spec.HaltHeight > 0 {
		// seid runs with the halt height now; close the gate behind it, so that when it halts the
		// kubelet's restart of the container waits there instead of starting the old image again.
		steps = append(steps, planner.Step{Type: tasks.TypeSidecarHold, MaxRetries: 3})
	}
	return steps
}

// bootstrapSteps give an empty full node the chain's state before seid starts: state sync from peers'
// snapshots, or a snapshot archive restored and then state-synced from locally. configure-state-sync
// comes after config-apply and config-patch, which rewrite config.toml.
func bootstrapSteps(node *seiv1alpha1.SeiNode) []planner.Step {
	if node.Spec.FullNode == nil || node.Spec.FullNode.Bootstrap == nil {
		return nil
	}
	var steps []planner.Step
	if node.Spec.FullNode.Bootstrap.Snapshot != nil {
		steps = append(steps, planner.Step{Type: tasks.TypeSidecarSnapshotRestore, MaxRetries: 3})
	}
	return append(steps, planner.Step{Type: tasks.TypeSidecarStateSync, MaxRetries: 5})
}
