package rollout

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sei-protocol/sei-fleet/internal/fraction"
)

// Plan returns the next step of a rollout. It is pure: the same Input always gives the same Step, whatever
// the order of Input.Nodes. It errors only on malformed input.
//
// The algorithm: nodes are ordered by domain (when ByTopology), then ordinal. Outdated nodes that are
// already unavailable start at once, since they cost nothing. The active group is every node, or with
// ByTopology the first domain with a node that is not yet done (updated and ready). Its outdated ready
// nodes start in order while the unavailable count stays within maxUnavailable and, for validators, the
// unavailable power stays strictly below the cap; a node whose power does not fit is skipped so a smaller
// one after it may still go (first fit), which only matters when powers differ.
func Plan(in Input) (Step, error) {
	powerCap, err := checkInput(in)
	if err != nil {
		return Step{}, fmt.Errorf("invalid rollout input: %w", err)
	}
	budget, err := resolveMaxUnavailable(in.MaxUnavailable, len(in.Nodes))
	if err != nil {
		return Step{}, fmt.Errorf("invalid rollout input: %w", err)
	}
	nodes := slices.Clone(in.Nodes)
	slices.SortFunc(nodes, func(a, b Node) int {
		if in.ByTopology {
			if c := strings.Compare(a.Domain, b.Domain); c != 0 {
				return c
			}
		}
		return cmp.Or(cmp.Compare(a.Ordinal, b.Ordinal), strings.Compare(a.Name, b.Name))
	})
	p := &planner{in: in, powerCap: powerCap, nodes: nodes, started: map[string]bool{}}
	p.step = Step{MaxUnavailable: budget, Waiting: map[string]string{}}
	p.plan()
	return p.step, nil
}

// planner carries one Plan call's working state.
type planner struct {
	in       Input
	powerCap Fraction
	nodes    []Node // rollout order
	step     Step
	started  map[string]bool
	down     []string // unavailable nodes, for messages
}

func (p *planner) plan() {
	s := &p.step
	if p.in.Validators {
		s.TotalPower = p.in.ExternalPower
	}
	complete := true
	for _, n := range p.nodes {
		if p.in.Validators {
			s.TotalPower += n.Power
		}
		if n.unavailable() {
			p.markDown(n)
		}
		complete = complete && n.done()
	}
	if complete {
		s.Complete = true
		return
	}
	// Already unavailable and outdated: updating costs no availability, so it never waits for a budget or
	// for its domain's turn.
	for _, n := range p.nodes {
		if n.startable() && !n.Ready {
			p.started[n.Name] = true
		}
	}
	group := p.activeGroup()
	for _, n := range group {
		if !n.startable() || !n.Ready {
			continue
		}
		if why := p.blocker(n); why != "" {
			s.Waiting[n.Name] = why
			continue
		}
		p.started[n.Name] = true
		p.markDown(n)
	}
	for _, n := range p.nodes {
		if p.started[n.Name] {
			s.Update = append(s.Update, n.Name)
		} else if _, noted := s.Waiting[n.Name]; !noted {
			if why := p.idleReason(n); why != "" {
				s.Waiting[n.Name] = why
			}
		}
	}
	p.checkStalled(group)
}

func (p *planner) markDown(n Node) {
	p.step.Unavailable++
	if p.in.Validators {
		p.step.UnavailablePower += n.Power
	}
	p.down = append(p.down, n.Name)
}

// activeGroup is every node, or with ByTopology the nodes of the first domain not yet done.
func (p *planner) activeGroup() []Node {
	if !p.in.ByTopology {
		return p.nodes
	}
	i := slices.IndexFunc(p.nodes, func(n Node) bool { return !n.done() })
	p.step.Domain = p.nodes[i].Domain
	var group []Node
	for _, n := range p.nodes {
		if n.Domain == p.step.Domain {
			group = append(group, n)
		}
	}
	return group
}

// blocker says why a ready, outdated node in the active group may not start now; empty when it may.
func (p *planner) blocker(n Node) string {
	s := &p.step
	if s.Unavailable >= s.MaxUnavailable {
		return fmt.Sprintf("maxUnavailable %d reached: %s unavailable", s.MaxUnavailable, nameList(p.down))
	}
	if p.in.Validators && !p.powerCap.Below(s.UnavailablePower+n.Power, s.TotalPower) {
		after := s.UnavailablePower + n.Power
		return fmt.Sprintf("taking it down would make %d/%d (%s) of voting power unavailable; it must stay below %s (%s)",
			after, s.TotalPower, fraction.Percent(after, s.TotalPower), p.powerCap, fraction.Percent(p.powerCap.Num, p.powerCap.Den))
	}
	return ""
}

// idleReason says why a node outside the active group's candidates is not updated now; empty for a node
// this rollout is done with.
func (p *planner) idleReason(n Node) string {
	switch {
	case n.Updating:
		return "update in progress"
	case n.startable():
		return fmt.Sprintf("waiting for domain %s to finish", p.step.Domain)
	case !n.Ready:
		return "updated; waiting for it to become ready"
	}
	return ""
}

// checkStalled flags the one state that never resolves by waiting: nothing is unavailable, so nothing
// will free a budget, yet no node may start. Only the power cap can cause it, e.g. three equal validators
// and no external power, where any one of them is already 1/3.
func (p *planner) checkStalled(group []Node) {
	s := &p.step
	if len(s.Update) > 0 || s.Unavailable > 0 {
		return
	}
	for _, n := range group {
		if why, ok := s.Waiting[n.Name]; ok && n.startable() {
			s.Stalled = fmt.Sprintf("no update can start safely: %s: %s", n.Name, why)
			return
		}
	}
}

// nameList names up to three nodes, then counts the rest.
func nameList(names []string) string {
	const shown = 3
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:shown], ", "), len(names)-shown)
}
