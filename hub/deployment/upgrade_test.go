package deployment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// running marks a record as its member reports a node that runs its current spec at height.
func running(rec *seiv1alpha1.SeiNode, height int64) {
	rec.Generation = 1
	rec.Status.Phase = seiv1alpha1.NodeRunning
	rec.Status.CurrentImage = rec.Spec.Image
	rec.Status.Height = height
	rec.Status.Conditions = []metav1.Condition{
		{Type: seiv1alpha1.NodeReady, Status: metav1.ConditionTrue, Reason: "Running"},
		{Type: seiv1alpha1.NodeMemberSynced, Status: metav1.ConditionTrue, Reason: "InSync", ObservedGeneration: 1},
	}
}

func upgradeDeployment(height int64) (*seiv1alpha1.SeiNodeDeployment, []seiv1alpha1.SeiNode) {
	d := dep(seiv1alpha1.RoleFullNode, 3)
	recs := []seiv1alpha1.SeiNode{record(d, 0, "us"), record(d, 1, "eu"), record(d, 2, "ap")}
	for i := range recs {
		running(&recs[i], 40)
	}
	d.Spec.Upgrade = &seiv1alpha1.UpgradeSpec{Name: "v2", Height: height, Image: "seid:v2"}
	return d, recs
}

func upgradeReason(d *seiv1alpha1.SeiNodeDeployment) string {
	c := meta.FindStatusCondition(d.Status.Conditions, seiv1alpha1.DeploymentUpgradeInProgress)
	if c == nil {
		return ""
	}
	return c.Reason
}

// The whole decision sequence of an upgrade at a height, without an apiserver: scheduled with the
// rollout that arms the halt height, nothing switched before a node halted at the height, then each
// record moved as its node halts.
func TestUpgradeSchedulesArmsAndSwitchesHaltedNodes(t *testing.T) {
	g := NewWithT(t)
	d, recs := upgradeDeployment(100)
	ev := decision(map[int]string{0: "us", 1: "eu", 2: "ap"})

	p, err := nextPlan(d, ev, recs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(taskTypes(p)).To(Equal([]string{TaskRoll}), "the halt height is rolled out like a template change")
	g.Expect(d.Status.Upgrade).NotTo(BeNil(), "status.upgrade is persisted with the plan that arms it")
	g.Expect(d.Status.Upgrade.Phase).To(Equal(seiv1alpha1.UpgradeScheduled))
	g.Expect(d.Status.Upgrade.FromImage).To(Equal("seid:v1"))

	// The records the rollout writes carry the halt height and still the old image.
	for i := range recs {
		rec := buildRecord(d, recordInput{Ordinal: i, Cluster: recs[i].Spec.ClusterName, Existing: &recs[i], Template: d, Policy: "p"})
		g.Expect(rec.Spec.HaltHeight).To(Equal(int64(100)))
		g.Expect(rec.Spec.Image).To(Equal("seid:v1"), "nothing runs the new image before the height")
		recs[i] = *rec
		running(&recs[i], 90)
	}
	p, _ = nextPlan(d, ev, recs)
	g.Expect(p).To(BeNil(), "armed, below the height: wait")
	updateStatus(d, recs, ev)
	g.Expect(upgradeReason(d)).To(Equal(seiv1alpha1.ReasonUpgradeScheduled))

	// A halt reported for an older spec of the record does not count.
	recs[0].Status.HaltedAt, recs[0].Status.Height = 100, 100
	recs[0].Generation = 2
	p, _ = nextPlan(d, ev, recs)
	g.Expect(p).To(BeNil(), "the member has not processed the record's current spec")
	recs[0].Generation = 1

	// One node halted (the others may be stuck below the height, waiting for its votes): the switch
	// starts, and moves only the halted node.
	p, _ = nextPlan(d, ev, recs)
	g.Expect(taskTypes(p)).To(Equal([]string{TaskSwitchImage}))
	g.Expect(d.Status.Upgrade.Phase).To(Equal(seiv1alpha1.UpgradeSwitching))
	updateStatus(d, recs, ev)
	g.Expect(d.Status.Upgrade.Halted).To(ConsistOf("d-0"))
	g.Expect(upgradeReason(d)).To(Equal(seiv1alpha1.ReasonUpgradeSwitching))
	g.Expect(haltedAt(&recs[0], 100)).To(BeTrue())
	g.Expect(haltedAt(&recs[1], 100)).To(BeFalse(), "d-1 keeps the old image and the halt height until it halts")

	// From now on records are written with the new image and no halt height.
	rec := buildRecord(d, recordInput{Ordinal: 0, Cluster: "us", Existing: &recs[0], Template: d, Policy: "p"})
	g.Expect(rec.Spec.Image).To(Equal("seid:v2"))
	g.Expect(rec.Spec.HaltHeight).To(BeZero())

	// Removing spec.upgrade now does not undo the switch.
	d.Spec.Upgrade = nil
	d.Status.Plan = nil
	p, _ = nextPlan(d, ev, recs)
	g.Expect(taskTypes(p)).To(Equal([]string{TaskSwitchImage}))
	updateStatus(d, recs, ev)
	g.Expect(upgradeReason(d)).To(Equal(seiv1alpha1.ReasonUpgradeCancelRefused))
}

func TestUpgradeTooCloseIsNotScheduled(t *testing.T) {
	g := NewWithT(t)
	d, recs := upgradeDeployment(43)
	ev := decision(map[int]string{0: "us", 1: "eu", 2: "ap"})
	p, err := nextPlan(d, ev, recs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p).To(BeNil())
	g.Expect(d.Status.Upgrade).To(BeNil(), "nothing scheduled")
	updateStatus(d, recs, ev)
	g.Expect(upgradeReason(d)).To(Equal(seiv1alpha1.ReasonUpgradeHeightTooClose))
}

func TestUpgradeMissedIsNotSwitchedAndCanBeCancelled(t *testing.T) {
	g := NewWithT(t)
	d, recs := upgradeDeployment(100)
	ev := decision(map[int]string{0: "us", 1: "eu", 2: "ap"})
	_, _ = nextPlan(d, ev, recs)
	for i := range recs {
		recs[i] = *buildRecord(d, recordInput{Ordinal: i, Cluster: recs[i].Spec.ClusterName, Existing: &recs[i], Template: d, Policy: "p"})
		running(&recs[i], 100)
		recs[i].Status.HaltedAt = 100
	}
	recs[1].Status.Height = 101 // went on past the height on the old image
	p, _ := nextPlan(d, ev, recs)
	g.Expect(p).To(BeNil(), "nothing is switched")
	g.Expect(d.Status.Upgrade.Phase).To(Equal(seiv1alpha1.UpgradeFailed))
	updateStatus(d, recs, ev)
	g.Expect(upgradeReason(d)).To(Equal(seiv1alpha1.ReasonUpgradeMissed))
	c := meta.FindStatusCondition(d.Status.Conditions, seiv1alpha1.DeploymentUpgradeInProgress)
	g.Expect(c.Message).To(ContainSubstring("d-1 reported height 101"))

	// Removing spec.upgrade cancels it: the rollout clears the halt heights.
	d.Spec.Upgrade = nil
	p, _ = nextPlan(d, ev, recs)
	g.Expect(taskTypes(p)).To(Equal([]string{TaskRoll}))
	g.Expect(d.Status.Upgrade).To(BeNil())
	g.Expect(buildRecord(d, recordInput{Ordinal: 0, Cluster: "us", Existing: &recs[0], Template: d, Policy: "p"}).Spec.HaltHeight).To(BeZero())
	updateStatus(d, recs, ev)
	g.Expect(upgradeReason(d)).To(Equal(seiv1alpha1.ReasonUpgradeCancelled))
}

// Joined full nodes follow the upgrade of the deployment they join.
func TestJoinerFollowsItsTargetsUpgrade(t *testing.T) {
	g := NewWithT(t)
	d, recs := upgradeDeployment(100)
	up := d.Spec.Upgrade
	d.Spec.Upgrade = nil
	ev := decision(map[int]string{0: "us", 1: "eu", 2: "ap"})
	ev.join = &JoinTarget{Upgrade: up}
	for i := range recs {
		recs[i].Spec.Genesis, recs[i].Spec.Peers = &ev.join.Genesis, ev.join.Peers
	}
	p, _ := nextPlan(d, ev, recs)
	g.Expect(taskTypes(p)).To(Equal([]string{TaskRoll}))
	g.Expect(d.Status.Upgrade.Height).To(Equal(int64(100)))
}

// Hashes of deployments that never declared an upgrade are what they were before upgrades existed
// (no rollout on a hub update); a scheduled upgrade changes it.
func TestTemplateHashWithoutUpgradeIsUnchanged(t *testing.T) {
	g := NewWithT(t)
	d := dep(seiv1alpha1.RoleFullNode, 1)
	raw, err := json.Marshal(struct {
		Image    string                   `json:"image"`
		Template seiv1alpha1.NodeSettings `json:"template"`
	}{d.Spec.Image, d.Spec.Template})
	g.Expect(err).NotTo(HaveOccurred())
	sum := sha256.Sum256(raw)
	g.Expect(TemplateHash(d)).To(Equal(hex.EncodeToString(sum[:])[:16]))
	d.Status.Upgrade = &seiv1alpha1.UpgradeStatus{Name: "v2", Height: 9, Image: "seid:v2", FromImage: "seid:v1", Phase: seiv1alpha1.UpgradeScheduled}
	g.Expect(TemplateHash(d)).NotTo(Equal(hex.EncodeToString(sum[:])[:16]))
}
