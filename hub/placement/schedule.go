package placement

import (
	"fmt"
	"maps"
	"slices"
)

// Schedule decides where every ordinal of a deployment runs. It is pure and deterministic: the same Input
// gives the same Decision whatever the order of Input.Clusters, and it never reads the clock.
//
// The algorithm, in passes:
//  1. Judge each current assignment (ascending ordinal): ordinals at or above Replicas are removed; the
//     rest are kept, moved (failover) or blocked (stay although they should leave), see judge.
//  2. Place the new and the moving ordinals in ascending order, one at a time, on the least-loaded domain
//     with room (see state.choose). For equal-power validators this water-filling minimises the largest
//     domain, so if it breaks the voting power cap no placement can satisfy it.
//  3. Validators are all-or-nothing: the pass runs on a copy of the counts and is committed only if every
//     ordinal found a cluster and no domain that received a node reaches the voting power cap.
//
// Bad input (a malformed policy, duplicate cluster names, negative counts) changes nothing: the Decision
// keeps every current assignment and carries a Failure with ReasonInvalidInput.
func Schedule(in Input) Decision {
	r, err := resolveRules(in.Policy)
	if err == nil {
		err = checkInput(in)
	}
	var inv *inventory
	if err == nil {
		inv, err = newInventory(in.Clusters, in.Policy.ClusterSelector, in.DeploymentSelector, r.topoKey)
	}
	if err != nil {
		return invalid(in, err)
	}
	sc := &scheduler{
		in:       in,
		rules:    r,
		inv:      inv,
		st:       newState(inv, r, in.Usage),
		received: map[string]bool{},
		d:        Decision{Assignments: map[int]string{}, Notes: map[int]string{}},
	}
	sc.judgeCurrent()
	if in.Validators {
		sc.placeAllOrNothing()
	} else {
		sc.placeEach()
	}
	sc.finish()
	return sc.d
}

// scheduler carries one Schedule call's working state.
type scheduler struct {
	in    Input
	rules rules
	inv   *inventory
	st    *state
	d     Decision
	// pending are the ordinals to place, ascending: new ones and those leaving their cluster.
	pending []pending
	// received marks domains that get a node in this decision, for the voting power check.
	received map[string]bool
	// failed is the first reason an ordinal could not be placed or moved.
	failed *Failure
}

// pending is an ordinal to place; from is empty for a new node.
type pending struct {
	ord       int
	from, why string
}

func (sc *scheduler) judgeCurrent() {
	in := sc.in
	for _, ord := range slices.Sorted(maps.Keys(in.Current)) {
		cluster := in.Current[ord]
		switch {
		case cluster == "":
			continue // not placed: treated as new below
		case ord < 0 || ord >= in.Replicas:
			sc.d.Removed = append(sc.d.Removed, ord)
			sc.d.Notes[ord] = fmt.Sprintf("removed: scaled down to %d replicas", in.Replicas)
			continue
		}
		v := judge(in, sc.rules, sc.inv, ord, cluster)
		switch v.kind {
		case keep:
			sc.assign(ord, cluster, v.note)
		case block:
			sc.assign(ord, cluster, "blocked: "+v.note)
			sc.d.Blocked = append(sc.d.Blocked, Blocked{Ordinal: ord, Cluster: cluster, Reason: v.reason, Message: v.note})
		case move:
			sc.pending = append(sc.pending, pending{ord: ord, from: cluster, why: v.note})
		}
	}
	moving := map[int]bool{}
	for _, p := range sc.pending {
		moving[p.ord] = true
	}
	for ord := range in.Replicas {
		if _, placed := sc.d.Assignments[ord]; !placed && !moving[ord] {
			sc.pending = append(sc.pending, pending{ord: ord})
		}
	}
	slices.SortFunc(sc.pending, func(a, b pending) int { return a.ord - b.ord })
}

func (sc *scheduler) assign(ord int, cluster, note string) {
	sc.st.add(cluster)
	sc.d.Assignments[ord] = cluster
	sc.d.Notes[ord] = note
}

// placeEach places full nodes one by one: as many as fit, the rest are reported. A failure leaves the
// counts unchanged, so every later ordinal fails the same way.
func (sc *scheduler) placeEach() {
	var stay []pending
	for _, p := range sc.pending {
		c, f := sc.st.choose()
		if f != nil {
			sc.fail(p, f)
			if p.from != "" {
				stay = append(stay, p)
			}
			continue
		}
		sc.commit(p, c)
	}
	// Nodes that could not leave are counted only now, so they do not change the choices made above.
	for _, p := range stay {
		sc.st.add(p.from)
	}
}

// placeAllOrNothing places validators: a partly placed validator set cannot start a chain, and placing
// only some of them could settle a spread the remaining ones cannot fix.
func (sc *scheduler) placeAllOrNothing() {
	if len(sc.pending) == 0 {
		sc.checkExistingPower()
		return
	}
	trial := sc.st.clone()
	choices := make([]choice, 0, len(sc.pending))
	for _, p := range sc.pending {
		c, f := trial.choose()
		if f != nil {
			sc.failAll(&Failure{Reason: f.Reason, Message: fmt.Sprintf(
				"no validator placed: validators are placed all together or not at all, and ordinal %d cannot be: %s", p.ord, f.Message)})
			return
		}
		trial.add(c.cluster)
		choices = append(choices, c)
	}
	received := map[string]bool{}
	for _, c := range choices {
		received[c.domain] = true
	}
	if f := sc.powerFailure(trial, received, "would hold"); f != nil {
		sc.failAll(f)
		return
	}
	sc.received = received
	for i, p := range sc.pending {
		sc.d.Assignments[p.ord] = choices[i].cluster
		sc.notePlaced(p, choices[i])
	}
	sc.st = trial
	sc.checkExistingPower()
}

func (sc *scheduler) failAll(f *Failure) {
	for _, p := range sc.pending {
		sc.fail(p, f)
	}
	for _, p := range sc.pending {
		if p.from != "" {
			sc.st.add(p.from)
		}
	}
	sc.checkExistingPower()
}

func (sc *scheduler) commit(p pending, c choice) {
	sc.st.add(c.cluster)
	sc.received[c.domain] = true
	sc.d.Assignments[p.ord] = c.cluster
	sc.notePlaced(p, c)
}

func (sc *scheduler) notePlaced(p pending, c choice) {
	if p.from == "" {
		sc.d.Notes[p.ord] = fmt.Sprintf("new: least-loaded domain %s, cluster %s", c.domain, c.cluster)
		return
	}
	sc.d.Moves = append(sc.d.Moves, Move{Ordinal: p.ord, From: p.from, To: c.cluster, Reason: p.why})
	sc.d.Notes[p.ord] = fmt.Sprintf("moved from %s to %s: %s", p.from, c.cluster, p.why)
}

// fail records why p has no new cluster. A node that should leave its cluster stays there: an old
// placement is better than none.
func (sc *scheduler) fail(p pending, f *Failure) {
	if sc.failed == nil {
		sc.failed = f
	}
	if p.from == "" {
		sc.d.Unplaced = append(sc.d.Unplaced, p.ord)
		sc.d.Notes[p.ord] = "unplaced: " + f.Message
		return
	}
	msg := fmt.Sprintf("node ord %d on cluster %s should move (%s) but stays: %s", p.ord, p.from, p.why, f.Message)
	sc.d.Assignments[p.ord] = p.from
	sc.d.Notes[p.ord] = "blocked: " + msg
	sc.d.Blocked = append(sc.d.Blocked, Blocked{Ordinal: p.ord, Cluster: p.from, Reason: f.Reason, Message: msg})
}

// invalid keeps everything as it is: bad input must not touch what is running.
func invalid(in Input, err error) Decision {
	d := Decision{
		Assignments: map[int]string{},
		Notes:       map[int]string{},
		Failure:     &Failure{Reason: ReasonInvalidInput, Message: "invalid placement input: " + err.Error()},
	}
	for ord, cluster := range in.Current {
		if cluster != "" {
			d.Assignments[ord] = cluster
			d.Notes[ord] = "kept: nothing changes while the placement input is invalid"
		}
	}
	return d
}
