package deployment

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/placement"
	"github.com/sei-protocol/sei-fleet/hub/rollout"
	"github.com/sei-protocol/sei-fleet/planner"
)

func dep(role seiv1alpha1.NodeRole, replicas int32) *seiv1alpha1.SeiNodeDeployment {
	d := &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "d", UID: "uid", Generation: 1},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{ChainID: "c-1", Image: "seid:v1", Replicas: replicas, Role: role,
			Placement: seiv1alpha1.PlacementSpec{PolicyName: "p"}},
	}
	if role == seiv1alpha1.RoleValidator {
		d.Spec.Genesis = &seiv1alpha1.GenesisCeremonySpec{StakingAmount: "10000000usei", AccountBalance: "1000000000000usei",
			Deadline: metav1.Duration{Duration: time.Minute}}
	}
	return d
}

func record(d *seiv1alpha1.SeiNodeDeployment, ord int, cluster string) seiv1alpha1.SeiNode {
	r := buildRecord(d, recordInput{Ordinal: ord, Cluster: cluster, Policy: "p"})
	return *r
}

func TestBuildRecord(t *testing.T) {
	g := NewWithT(t)
	d := dep(seiv1alpha1.RoleValidator, 3)
	r := buildRecord(d, recordInput{Ordinal: 2, Cluster: "eu", Policy: "p"})
	g.Expect(r.Name).To(Equal("d-2"))
	g.Expect(r.Spec.ClusterName).To(Equal("eu"))
	g.Expect(r.Spec.Validator.Identity.Mint).To(BeTrue())
	g.Expect(r.Spec.Validator.Ceremony.Moniker).To(Equal("d-2"))
	g.Expect(r.Labels).To(HaveKeyWithValue(seiv1alpha1.LabelRole, "validator"))
	g.Expect(r.Labels).To(HaveKeyWithValue(seiv1alpha1.LabelCluster, "eu"))
	g.Expect(r.Annotations).To(HaveKeyWithValue(seiv1alpha1.AnnotationDeletionPolicy, "Retain"))
	g.Expect(r.Annotations).To(HaveKeyWithValue(seiv1alpha1.AnnotationTemplateHash, TemplateHash(d)))
	g.Expect(r.Finalizers).To(ConsistOf(seiv1alpha1.FinalizerNodeRecord))
	g.Expect(metav1.IsControlledBy(r, d)).To(BeTrue())

	// Moving a record, or setting its genesis, keeps what was written before: image, template, peers.
	r.Spec.Genesis = &seiv1alpha1.GenesisSource{ConfigMapName: "g", SHA256: "ab"}
	r.Spec.Peers = []string{"x@y:1"}
	d.Spec.Image = "seid:v2"
	moved := buildRecord(d, recordInput{Ordinal: 2, Cluster: "us", Existing: r, Policy: "p"})
	g.Expect(moved.Spec.ClusterName).To(Equal("us"))
	g.Expect(moved.Spec.Image).To(Equal("seid:v1"), "a move is not a rollout")
	g.Expect(moved.Annotations[seiv1alpha1.AnnotationTemplateHash]).To(Equal(r.Annotations[seiv1alpha1.AnnotationTemplateHash]))
	g.Expect(moved.Spec.Genesis).To(Equal(r.Spec.Genesis))
	g.Expect(moved.Spec.Peers).To(Equal(r.Spec.Peers))
	rolled := buildRecord(d, recordInput{Ordinal: 2, Cluster: "us", Existing: r, Template: d, Policy: "p"})
	g.Expect(rolled.Spec.Image).To(Equal("seid:v2"))
	g.Expect(rolled.Annotations[seiv1alpha1.AnnotationTemplateHash]).To(Equal(TemplateHash(d)))
	g.Expect(rolled.Spec.Genesis).To(Equal(r.Spec.Genesis), "a rollout keeps the genesis")
}

func TestTemplateHashChangesWithImageAndTemplateOnly(t *testing.T) {
	g := NewWithT(t)
	a, b := dep(seiv1alpha1.RoleFullNode, 3), dep(seiv1alpha1.RoleFullNode, 5)
	g.Expect(TemplateHash(a)).To(Equal(TemplateHash(b)), "replicas are not part of the template")
	b.Spec.Template.Overrides = map[string]string{"network.p2p.max_connections": "80"}
	g.Expect(TemplateHash(a)).NotTo(Equal(TemplateHash(b)))
	b = dep(seiv1alpha1.RoleFullNode, 3)
	b.Spec.Image = "seid:v2"
	g.Expect(TemplateHash(a)).NotTo(Equal(TemplateHash(b)))
}

func decodeFirst(p *seiv1alpha1.TaskPlan, out any) error {
	return planner.DecodeParams(&p.Tasks[0], out)
}

func decision(assign map[int]string) *evaluation {
	return &evaluation{decision: &placement.Decision{Assignments: assign}, policy: "p", powerCap: rollout.DefaultPowerCap, floorMargin: DefaultFloorMargin}
}

func taskTypes(p *seiv1alpha1.TaskPlan) []string {
	var out []string
	for _, t := range p.Tasks {
		out = append(out, t.Type)
	}
	return out
}

func TestNextPlan(t *testing.T) {
	g := NewWithT(t)
	full := dep(seiv1alpha1.RoleFullNode, 2)

	p, err := nextPlan(full, decision(map[int]string{0: "us", 1: "eu"}), nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Type).To(Equal(PlanPlace), "new nodes are placed")
	var pl Placement
	g.Expect(decodeFirst(p, &pl)).To(Succeed())
	g.Expect(pl.Place).To(Equal(map[int]string{0: "us", 1: "eu"}))

	placed := []seiv1alpha1.SeiNode{record(full, 0, "us"), record(full, 1, "eu")}
	p, err = nextPlan(full, decision(map[int]string{0: "us", 1: "eu"}), placed)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p).To(BeNil(), "converged: no plan")

	ev := decision(map[int]string{0: "us"})
	ev.decision.Removed = []int{1}
	p, _ = nextPlan(full, ev, placed)
	g.Expect(p.Type).To(Equal(PlanPlace), "scale down")

	rolled := full.DeepCopy()
	rolled.Spec.Image = "seid:v2"
	p, _ = nextPlan(rolled, decision(map[int]string{0: "us", 1: "eu"}), placed)
	g.Expect(taskTypes(p)).To(Equal([]string{TaskRoll}))

	paused := full.DeepCopy()
	paused.Spec.Paused = true
	paused.Spec.Image = "seid:v2"
	p, _ = nextPlan(paused, decision(map[int]string{0: "us", 1: "eu"}), placed)
	g.Expect(taskTypes(p)).To(Equal([]string{TaskSetPaused}), "pausing comes before anything else")

	blocked := decision(map[int]string{0: "us", 1: "eu"})
	blocked.blockedReason = seiv1alpha1.ReasonPolicyNotFound
	p, _ = nextPlan(rolled, blocked, placed)
	g.Expect(p).To(BeNil(), "nothing changes while placement is blocked")
}

func TestNextPlanForACeremony(t *testing.T) {
	g := NewWithT(t)
	vals := dep(seiv1alpha1.RoleValidator, 2)
	placed := []seiv1alpha1.SeiNode{record(vals, 0, "us"), record(vals, 1, "eu")}
	ev := decision(map[int]string{0: "us", 1: "eu"})

	p, _ := nextPlan(vals, ev, placed)
	g.Expect(taskTypes(p)).To(Equal([]string{TaskAwaitGentxs, TaskAssembleGenesis, TaskDistributeGenesis}))

	ev.decision.Blocked = []placement.Blocked{{Ordinal: 1, Cluster: "eu", Reason: seiv1alpha1.ReasonAwaitingFence}}
	p, _ = nextPlan(vals, ev, placed)
	g.Expect(p.Type).To(Equal(PlanFence), "fencing comes before the ceremony")
	ev.decision.Blocked = nil

	vals.Status.Genesis = &seiv1alpha1.GenesisStatus{SHA256: "ab", ConfigMapName: "d-genesis"}
	p, _ = nextPlan(vals, ev, placed)
	g.Expect(taskTypes(p)).To(Equal([]string{TaskDistributeGenesis}), "an assembled genesis is only distributed again, never reassembled")

	for i := range placed {
		placed[i].Spec.Genesis = &seiv1alpha1.GenesisSource{ConfigMapName: "d-genesis", SHA256: "ab"}
		placed[i].Spec.Peers = []string{"x@y:1"}
	}
	p, _ = nextPlan(vals, ev, placed)
	g.Expect(p).To(BeNil())

	failed := dep(seiv1alpha1.RoleValidator, 2)
	meta.SetStatusCondition(&failed.Status.Conditions, metav1.Condition{Type: seiv1alpha1.DeploymentGenesisCeremonyComplete,
		Status: metav1.ConditionFalse, Reason: seiv1alpha1.ReasonCeremonyDeadline, ObservedGeneration: 1})
	p, _ = nextPlan(failed, ev, []seiv1alpha1.SeiNode{record(failed, 0, "us"), record(failed, 1, "eu")})
	g.Expect(p).To(BeNil(), "a failed ceremony is not retried in a loop")
}

func TestPlanIDDependsOnContent(t *testing.T) {
	g := NewWithT(t)
	full := dep(seiv1alpha1.RoleFullNode, 2)
	a, _ := nextPlan(full, decision(map[int]string{0: "us", 1: "eu"}), nil)
	b, _ := nextPlan(full, decision(map[int]string{0: "us", 1: "eu"}), nil)
	c, _ := nextPlan(full, decision(map[int]string{0: "us", 1: "ap"}), nil)
	g.Expect(a.ID).To(Equal(b.ID))
	g.Expect(a.ID).NotTo(Equal(c.ID))
}

func TestStatusAggregatesRecords(t *testing.T) {
	g := NewWithT(t)
	d := dep(seiv1alpha1.RoleFullNode, 2)
	recs := []seiv1alpha1.SeiNode{record(d, 0, "us"), record(d, 1, "eu")}
	ev := decision(map[int]string{0: "us", 1: "eu"})
	ev.domains = map[string]string{"us": "us", "eu": "eu"}
	updateStatus(d, recs, ev)
	g.Expect(d.Status.Replicas).To(Equal(int32(2)))
	g.Expect(d.Status.ReadyReplicas).To(BeZero())
	g.Expect(d.Status.Phase).To(Equal(seiv1alpha1.DeploymentInitializing))
	g.Expect(meta.IsStatusConditionTrue(d.Status.Conditions, seiv1alpha1.DeploymentPlaced)).To(BeTrue())
	g.Expect(meta.FindStatusCondition(d.Status.Conditions, seiv1alpha1.DeploymentNodesReady).Message).To(ContainSubstring("d-0 on us is not reported yet"))

	for i := range recs {
		ready(&recs[i])
	}
	updateStatus(d, recs, ev)
	g.Expect(d.Status.ReadyReplicas).To(Equal(int32(2)))
	g.Expect(d.Status.UpdatedReplicas).To(Equal(int32(2)))
	g.Expect(d.Status.Phase).To(Equal(seiv1alpha1.DeploymentReady))
	g.Expect(d.Status.Nodes).To(HaveLen(2))
	g.Expect(d.Status.Nodes[1].Name).To(Equal("d-1"))
	g.Expect(d.Status.Nodes[1].Cluster).To(Equal("eu"))
	g.Expect(d.Status.Nodes[1].Domain).To(Equal("eu"))

	recs[1].Status.Phase = seiv1alpha1.NodeFailed
	updateStatus(d, recs, ev)
	g.Expect(d.Status.Phase).To(Equal(seiv1alpha1.DeploymentDegraded), "was ready, now a node is not")

	ev.decision.Failure = &placement.Failure{Reason: seiv1alpha1.ReasonVotingPowerFraction, Message: "too much"}
	updateStatus(d, recs, ev)
	c := meta.FindStatusCondition(d.Status.Conditions, seiv1alpha1.DeploymentPlaced)
	g.Expect(c.Reason).To(Equal(seiv1alpha1.ReasonVotingPowerFraction))
	g.Expect(c.Message).To(Equal("too much"))
}

func ready(r *seiv1alpha1.SeiNode) {
	r.Generation = 1
	r.Status.Phase = seiv1alpha1.NodeRunning
	r.Status.CurrentImage = r.Spec.Image
	meta.SetStatusCondition(&r.Status.Conditions, metav1.Condition{Type: seiv1alpha1.NodeReady, Status: metav1.ConditionTrue, Reason: "Running"})
	meta.SetStatusCondition(&r.Status.Conditions, metav1.Condition{Type: seiv1alpha1.NodeMemberSynced, Status: metav1.ConditionTrue, Reason: "InSync", ObservedGeneration: 1})
}

func TestAFencedRecordThatStaysIsUnfenced(t *testing.T) {
	g := NewWithT(t)
	vals := dep(seiv1alpha1.RoleValidator, 2)
	vals.Status.Genesis = &seiv1alpha1.GenesisStatus{SHA256: "ab"}
	recs := []seiv1alpha1.SeiNode{record(vals, 0, "us"), record(vals, 1, "eu")}
	for i := range recs {
		recs[i].Spec.Genesis = &seiv1alpha1.GenesisSource{ConfigMapName: "g", SHA256: "ab"}
		recs[i].Spec.Peers = []string{"x@y:1"}
	}
	recs[1].Annotations[seiv1alpha1.AnnotationFencedCluster] = "eu"
	ev := decision(map[int]string{0: "us", 1: "eu"}) // eu is healthy again: the node stays
	p, err := nextPlan(vals, ev, recs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Type).To(Equal(PlanUnfence))
	g.Expect(taskTypes(p)).To(Equal([]string{TaskWriteRecords, TaskClearFence}),
		"after the genesis time the floor is written before the marks go: the claim the copy finds may not be the old one")
	var pl Placement
	g.Expect(decodeFirst(p, &pl)).To(Succeed())
	g.Expect(pl.Place).To(Equal(map[int]string{1: "eu"}))
	g.Expect(pl.Floors).To(Equal(map[int]int64{1: DefaultFloorMargin}), "no height seen yet: the margin alone")
	var f FenceTarget
	g.Expect(planner.DecodeParams(&p.Tasks[1], &f)).To(Succeed())
	g.Expect(f).To(Equal(FenceTarget{Ordinal: 1, Cluster: "eu"}))

	ev.decision.Assignments[1] = "ap" // or it moves: the place plan, not an unfence
	p, _ = nextPlan(vals, ev, recs)
	g.Expect(p.Type).To(Equal(PlanPlace))
}

func TestARolloutThatWouldTakeAThirdDownStalls(t *testing.T) {
	g := NewWithT(t)
	vals := dep(seiv1alpha1.RoleValidator, 3)
	env := &Env{Deployment: vals, Domains: map[string]string{"us": "us", "eu": "eu", "ap": "ap"}, PowerCap: rollout.Fraction{Num: 1, Den: 3}}
	for i, c := range []string{"us", "eu", "ap"} {
		r := record(vals, i, c)
		ready(&r)
		env.Records = append(env.Records, r)
	}
	vals.Spec.Image = "seid:v2"
	vals.Status.Genesis = &seiv1alpha1.GenesisStatus{SHA256: "ab"}
	_, err := roll(t.Context(), env, nil)
	g.Expect(err).To(HaveOccurred(), "one of three equal validators is a third of the power")
	g.Expect(planner.IsTerminal(err)).To(BeTrue())
	g.Expect(err.Error()).To(HavePrefix(seiv1alpha1.ReasonRolloutStalled))

	plan, _ := newPlan(vals, PlanRollout, planner.Step{Type: TaskRoll})
	plan.Phase, plan.FailedTask = seiv1alpha1.PlanFailed, &seiv1alpha1.FailedTaskDetail{Type: TaskRoll, Error: err.Error()}
	setRolloutFailure(vals, plan)
	c := meta.FindStatusCondition(vals.Status.Conditions, seiv1alpha1.DeploymentRolloutInProgress)
	g.Expect(c.Reason).To(Equal(seiv1alpha1.ReasonRolloutStalled))
	p, _ := nextPlan(vals, decision(map[int]string{0: "us", 1: "eu", 2: "ap"}), genesisDone(env.Records))
	g.Expect(p).To(BeNil(), "the same spec does not stall in a loop")
	setRollout(vals)
	g.Expect(meta.FindStatusCondition(vals.Status.Conditions, seiv1alpha1.DeploymentRolloutInProgress).Reason).To(Equal(seiv1alpha1.ReasonRolloutStalled))
	g.Expect(meta.FindStatusCondition(vals.Status.Conditions, seiv1alpha1.DeploymentRolloutInProgress).Message).To(
		HaveSuffix("the validator set is fixed at genesis, so set spec.image back to go on"))

	// Everything else is fine, yet the nodes do not run the spec's image: not Ready.
	for _, typ := range []string{seiv1alpha1.DeploymentPlaced, seiv1alpha1.DeploymentGenesisCeremonyComplete, seiv1alpha1.DeploymentNodesReady} {
		cond(vals, typ, true, seiv1alpha1.ReasonSucceeded, "")
	}
	setReady(vals)
	r := meta.FindStatusCondition(vals.Status.Conditions, seiv1alpha1.DeploymentReadyCondition)
	g.Expect(r.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(r.Reason).To(Equal(seiv1alpha1.ReasonRolloutStalled))
	g.Expect(r.Message).To(ContainSubstring("no update can start safely"))
}

func genesisDone(recs []seiv1alpha1.SeiNode) []seiv1alpha1.SeiNode {
	for i := range recs {
		recs[i].Spec.Genesis = &seiv1alpha1.GenesisSource{ConfigMapName: "g", SHA256: "ab"}
		recs[i].Spec.Peers = []string{"x@y:1"}
	}
	return recs
}

// A node on a member the hub cannot read is not ready, and the deployment says which cluster and since
// when; once the member is read again, the status is the member's.
func TestStatusNamesTheClustersItCannotRead(t *testing.T) {
	g := NewWithT(t)
	d := dep(seiv1alpha1.RoleFullNode, 3)
	recs := []seiv1alpha1.SeiNode{record(d, 0, "us"), record(d, 1, "eu"), record(d, 2, "ap")}
	for i := range recs {
		ready(&recs[i])
	}
	ev := decision(map[int]string{0: "us", 1: "eu", 2: "ap"})
	updateStatus(d, recs, ev)
	g.Expect(d.Status.Phase).To(Equal(seiv1alpha1.DeploymentReady))

	// What the mirror writes on ap's record when ap stops answering.
	since := metav1.NewTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	hung := recs[2].DeepCopy()
	hung.Status.Phase, hung.Status.PhaseTransitionTime = seiv1alpha1.NodeUnknown, &since
	meta.SetStatusCondition(&hung.Status.Conditions, metav1.Condition{Type: seiv1alpha1.NodeReady, Status: metav1.ConditionUnknown, Reason: seiv1alpha1.ReasonMemberUnreachable})
	meta.SetStatusCondition(&hung.Status.Conditions, metav1.Condition{Type: seiv1alpha1.NodeMemberSynced, Status: metav1.ConditionFalse, Reason: seiv1alpha1.ReasonMemberUnreachable, ObservedGeneration: 1})
	updateStatus(d, []seiv1alpha1.SeiNode{recs[0], recs[1], *hung}, ev)
	g.Expect(d.Status.ReadyReplicas).To(Equal(int32(2)))
	g.Expect(d.Status.Nodes[2].Phase).To(Equal(seiv1alpha1.NodeUnknown))
	nr := meta.FindStatusCondition(d.Status.Conditions, seiv1alpha1.DeploymentNodesReady)
	g.Expect(nr.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(nr.Reason).To(Equal(seiv1alpha1.ReasonMembersUnreachable))
	g.Expect(nr.Message).To(Equal("2/3 nodes ready: the hub cannot read member cluster ap since 2030-01-02T03:04:05Z (d-2)"))
	r := meta.FindStatusCondition(d.Status.Conditions, seiv1alpha1.DeploymentReadyCondition)
	g.Expect(r.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(r.Reason).To(Equal(seiv1alpha1.ReasonMembersUnreachable))
	g.Expect(r.Message).To(Equal("NodesReady: " + nr.Message))
	g.Expect(d.Status.Phase).To(Equal(seiv1alpha1.DeploymentDegraded))

	// A second cluster, earlier, and a node that is merely starting: clusters first, in name order.
	eu := recs[1].DeepCopy()
	earlier := metav1.NewTime(since.Add(-time.Minute))
	eu.Status.Phase, eu.Status.PhaseTransitionTime = seiv1alpha1.NodeUnknown, &earlier
	starting := recs[0].DeepCopy()
	starting.Status.Phase = seiv1alpha1.NodeInitializing
	updateStatus(d, []seiv1alpha1.SeiNode{*starting, *eu, *hung}, ev)
	g.Expect(meta.FindStatusCondition(d.Status.Conditions, seiv1alpha1.DeploymentNodesReady).Message).To(Equal(
		"0/3 nodes ready: the hub cannot read member cluster ap since 2030-01-02T03:04:05Z (d-2); " +
			"the hub cannot read member cluster eu since 2030-01-02T03:03:05Z (d-1); d-0 on us is Initializing"))

	updateStatus(d, recs, ev)
	g.Expect(d.Status.Phase).To(Equal(seiv1alpha1.DeploymentReady), "read again: the member's status")
}

// For a ceremony's validators too, Ready names the cluster it cannot read, not the ceremony's count.
func TestReadyNamesTheUnreadClusterOfACompletedCeremony(t *testing.T) {
	g := NewWithT(t)
	d := dep(seiv1alpha1.RoleValidator, 3)
	d.Status.Genesis = &seiv1alpha1.GenesisStatus{SHA256: "ab"}
	recs := genesisDone([]seiv1alpha1.SeiNode{record(d, 0, "us"), record(d, 1, "eu"), record(d, 2, "ap")})
	for i := range recs {
		ready(&recs[i])
		recs[i].Status.GenesisSHA256 = "ab"
	}
	ev := decision(map[int]string{0: "us", 1: "eu", 2: "ap"})
	updateStatus(d, recs, ev)
	g.Expect(meta.IsStatusConditionTrue(d.Status.Conditions, seiv1alpha1.DeploymentReadyCondition)).To(BeTrue())

	since := metav1.NewTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	recs[2].Status.Phase, recs[2].Status.PhaseTransitionTime = seiv1alpha1.NodeUnknown, &since
	updateStatus(d, recs, ev)
	r := meta.FindStatusCondition(d.Status.Conditions, seiv1alpha1.DeploymentReadyCondition)
	g.Expect(r.Reason).To(Equal(seiv1alpha1.ReasonMembersUnreachable))
	g.Expect(r.Message).To(Equal("NodesReady: 2/3 nodes ready: the hub cannot read member cluster ap since 2030-01-02T03:04:05Z (d-2)"))
}
