package mirror

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/heightcadence"
)

func running(h int64, reason, msg string) seiv1alpha1.SeiNodeStatus {
	st := metav1.ConditionTrue
	if reason != seiv1alpha1.ReasonCaughtUp {
		st = metav1.ConditionFalse
	}
	return seiv1alpha1.SeiNodeStatus{Phase: seiv1alpha1.NodeRunning, Height: h, Conditions: []metav1.Condition{
		{Type: seiv1alpha1.NodeReady, Status: metav1.ConditionTrue, Reason: "Running"},
		{Type: seiv1alpha1.NodeCaughtUp, Status: st, Reason: reason, Message: msg},
	}}
}

func TestHeightOnlyIsTheHeightAndTheMessageCarryingIt(t *testing.T) {
	g := NewWithT(t)
	a := running(100, seiv1alpha1.ReasonCaughtUp, "at height 100")
	b := running(160, seiv1alpha1.ReasonCaughtUp, "at height 160")
	g.Expect(heightOnly(&a, &b)).To(BeTrue())
	g.Expect(heightOnly(&a, &a)).To(BeFalse(), "no change is no height change")
	behind := running(160, seiv1alpha1.ReasonCatchingUp, "catching up at height 160")
	g.Expect(heightOnly(&a, &behind)).To(BeFalse(), "a verdict turning")
	image := b.DeepCopy()
	image.CurrentImage = "seid:v2"
	g.Expect(heightOnly(&a, image)).To(BeFalse())
	ready := b.DeepCopy()
	ready.Conditions[0].Message = "other"
	g.Expect(heightOnly(&a, ready)).To(BeFalse(), "another condition's message")
}

func TestOnlyAFullNodesHeightIsHeld(t *testing.T) {
	g := NewWithT(t)
	now := time.Unix(1000, 0)
	r := &Reconciler{Heights: &heightcadence.Limiter{Interval: time.Minute}}
	rec := func(spec seiv1alpha1.SeiNodeSpec) (*seiv1alpha1.SeiNode, *seiv1alpha1.SeiNode) {
		before := &seiv1alpha1.SeiNode{Spec: spec, Status: running(100, seiv1alpha1.ReasonCaughtUp, "at height 100")}
		before.UID = "uid"
		after := before.DeepCopy()
		after.Status = running(160, seiv1alpha1.ReasonCaughtUp, "at height 160")
		return before, after
	}
	full := seiv1alpha1.SeiNodeSpec{FullNode: &seiv1alpha1.FullNodeSpec{}}
	before, after := rec(full)
	g.Expect(r.holdHeight(before, after, now)).To(BeZero(), "no height written yet")
	r.Heights.Wrote("uid", now)

	before, after = rec(full)
	g.Expect(r.holdHeight(before, after, now.Add(10*time.Second))).To(Equal(50 * time.Second))
	g.Expect(after.Status.Height).To(BeEquivalentTo(100), "the record keeps its height")

	before, after = rec(seiv1alpha1.SeiNodeSpec{Validator: &seiv1alpha1.ValidatorSpec{}})
	g.Expect(r.holdHeight(before, after, now.Add(10*time.Second))).To(BeZero(), "a validator's floors are set from its heights")
	g.Expect(after.Status.Height).To(BeEquivalentTo(160))

	halting := full
	halting.HaltHeight = 500
	before, after = rec(halting)
	g.Expect(r.holdHeight(before, after, now.Add(10*time.Second))).To(BeZero(), "an upgrade is judged by heights")
}
