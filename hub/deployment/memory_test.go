package deployment

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func terminating(r seiv1alpha1.SeiNode) seiv1alpha1.SeiNode {
	now := metav1.Now()
	r.DeletionTimestamp = &now
	return r
}

func TestRememberAddsFactsButNeverMovesAValidator(t *testing.T) {
	g := NewWithT(t)
	vals := dep(seiv1alpha1.RoleValidator, 3)
	us, eu := record(vals, 0, "us"), record(vals, 1, "eu")
	us.Annotations[seiv1alpha1.AnnotationMemberCopyUID] = "copy-0"
	us.Status.Height, us.Status.NodeID = 10, "node-0"
	eu.Annotations[seiv1alpha1.AnnotationFencedCluster] = "eu"

	remember(vals, []seiv1alpha1.SeiNode{us, eu})
	g.Expect(vals.Status.ValidatorPlacements).To(Equal([]seiv1alpha1.ValidatorPlacement{
		{Ordinal: 0, Cluster: "us", MemberCopyUID: "copy-0", Height: 10, NodeID: "node-0"},
		{Ordinal: 1, Cluster: "eu", Fenced: true},
	}), "records placed before the hub kept a memory start it")

	// The place plan moved ordinal 1 to ap after the fence; a cache that has not seen the move still
	// shows the record on eu. What it says about eu's copy must not come back, nor the cluster.
	rememberPlacement(vals, 1, "ap", 1500)
	eu.Annotations[seiv1alpha1.AnnotationMemberCopyUID] = "old-copy"
	eu.Status.Height = 20
	remember(vals, []seiv1alpha1.SeiNode{us, eu})
	g.Expect(vals.Status.ValidatorPlacements[1]).To(Equal(seiv1alpha1.ValidatorPlacement{
		Ordinal: 1, Cluster: "ap", SigningStateFloor: 1500, Height: 20}))

	// A record being deleted still counts; the memory of a removed ordinal goes with its last record.
	vals.Spec.Replicas = 1
	remember(vals, []seiv1alpha1.SeiNode{us, terminating(eu)})
	g.Expect(vals.Status.ValidatorPlacements).To(HaveLen(2))
	remember(vals, []seiv1alpha1.SeiNode{us})
	g.Expect(vals.Status.ValidatorPlacements).To(HaveLen(1))

	// A validator whose record is gone is remembered while its ordinal is wanted.
	vals.Spec.Replicas = 3
	remember(vals, nil)
	g.Expect(vals.Status.ValidatorPlacements).To(HaveLen(1))

	// A record no deployment can have made (someone labelled it so) does not break the status write.
	stray := record(vals, 0, "us")
	stray.Labels[seiv1alpha1.LabelOrdinal] = "500"
	remember(vals, []seiv1alpha1.SeiNode{us, stray})
	g.Expect(vals.Status.ValidatorPlacements).To(HaveLen(1))

	full := dep(seiv1alpha1.RoleFullNode, 1)
	remember(full, []seiv1alpha1.SeiNode{record(full, 0, "us")})
	g.Expect(full.Status.ValidatorPlacements).To(BeNil(), "full nodes move freely: nothing to remember")
}

// The place plan used to write the records of ordinals whose record was being deleted: the scheduler
// does not count a terminating record, places its ordinal anew, and the plan rewrote the terminating
// record's clusterName (deletion policy Delete: the mirror then released the wrong cluster).
func TestATerminatingRecordIsNeverWritten(t *testing.T) {
	g := NewWithT(t)
	full := dep(seiv1alpha1.RoleFullNode, 2)
	records := []seiv1alpha1.SeiNode{record(full, 0, "us"), terminating(record(full, 1, "eu"))}
	p, err := nextPlan(full, decision(map[int]string{0: "us", 1: "ap"}), records)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p).To(BeNil(), "ordinal 1 waits until its record is gone")

	records = records[:1]
	p, _ = nextPlan(full, decision(map[int]string{0: "us", 1: "ap"}), records)
	var pl Placement
	g.Expect(decodeFirst(p, &pl)).To(Succeed())
	g.Expect(pl.Place).To(Equal(map[int]string{1: "ap"}))
	g.Expect(pl.From).To(Equal(map[int]string{1: ""}))
}

func TestAValidatorWrittenAnewGetsASigningStateFloor(t *testing.T) {
	g := NewWithT(t)
	genesisTime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	vals := dep(seiv1alpha1.RoleValidator, 2)
	vals.Status.Genesis = &seiv1alpha1.GenesisStatus{SHA256: "ab", ConfigMapName: "g", GenesisTime: metav1.NewTime(genesisTime)}
	us := record(vals, 0, "us")
	us.Status.Height = 700
	rememberPlacement(vals, 0, "us", 0)
	rememberPlacement(vals, 1, "eu", 0)
	ev := decision(map[int]string{0: "us", 1: "eu"})
	placed := func() Placement {
		t.Helper()
		p, err := nextPlan(vals, ev, genesisDone([]seiv1alpha1.SeiNode{us}))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(p.Type).To(Equal(PlanPlace))
		var pl Placement
		g.Expect(decodeFirst(p, &pl)).To(Succeed())
		return pl
	}

	// Before the genesis time no block exists, so no vote can: ceremony validators start at zero.
	ev.now = genesisTime.Add(-time.Minute)
	g.Expect(placed().Floors).To(BeEmpty())

	// After it, the record of ordinal 1 is gone and is written again on eu, where the memory says its
	// copy runs (or left its data claim): the key's own signing state is there, so no new floor, and a
	// copy that kept running is not restarted by one.
	ev.now = genesisTime.Add(time.Hour)
	pl := placed()
	g.Expect(pl.Place).To(Equal(map[int]string{1: "eu"}))
	g.Expect(pl.Floors).To(BeEmpty())
	g.Expect(vals.Status.PlacementOf(1).SigningStateFloor).To(BeZero())

	// A record written back to the cluster the memory names keeps the floor the memory holds.
	vals.Status.PlacementOf(1).SigningStateFloor = 300
	eu := record(vals, 1, "ap")
	p, _ := nextPlan(vals, ev, genesisDone([]seiv1alpha1.SeiNode{us, eu}))
	g.Expect(decodeFirst(p, &pl)).To(Succeed())
	g.Expect(pl.Place).To(Equal(map[int]string{1: "eu"}))
	g.Expect(pl.From).To(Equal(map[int]string{1: "ap"}))
	g.Expect(pl.Floors).To(Equal(map[int]int64{1: 300}))

	// A move after a fence: the memory follows the move, forgets the old copy, and the floor rises.
	eu = record(vals, 1, "eu")
	eu.Annotations[seiv1alpha1.AnnotationFencedCluster] = "eu"
	vals.Status.PlacementOf(1).MemberCopyUID, vals.Status.PlacementOf(1).Fenced = "old-copy", true
	us.Status.Height = 900
	ev.decision.Assignments[1] = "ap"
	p, _ = nextPlan(vals, ev, genesisDone([]seiv1alpha1.SeiNode{us, eu}))
	g.Expect(decodeFirst(p, &pl)).To(Succeed())
	g.Expect(pl.Place).To(Equal(map[int]string{1: "ap"}))
	g.Expect(pl.Floors).To(Equal(map[int]int64{1: 900 + DefaultFloorMargin}))
	g.Expect(*vals.Status.PlacementOf(1)).To(Equal(seiv1alpha1.ValidatorPlacement{Ordinal: 1, Cluster: "ap", SigningStateFloor: 900 + DefaultFloorMargin}))

	// The same move when an uncached read does not confirm the fence: the validator stays.
	rememberPlacement(vals, 1, "eu", 0)
	ev.unconfirmed = map[int]bool{1: true}
	p, _ = nextPlan(vals, ev, genesisDone([]seiv1alpha1.SeiNode{us, eu}))
	g.Expect(p).To(BeNil())

	// A validator the memory does not know yet, placed after the genesis time: above every height seen.
	grown := vals.DeepCopy()
	grown.Spec.Replicas = 3
	ev.unconfirmed = nil
	ev.decision.Assignments = map[int]string{0: "us", 1: "eu", 2: "ap"}
	us.Status.Height = 700
	p, _ = nextPlan(grown, ev, genesisDone([]seiv1alpha1.SeiNode{us, record(grown, 1, "eu")}))
	var added Placement
	g.Expect(decodeFirst(p, &added)).To(Succeed())
	g.Expect(added.Place).To(Equal(map[int]string{2: "ap"}))
	g.Expect(added.Floors).To(Equal(map[int]int64{2: 700 + DefaultFloorMargin}))
	g.Expect(grown.Status.PlacementOf(2).SigningStateFloor).To(Equal(int64(700+DefaultFloorMargin)), "persisted with the plan")
}

func TestRecordsCarryTheDeploymentUIDAndKeepTheirFloor(t *testing.T) {
	g := NewWithT(t)
	vals := dep(seiv1alpha1.RoleValidator, 1)
	r := buildRecord(vals, recordInput{Ordinal: 0, Cluster: "us", Policy: "p"})
	g.Expect(r.Labels).To(HaveKeyWithValue(seiv1alpha1.LabelDeploymentUID, "uid"))
	g.Expect(r.Spec.Validator.SigningStateFloor).To(BeZero())

	r.Spec.Validator.SigningStateFloor = 50
	g.Expect(buildRecord(vals, recordInput{Ordinal: 0, Cluster: "us", Existing: r}).Spec.Validator.SigningStateFloor).
		To(Equal(int64(50)), "an ordinary write keeps the floor (the apiserver refuses a lower one)")
	g.Expect(buildRecord(vals, recordInput{Ordinal: 0, Cluster: "us", Existing: r, Floor: 20}).Spec.Validator.SigningStateFloor).
		To(Equal(int64(50)))
	g.Expect(buildRecord(vals, recordInput{Ordinal: 0, Cluster: "eu", Existing: r, Floor: 80}).Spec.Validator.SigningStateFloor).
		To(Equal(int64(80)))
}
