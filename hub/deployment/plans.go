package deployment

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Plan types.
const (
	PlanPlace   = "place"
	PlanFence   = "fence"
	PlanGenesis = "genesis"
	PlanRollout = "rollout"
	PlanPause   = "pause"
	PlanUnfence = "unfence"
	PlanUpgrade = "upgrade"
)

// nextPlan decides the plan a deployment without one needs now, or nil. Order matters: pausing first,
// then fencing and placement (nodes must exist before a ceremony), the ceremony, and rollouts last.
// A record being deleted is never written: its ordinal waits until the record is gone.
func nextPlan(dep *seiv1alpha1.SeiNodeDeployment, ev *evaluation, records []seiv1alpha1.SeiNode) (*seiv1alpha1.TaskPlan, error) {
	for i := range records {
		if records[i].DeletionTimestamp.IsZero() && records[i].Spec.Paused != dep.Spec.Paused {
			return newPlan(dep, PlanPause, planner.Step{Type: TaskSetPaused, MaxRetries: 5})
		}
	}
	if dep.Spec.Paused || ev.blockedReason != "" {
		return nil, nil
	}
	d := ev.decision
	live, going := liveRecords(records)
	for _, b := range d.Blocked {
		// A fence marks the record: a validator without a live record on that cluster is written
		// there again first (below), and fenced after.
		if rec := live[b.Ordinal]; b.Reason == seiv1alpha1.ReasonAwaitingFence && rec != nil && rec.Spec.ClusterName == b.Cluster {
			if ok, _ := fenceAllowed(dep, records, b.Ordinal); !ok {
				continue // its turn comes when the others are back (updateStatus says why)
			}
			return newPlan(dep, PlanFence, planner.Step{Type: TaskFence, Params: FenceTarget{Ordinal: b.Ordinal, Cluster: b.Cluster}})
		}
	}
	if p, err := unfencePlan(dep, ev, records); p != nil || err != nil {
		return p, err
	}
	if p, err := placePlan(dep, ev, records, live, going); p != nil || err != nil {
		return p, err
	}
	if steps := genesisSteps(dep, records); steps != nil {
		return newPlan(dep, PlanGenesis, steps...)
	}
	if dep.Spec.Role == seiv1alpha1.RoleValidator && dep.Status.Genesis == nil {
		return nil, nil // records keep their first template until the network exists
	}
	if p, err := upgradePlan(dep, ev, records); p != nil || err != nil {
		return p, err
	}
	if holdRollouts(dep) {
		return nil, nil // a failed upgrade keeps its nodes stopped at the height until it is removed
	}
	if rolloutStalled(dep) {
		return nil, nil // the same spec would stall the same way: wait for a change
	}
	desired := TemplateHash(dep)
	for i := range records {
		if records[i].DeletionTimestamp.IsZero() && records[i].Annotations[seiv1alpha1.AnnotationTemplateHash] != desired {
			return newPlan(dep, PlanRollout, planner.Step{Type: TaskRoll, MaxRetries: 10})
		}
	}
	return nil, nil
}

// liveRecords indexes the records not being deleted by ordinal, and marks the ordinals whose record is
// being deleted.
func liveRecords(records []seiv1alpha1.SeiNode) (map[int]*seiv1alpha1.SeiNode, map[int]bool) {
	live, going := map[int]*seiv1alpha1.SeiNode{}, map[int]bool{}
	for i := range records {
		ord := ordinalOf(&records[i])
		switch {
		case ord < 0:
		case records[i].DeletionTimestamp.IsZero():
			live[ord] = &records[i]
		default:
			going[ord] = true
		}
	}
	return live, going
}

// placePlan writes the records the decision needs: new ordinals, moves, validators whose record is gone
// (again on the cluster the memory names) or names another cluster than the memory, and removals. For
// validators it persists the memory with the plan, so where a validator may run is on record before
// any record says so; one that lands on another cluster than the one it ran on (a move after a
// confirmed fence), after the genesis time, gets a signing-state floor above every height the hub saw.
func placePlan(dep *seiv1alpha1.SeiNodeDeployment, ev *evaluation, records []seiv1alpha1.SeiNode,
	live map[int]*seiv1alpha1.SeiNode, going map[int]bool) (*seiv1alpha1.TaskPlan, error) {
	d := ev.decision
	validators := dep.Spec.Role == seiv1alpha1.RoleValidator
	place := Placement{Place: map[int]string{}, From: map[int]string{}, Leaving: map[int]string{}, Join: ev.join}
	for _, ord := range d.Removed {
		if !going[ord] {
			place.Remove = append(place.Remove, ord)
		}
	}
	floor := signingFloor(dep, records, ev.now, ev.floorMargin)
	floors := map[int]int64{}
	for ord, cluster := range d.Assignments {
		if going[ord] {
			continue // written again once its record is gone
		}
		remembered := dep.Status.PlacementOf(ord)
		if validators && remembered != nil && ev.unconfirmed[ord] {
			cluster = remembered.Cluster // the cache says fenced, the apiserver does not: stay
		}
		rec := live[ord]
		switch {
		case rec == nil, rec.Spec.ClusterName != cluster:
			place.Place[ord] = cluster
		case ev.join != nil && !joined(rec, ev.join):
			place.Place[ord] = cluster
		default:
			continue
		}
		place.From[ord] = clusterOf(rec)
		if !validators {
			continue
		}
		// A floor only where the key starts on a volume that may not know what it signed: a cluster
		// other than the one it ran on. A record written back to the cluster the memory names (deleted,
		// or moved there by hand) keeps the floor the memory holds: its copy kept running there, or was
		// fenced with its data claim kept (the agent never deletes a validator's claim), so the signing
		// state on that volume is the key's own; a new floor would change the running copy's spec and
		// restart it into a thousand blocks of silence.
		if remembered == nil || remembered.Cluster != cluster {
			floors[ord] = floor
		}
		if remembered != nil && remembered.Cluster != cluster {
			place.Leaving[ord] = remembered.Cluster
		}
		if remembered != nil {
			floors[ord] = max(floors[ord], remembered.SigningStateFloor)
		}
		if floors[ord] == 0 {
			delete(floors, ord)
		}
	}
	if len(place.Place) == 0 && len(place.Remove) == 0 {
		return nil, nil
	}
	if len(floors) > 0 {
		place.Floors = floors
	}
	if len(place.Leaving) == 0 {
		place.Leaving = nil
	}
	plan, err := newPlan(dep, PlanPlace, planner.Step{Type: TaskWriteRecords, Params: place, MaxRetries: 5})
	if err != nil || !validators {
		return plan, err
	}
	for ord, cluster := range place.Place {
		rememberPlacement(dep, ord, cluster, floors[ord])
	}
	return plan, nil
}

// unfencePlan clears the fence marks of a record that stays on its cluster after all (the cluster came
// back before the move): the old copy is confirmed gone, so a new one there is the only one. After the
// genesis time a validator whose copy was confirmed gone gets a new signing-state floor first. The new
// copy normally runs on the data claim the old one left (the agent never deletes a validator's claim),
// whose state is the key's own; the floor is for the claim that did not survive (storage lost with its
// machine, a namespace deleted), where the key would otherwise start from the last floor written. The
// cost is the margin's blocks of silence after an unfence.
func unfencePlan(dep *seiv1alpha1.SeiNodeDeployment, ev *evaluation, records []seiv1alpha1.SeiNode) (*seiv1alpha1.TaskPlan, error) {
	d := ev.decision
	blocked := map[int]bool{}
	for _, b := range d.Blocked {
		blocked[b.Ordinal] = true
	}
	for i := range records {
		rec := &records[i]
		ord, c := ordinalOf(rec), rec.Spec.ClusterName
		marked := rec.Annotations[seiv1alpha1.AnnotationFencing] == c || rec.Annotations[seiv1alpha1.AnnotationFencedCluster] == c
		if !marked || !rec.DeletionTimestamp.IsZero() || blocked[ord] || d.Assignments[ord] != c {
			continue
		}
		clear := planner.Step{Type: TaskClearFence, Params: FenceTarget{Ordinal: ord, Cluster: c}, MaxRetries: 5}
		floor := int64(0)
		if dep.Spec.Role == seiv1alpha1.RoleValidator && rec.Annotations[seiv1alpha1.AnnotationFencedCluster] == c {
			floor = signingFloor(dep, records, ev.now, ev.floorMargin)
			if p := dep.Status.PlacementOf(ord); p != nil {
				floor = max(floor, p.SigningStateFloor)
			}
		}
		if floor == 0 {
			return newPlan(dep, PlanUnfence, clear)
		}
		write := planner.Step{Type: TaskWriteRecords, MaxRetries: 5,
			Params: Placement{Place: map[int]string{ord: c}, From: map[int]string{ord: c}, Floors: map[int]int64{ord: floor}}}
		plan, err := newPlan(dep, PlanUnfence, write, clear)
		if err == nil {
			rememberPlacement(dep, ord, c, floor)
		}
		return plan, err
	}
	return nil, nil
}

// rolloutStalled: the last rollout of this generation could not start without taking 1/3 or more of
// the voting power down.
func rolloutStalled(dep *seiv1alpha1.SeiNodeDeployment) bool {
	c := meta.FindStatusCondition(dep.Status.Conditions, seiv1alpha1.DeploymentRolloutInProgress)
	return c != nil && c.Reason == seiv1alpha1.ReasonRolloutStalled && c.ObservedGeneration == dep.Generation
}

// joined: the record already starts from the join target's genesis and peers.
func joined(rec *seiv1alpha1.SeiNode, j *JoinTarget) bool {
	return rec.Spec.Genesis != nil && *rec.Spec.Genesis == j.Genesis && equality.Semantic.DeepEqual(rec.Spec.Peers, j.Peers)
}

// genesisSteps returns the ceremony's remaining steps, or nil when there is nothing to do: not a
// ceremony, not every validator placed yet, done, or failed at this generation (a failed ceremony is
// not retried in a loop).
func genesisSteps(dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode) []planner.Step {
	if dep.Spec.Role != seiv1alpha1.RoleValidator || dep.Spec.Genesis == nil {
		return nil
	}
	if c := meta.FindStatusCondition(dep.Status.Conditions, seiv1alpha1.DeploymentGenesisCeremonyComplete); c != nil &&
		c.ObservedGeneration == dep.Generation && (c.Reason == seiv1alpha1.ReasonCeremonyDeadline || c.Reason == seiv1alpha1.ReasonInvalidGentx) {
		return nil
	}
	live := 0
	for i := range records {
		if records[i].DeletionTimestamp.IsZero() && records[i].Spec.ClusterName != "" {
			live++
		}
	}
	if live < int(dep.Spec.Replicas) {
		return nil
	}
	distribute := planner.Step{Type: TaskDistributeGenesis, MaxRetries: 5}
	if dep.Status.Genesis == nil {
		return []planner.Step{{Type: TaskAwaitGentxs}, {Type: TaskAssembleGenesis, MaxRetries: 3}, distribute}
	}
	for i := range records {
		g := records[i].Spec.Genesis
		if records[i].DeletionTimestamp.IsZero() && (g == nil || g.SHA256 != dep.Status.Genesis.SHA256 || len(records[i].Spec.Peers) == 0) {
			return []planner.Step{distribute}
		}
	}
	return nil
}

// newPlan builds a plan whose ID depends on the deployment, its generation and the plan's content, so
// the same decision rebuilt after a restart gets the same ID.
func newPlan(dep *seiv1alpha1.SeiNodeDeployment, planType string, steps ...planner.Step) (*seiv1alpha1.TaskPlan, error) {
	content, err := json.Marshal(steps)
	if err != nil {
		return nil, fmt.Errorf("encode %s plan: %w", planType, err)
	}
	id := planner.ID("plan", string(dep.UID), planType, fmt.Sprint(dep.Generation), string(content))
	target := ""
	plan, err := planner.NewPlan(id, planType, steps, target, "")
	if err != nil {
		return nil, err
	}
	plan.Generation = dep.Generation
	return plan, nil
}

// describePlacement summarises a place plan for events.
func describePlacement(p *seiv1alpha1.TaskPlan) string {
	if p == nil || len(p.Tasks) == 0 {
		return ""
	}
	var pl Placement
	if err := planner.DecodeParams(&p.Tasks[0], &pl); err != nil {
		return ""
	}
	var parts []string
	for ord, c := range pl.Place {
		parts = append(parts, fmt.Sprintf("%d→%s", ord, c))
	}
	sort.Strings(parts)
	if len(pl.Remove) > 0 {
		parts = append(parts, fmt.Sprintf("remove %v", pl.Remove))
	}
	return strings.Join(parts, ", ")
}
