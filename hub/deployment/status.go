package deployment

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/kube"
	"github.com/sei-protocol/sei-fleet/planner"
)

// updateStatus aggregates the records into the deployment's status: counts, one row per node, every
// condition, and the phase derived from them.
func updateStatus(dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode, ev *evaluation) {
	s := &dep.Status
	s.ObservedGeneration = dep.Generation
	s.Replicas, s.ReadyReplicas, s.UpdatedReplicas = 0, 0, 0
	s.Nodes = s.Nodes[:0]
	sorted := append([]seiv1alpha1.SeiNode(nil), records...)
	sort.Slice(sorted, func(i, j int) bool { return ordinalOf(&sorted[i]) < ordinalOf(&sorted[j]) })
	for i := range sorted {
		rec := &sorted[i]
		if !rec.DeletionTimestamp.IsZero() {
			continue
		}
		s.Replicas++
		if nodeReady(rec) {
			s.ReadyReplicas++
		}
		if rec.Status.CurrentImage == desiredImage(dep) {
			s.UpdatedReplicas++
		}
		s.Nodes = append(s.Nodes, seiv1alpha1.NodeRow{
			Name: rec.Name, Cluster: rec.Spec.ClusterName, Domain: ev.domains[rec.Spec.ClusterName], Phase: rec.Status.Phase,
			Image: rec.Status.CurrentImage, NodeID: rec.Status.NodeID, Height: rec.Status.Height,
		})
	}
	if len(s.Nodes) == 0 {
		s.Nodes = nil
	}
	setPlaced(dep, ev)
	setGenesis(dep, sorted, ev)
	setNodesReady(dep, sorted)
	setRollout(dep)
	setUpgrade(dep, sorted, ev)
	setPausedCondition(dep)
	setReady(dep)
	s.Phase = phase(dep)
}

func setPlaced(dep *seiv1alpha1.SeiNodeDeployment, ev *evaluation) {
	switch {
	case ev.blockedReason != "":
		cond(dep, seiv1alpha1.DeploymentPlaced, false, ev.blockedReason, ev.blockedMessage)
	case ev.decision != nil && ev.decision.Failure != nil:
		cond(dep, seiv1alpha1.DeploymentPlaced, false, ev.decision.Failure.Reason, ev.decision.Failure.Message)
	case dep.Status.Replicas < dep.Spec.Replicas:
		cond(dep, seiv1alpha1.DeploymentPlaced, false, seiv1alpha1.ReasonInProgress,
			fmt.Sprintf("%d of %d nodes placed", dep.Status.Replicas, dep.Spec.Replicas))
	default:
		var parts []string
		if ev.decision != nil {
			for _, d := range ev.decision.Domains {
				if d.Nodes > 0 {
					parts = append(parts, fmt.Sprintf("%s %d", d.Name, d.Nodes))
				}
			}
		}
		cond(dep, seiv1alpha1.DeploymentPlaced, true, seiv1alpha1.ReasonPlaced,
			fmt.Sprintf("%d nodes placed: %s", dep.Status.Replicas, strings.Join(parts, ", ")))
	}
}

// setGenesis reports the ceremony. A failed ceremony keeps its failure condition (set when its plan
// failed) until the generation changes.
func setGenesis(dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode, ev *evaluation) {
	if dep.Spec.Genesis == nil {
		msg := "no genesis ceremony: the nodes join an existing network"
		cond(dep, seiv1alpha1.DeploymentGenesisCeremonyComplete, true, seiv1alpha1.ReasonNotRequired, msg)
		return
	}
	if ev.blockedReason == seiv1alpha1.ReasonInvalidGenesisInput {
		cond(dep, seiv1alpha1.DeploymentGenesisCeremonyComplete, false, ev.blockedReason, ev.blockedMessage)
		return
	}
	if c := meta.FindStatusCondition(dep.Status.Conditions, seiv1alpha1.DeploymentGenesisCeremonyComplete); c != nil &&
		c.ObservedGeneration == dep.Generation && (c.Reason == seiv1alpha1.ReasonCeremonyDeadline || c.Reason == seiv1alpha1.ReasonInvalidGentx) {
		return
	}
	g := dep.Status.Genesis
	if g == nil {
		have := 0
		for i := range records {
			if records[i].Status.Gentx != "" {
				have++
			}
		}
		cond(dep, seiv1alpha1.DeploymentGenesisCeremonyComplete, false, seiv1alpha1.ReasonWaitingForGentxs,
			fmt.Sprintf("%d of %d validators published their gentx", have, dep.Spec.Replicas))
		return
	}
	using := 0
	for i := range records {
		if records[i].Status.Phase == seiv1alpha1.NodeRunning && records[i].Status.GenesisSHA256 == g.SHA256 {
			using++
		}
	}
	if using == int(dep.Spec.Replicas) {
		cond(dep, seiv1alpha1.DeploymentGenesisCeremonyComplete, true, seiv1alpha1.ReasonCeremonyComplete,
			fmt.Sprintf("genesis %s: all %d validators run it", g.SHA256, using))
		return
	}
	cond(dep, seiv1alpha1.DeploymentGenesisCeremonyComplete, false, seiv1alpha1.ReasonGenesisDistributed,
		fmt.Sprintf("genesis %s assembled; %d of %d validators run it", g.SHA256, using, dep.Spec.Replicas))
}

// setGenesisFailure records why the ceremony's plan failed: the task's error starts with the reason.
func setGenesisFailure(dep *seiv1alpha1.SeiNodeDeployment, plan *seiv1alpha1.TaskPlan) {
	reason := seiv1alpha1.ReasonInvalidGentx
	msg := planner.FailureMessage(plan)
	if plan.FailedTask != nil && strings.HasPrefix(plan.FailedTask.Error, seiv1alpha1.ReasonCeremonyDeadline) {
		reason = seiv1alpha1.ReasonCeremonyDeadline
	}
	if plan.FailedTask != nil && plan.FailedTask.Type == TaskDistributeGenesis {
		reason = seiv1alpha1.ReasonFailed
	}
	cond(dep, seiv1alpha1.DeploymentGenesisCeremonyComplete, false, reason, msg)
}

// setNodesReady counts the ready nodes. Nodes on members the hub cannot read (phase Unknown, set by
// the mirror) are not ready, and the message names each such cluster and since when.
func setNodesReady(dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode) {
	s := dep.Status
	msg := fmt.Sprintf("%d/%d nodes ready", s.ReadyReplicas, dep.Spec.Replicas)
	if s.ReadyReplicas == dep.Spec.Replicas && s.Replicas == dep.Spec.Replicas {
		cond(dep, seiv1alpha1.DeploymentNodesReady, true, seiv1alpha1.ReasonAllNodesReady, msg)
		return
	}
	parts := unreadClusters(records)
	unreachable := len(parts) > 0
	var waiting []string
	for _, n := range s.Nodes {
		if n.Phase != seiv1alpha1.NodeRunning && n.Phase != seiv1alpha1.NodeUnknown {
			waiting = append(waiting, fmt.Sprintf("%s on %s is %s", n.Name, n.Cluster, phaseOrUnknown(n.Phase)))
		}
		if len(waiting) == 5 {
			waiting = append(waiting, "...")
			break
		}
	}
	parts = append(parts, waiting...)
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	}
	reason := seiv1alpha1.ReasonNodesNotReady
	if unreachable {
		reason = seiv1alpha1.ReasonMembersUnreachable
	}
	cond(dep, seiv1alpha1.DeploymentNodesReady, false, reason, msg)
}

// unreadClusters describes, per member cluster the hub cannot read, since when and which nodes it
// holds: "the hub cannot read member cluster ap since 2026-01-02T03:04:05Z (rpc-2)". Sorted by cluster.
func unreadClusters(records []seiv1alpha1.SeiNode) []string {
	since := map[string]time.Time{}
	nodes := map[string][]string{}
	for i := range records {
		rec := &records[i]
		if !rec.DeletionTimestamp.IsZero() || rec.Status.Phase != seiv1alpha1.NodeUnknown {
			continue
		}
		c := rec.Spec.ClusterName
		nodes[c] = append(nodes[c], rec.Name)
		if t := rec.Status.PhaseTransitionTime; t != nil && (since[c].IsZero() || t.Time.Before(since[c])) {
			since[c] = t.Time
		}
	}
	names := make([]string, 0, len(nodes))
	for c := range nodes {
		names = append(names, c)
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, c := range names {
		when := "now"
		if t := since[c]; !t.IsZero() {
			when = "since " + t.UTC().Format(time.RFC3339)
		}
		out = append(out, fmt.Sprintf("the hub cannot read member cluster %s %s (%s)", c, when, strings.Join(nodes[c], ", ")))
	}
	return out
}

func phaseOrUnknown(p seiv1alpha1.NodePhase) string {
	if p == "" {
		return "not reported yet"
	}
	return string(p)
}

func setRollout(dep *seiv1alpha1.SeiNodeDeployment) {
	if rolloutStalled(dep) && !planner.IsActive(dep.Status.Plan) {
		return // keep saying why the rollout cannot proceed until the spec changes
	}
	if p := dep.Status.Plan; planner.IsActive(p) && p.Type == PlanRollout {
		cond(dep, seiv1alpha1.DeploymentRolloutInProgress, true, seiv1alpha1.ReasonRollingOut,
			fmt.Sprintf("rolling out %s: %d/%d nodes run it", desiredImage(dep), dep.Status.UpdatedReplicas, dep.Spec.Replicas))
		return
	}
	cond(dep, seiv1alpha1.DeploymentRolloutInProgress, false, seiv1alpha1.ReasonUpToDate, "")
}

// setRolloutFailure records why the rollout's plan failed; a stalled rollout is not retried at this
// generation.
func setRolloutFailure(dep *seiv1alpha1.SeiNodeDeployment, plan *seiv1alpha1.TaskPlan) {
	if plan.FailedTask == nil || !strings.HasPrefix(plan.FailedTask.Error, seiv1alpha1.ReasonRolloutStalled) {
		return // a transient failure: the next plan tries again
	}
	cond(dep, seiv1alpha1.DeploymentRolloutInProgress, false, seiv1alpha1.ReasonRolloutStalled,
		strings.TrimPrefix(plan.FailedTask.Error, seiv1alpha1.ReasonRolloutStalled+": ")+
			"; the validator set is fixed at genesis, so set spec.image back to go on")
}

func setPausedCondition(dep *seiv1alpha1.SeiNodeDeployment) {
	if dep.Spec.Paused {
		cond(dep, seiv1alpha1.DeploymentPaused, true, seiv1alpha1.ReasonPaused, "spec.paused: the hub changes nothing and the nodes are scaled to zero")
		return
	}
	cond(dep, seiv1alpha1.DeploymentPaused, false, seiv1alpha1.ReasonNotPaused, "")
}

// setReady summarises: placed, ceremony done (or none), every node ready, no rollout running or stalled.
func setReady(dep *seiv1alpha1.SeiNodeDeployment) {
	cs := dep.Status.Conditions
	// Members the hub cannot read explain whatever else they make false (a completed ceremony whose
	// validators are not seen running): say that first.
	if c := meta.FindStatusCondition(cs, seiv1alpha1.DeploymentNodesReady); c != nil && c.Reason == seiv1alpha1.ReasonMembersUnreachable {
		cond(dep, seiv1alpha1.DeploymentReadyCondition, false, c.Reason, c.Type+": "+c.Message)
		return
	}
	for _, c := range []struct {
		typ  string
		want bool
	}{
		{seiv1alpha1.DeploymentPlaced, true}, {seiv1alpha1.DeploymentGenesisCeremonyComplete, true},
		{seiv1alpha1.DeploymentNodesReady, true}, {seiv1alpha1.DeploymentRolloutInProgress, false},
	} {
		got := meta.FindStatusCondition(cs, c.typ)
		// A stalled rollout is not in progress, yet the spec's image is not what runs: not Ready.
		stalled := got != nil && got.Reason == seiv1alpha1.ReasonRolloutStalled
		if got == nil || (got.Status == metav1.ConditionTrue) != c.want || stalled {
			reason, msg := "NotReady", c.typ+" is not as it should be"
			if got != nil {
				reason, msg = got.Reason, c.typ+": "+got.Message
			}
			cond(dep, seiv1alpha1.DeploymentReadyCondition, false, reason, msg)
			return
		}
	}
	cond(dep, seiv1alpha1.DeploymentReadyCondition, true, seiv1alpha1.ReasonSucceeded, "")
}

func phase(dep *seiv1alpha1.SeiNodeDeployment) seiv1alpha1.DeploymentPhase {
	s := dep.Status
	g := meta.FindStatusCondition(s.Conditions, seiv1alpha1.DeploymentGenesisCeremonyComplete)
	switch {
	case g != nil && (g.Reason == seiv1alpha1.ReasonCeremonyDeadline || g.Reason == seiv1alpha1.ReasonInvalidGentx ||
		g.Reason == seiv1alpha1.ReasonInvalidGenesisInput):
		return seiv1alpha1.DeploymentFailed
	case planner.IsActive(s.Plan) && (s.Plan.Type == PlanRollout || s.Plan.Type == PlanUpgrade):
		return seiv1alpha1.DeploymentUpdating
	case planner.IsActive(s.Plan) && s.Plan.Type == PlanGenesis:
		return seiv1alpha1.DeploymentCeremony
	case planner.IsActive(s.Plan) && (s.Plan.Type == PlanPlace || s.Plan.Type == PlanFence):
		return seiv1alpha1.DeploymentPlacing
	case meta.IsStatusConditionTrue(s.Conditions, seiv1alpha1.DeploymentReadyCondition):
		return seiv1alpha1.DeploymentReady
	case s.Replicas == 0 && !meta.IsStatusConditionTrue(s.Conditions, seiv1alpha1.DeploymentPlaced):
		return seiv1alpha1.DeploymentPending
	case s.Replicas < dep.Spec.Replicas:
		return seiv1alpha1.DeploymentPlacing
	case dep.Spec.Genesis != nil && s.Genesis == nil:
		return seiv1alpha1.DeploymentCeremony
	case s.Phase == seiv1alpha1.DeploymentReady || s.Phase == seiv1alpha1.DeploymentDegraded:
		return seiv1alpha1.DeploymentDegraded
	default:
		return seiv1alpha1.DeploymentInitializing
	}
}

func cond(dep *seiv1alpha1.SeiNodeDeployment, typ string, ok bool, reason, msg string) {
	kube.SetCondition(&dep.Status.Conditions, dep.Generation, typ, ok, reason, msg)
}
