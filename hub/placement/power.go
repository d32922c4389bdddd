package placement

import (
	"fmt"
	"maps"
	"math"
	"slices"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/fraction"
)

// belowCap reports whether part of total stays strictly below maxVotingPowerFraction. A cap of 1 (the whole
// power) caps nothing: a single-domain or single-validator network is allowed then. The scheduler only asks
// with a positive total (checkInput: validators have positive power).
func (r rules) belowCap(part, total int64) bool {
	return r.cap.IsOne() || r.cap.Below(part, total)
}

// maxPerDomain is the most validators of power unit each that one domain may hold under
// maxVotingPowerFraction; zero when one validator alone reaches the cap, no limit under a cap of 1.
func (r rules) maxPerDomain(unit, total int64) int64 {
	if unit > 0 && r.cap.IsOne() {
		return math.MaxInt64
	}
	return r.cap.MaxUnits(unit, total)
}

// totalPower is every validator's power: the deployment's, placed or not, and the external validators'.
// Counting unplaced validators keeps a domain's share from looking larger while a placement is partial.
func (sc *scheduler) totalPower() int64 {
	return int64(sc.in.Replicas)*sc.in.NodePower + sc.in.ExternalPower
}

// powerFailure checks the domains in scope against maxVotingPowerFraction and
// describes the worst one, or returns nil when every domain stays strictly below the cap.
func (sc *scheduler) powerFailure(st *state, scope map[string]bool, verb string) *Failure {
	if !sc.in.Validators || sc.in.Replicas == 0 {
		return nil
	}
	total := sc.totalPower()
	worst, worstNodes := "", 0
	for _, d := range slices.Sorted(maps.Keys(st.perDomain)) {
		n := st.perDomain[d]
		if !scope[d] || n <= worstNodes {
			continue
		}
		if !sc.rules.belowCap(int64(n)*sc.in.NodePower, total) {
			worst, worstNodes = d, n
		}
	}
	if worst == "" {
		return nil
	}
	power := int64(worstNodes) * sc.in.NodePower
	msg := fmt.Sprintf("domain %s %s %d/%d (%s) of voting power; policy maxVotingPowerFraction %s requires less than %s",
		worst, verb, power, total, fraction.Percent(power, total), sc.rules.capText, fraction.Percent(sc.rules.cap.Num, sc.rules.cap.Den))
	return &Failure{Reason: seiv1alpha1.ReasonVotingPowerFraction, Message: msg + sc.powerAdvice(st)}
}

// powerAdvice says what it would take to satisfy the cap: how many domains, or that nothing can.
func (sc *scheduler) powerAdvice(st *state) string {
	total, unit := sc.totalPower(), sc.in.NodePower
	perDomain := sc.rules.maxPerDomain(unit, total)
	if perDomain == 0 {
		return fmt.Sprintf("; one validator alone holds %d/%d (%s), so no spread over domains satisfies the policy",
			unit, total, fraction.Percent(unit, total))
	}
	replicas := int64(sc.in.Replicas)
	need := (replicas + perDomain - 1) / perDomain
	have := len(st.spread)
	advice := fmt.Sprintf("; at least %d domains are needed for %d validators (at most %d per domain)", need, replicas, perDomain)
	if int64(have) < need {
		return advice + fmt.Sprintf(", but only %d domains have a healthy eligible cluster", have)
	}
	return advice + fmt.Sprintf(" and %d domains have a healthy eligible cluster, but maxNodesPerCluster, maxSkew or nodes "+
		"already placed leave too little room", have)
}

// checkExistingPower reports a domain that is at or above the cap from nodes already placed (the policy
// or the labels changed since). Such nodes never move automatically, and placing the others elsewhere cannot
// raise that domain's share, so it only warns.
func (sc *scheduler) checkExistingPower() {
	if sc.failed != nil {
		return
	}
	untouched := map[string]bool{}
	for d := range sc.st.perDomain {
		if !sc.received[d] {
			untouched[d] = true
		}
	}
	if f := sc.powerFailure(sc.st, untouched, "holds"); f != nil {
		f.Message += "; nodes already placed never move automatically"
		sc.failed = f
	}
}
