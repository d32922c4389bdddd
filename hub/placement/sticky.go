package placement

import (
	"fmt"
	"time"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// verdictKind is what happens to a node that is already placed.
type verdictKind int

const (
	keep  verdictKind = iota // stays, nothing wrong or within policy
	move                     // leaves its cluster by failover
	block                    // should leave but may not; stays
)

// verdict is the judgement on one existing assignment.
type verdict struct {
	kind verdictKind
	// note is the per-ordinal note for keep, the move reason for move, the message for block.
	note   string
	reason string // block only: CamelCase reason
}

// judge decides whether the node at ord on cluster stays. Nothing already placed moves except by the
// failover rules: full nodes after the toleration (or at once when their cluster is gone or no longer
// eligible), validators only with AfterFence and a confirmed fence.
func judge(in Input, r rules, inv *inventory, ord int, cluster string) verdict {
	ci, known := inv.byName[cluster]
	healthy := known && ci.Healthy
	ineligible := inv.whyIneligible(cluster)
	if ineligible == "" && healthy {
		return verdict{kind: keep, note: "kept"}
	}
	if in.Validators {
		return judgeValidator(in, r, ord, cluster, ineligible, ci)
	}
	if ineligible != "" {
		return verdict{kind: move, note: ineligible}
	}
	down := unhealthyFor(ci, in.Now)
	switch {
	case r.toleration == nil:
		return verdict{kind: keep, note: fmt.Sprintf("kept: cluster %s unhealthy for %s; failover.fullNodes.tolerationSeconds "+
			"is unset, so full nodes never move", cluster, down)}
	case down >= *r.toleration:
		return verdict{kind: move, note: fmt.Sprintf("cluster unhealthy for %s ≥ toleration %ds", down, int64(r.toleration.Seconds()))}
	default:
		return verdict{kind: keep, note: fmt.Sprintf("kept: cluster %s unhealthy for %s, under toleration %ds",
			cluster, down, int64(r.toleration.Seconds()))}
	}
}

// judgeValidator never moves a validator on suspicion: an unreachable cluster may still run the signer,
// and two signers with one key double-sign. Only a fence under AfterFence is proof enough.
func judgeValidator(in Input, r rules, ord int, cluster, ineligible string, ci *clusterInfo) verdict {
	problem := ineligible
	reason := ReasonClusterNotEligible
	if problem == "" {
		problem = unhealthySince(ci)
		reason = seiv1alpha1.ReasonClusterUnhealthy
	}
	afterFence := r.validatorFailover == seiv1alpha1.ValidatorFailoverAfterFence
	if ineligible == "" && ci != nil && ci.HealthUnknown && !in.Fenced[ord] {
		// Right after a hub starts, every cluster is unjudged: fencing then would take every
		// validator down at once, for no evidence at all.
		return verdict{kind: keep, note: fmt.Sprintf("kept: cluster %s not probed or engaged yet since the hub started", cluster)}
	}
	if afterFence && in.Fenced[ord] {
		return verdict{kind: move, note: fmt.Sprintf("%s; %s confirmed the node is gone and failover.validators is AfterFence",
			problem, cluster)}
	}
	prefix := fmt.Sprintf("validator ord %d on cluster %s (%s) is not moved: ", ord, cluster, problem)
	if afterFence {
		return verdict{kind: block, reason: seiv1alpha1.ReasonAwaitingFence,
			note: prefix + "awaiting fence confirmation from " + cluster}
	}
	return verdict{kind: block, reason: reason,
		note: prefix + "policy failover.validators is Manual"}
}

// unhealthyFor measures from UnhealthySince, truncated to seconds for readable messages. A missing
// timestamp counts as "just now", so it never triggers failover early.
func unhealthyFor(ci *clusterInfo, now time.Time) time.Duration {
	if ci == nil || ci.UnhealthySince == nil || now.Before(*ci.UnhealthySince) {
		return 0
	}
	return now.Sub(*ci.UnhealthySince).Truncate(time.Second)
}

func unhealthySince(ci *clusterInfo) string {
	if ci == nil || ci.UnhealthySince == nil {
		return "unhealthy"
	}
	return "unhealthy since " + ci.UnhealthySince.UTC().Format(time.RFC3339)
}
