package node

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// halting sets spec.haltHeight 100.
func halting(n *seiv1alpha1.SeiNode) { n.Spec.HaltHeight = 100 }

// A halt height is armed by a reconfigure that restarts seid with it and then closes the start gate;
// then the node waits for the height; once there it is held: no plan releases it on the same image.
func TestHaltHeightPlans(t *testing.T) {
	g := NewWithT(t)
	running := phase(seiv1alpha1.NodeRunning, 1)
	current := func(n *seiv1alpha1.SeiNode) { n.Status.CurrentImage = n.Spec.Image }

	arming := testNode(running, current, halting, func(n *seiv1alpha1.SeiNode) { n.Generation = 2 })
	g.Expect(nextPlan(arming)).To(Equal(PlanReconfigure))
	p, err := buildPlan(arming, PlanReconfigure)
	g.Expect(err).NotTo(HaveOccurred())
	steps := types(p)
	g.Expect(steps).To(ContainElement(tasks.TypeSidecarRestartSeid))
	g.Expect(steps[len(steps)-1]).To(Equal(tasks.TypeSidecarHold), "the gate closes behind the restarted seid")

	g.Expect(resumable(testNode(running, current))).To(BeTrue())
	g.Expect(resumable(arming)).To(BeFalse(), "a parked seid of a node with a halt height is not released")

	armed := testNode(running, current, halting)
	g.Expect(nextPlan(armed)).To(Equal(PlanAwaitHalt))
	p, _ = buildPlan(armed, PlanAwaitHalt)
	g.Expect(types(p)).To(Equal([]string{tasks.TypeAwaitHalt}))
	g.Expect(p.FailedPhase).To(BeEmpty(), "a failed wait keeps the node Running")

	failedArming := testNode(running, current, halting, func(n *seiv1alpha1.SeiNode) {
		n.Status.Conditions = []metav1.Condition{{Type: seiv1alpha1.NodePlanFailed, Status: metav1.ConditionTrue, Reason: "TaskFailed"}}
	})
	g.Expect(nextPlan(failedArming)).To(BeEmpty(), "not armed: nothing to wait for")

	// Reached: finishing the wait records it, and the node is held.
	armed.Status.Plan = p
	armed.Status.Plan.Phase = seiv1alpha1.PlanComplete
	armed.Status.Height = 99
	g.Expect(finishPlan(armed, time.Now())).To(BeEmpty())
	g.Expect(armed.Status.HaltedAt).To(Equal(int64(100)))
	g.Expect(armed.Status.Height).To(Equal(int64(100)))
	updateConditions(armed, podObservation{})
	g.Expect(meta.IsStatusConditionTrue(armed.Status.Conditions, seiv1alpha1.NodeHalted)).To(BeTrue())
	g.Expect(meta.IsStatusConditionTrue(armed.Status.Conditions, seiv1alpha1.NodeReady)).To(BeFalse())
	g.Expect(nextPlan(armed)).To(BeEmpty(), "held")
	g.Expect(resumable(armed)).To(BeFalse(), "held: never resumed")
	armed.Generation = 2 // another spec change on the same image: still held
	g.Expect(nextPlan(armed)).To(BeEmpty(), "a reconfigure would release seid on the old image past the height")

	// The switch: a new image and no halt height. The node update carries no hold and no restart.
	armed.Spec.Image, armed.Spec.HaltHeight = "seid:v2", 0
	g.Expect(nextPlan(armed)).To(Equal(PlanNodeUpdate))
	p, _ = buildPlan(armed, PlanNodeUpdate)
	g.Expect(types(p)).NotTo(ContainElement(tasks.TypeSidecarHold))
	g.Expect(types(p)).To(ContainElement(tasks.TypeSidecarMarkReady))
	armed.Status.Plan = p
	armed.Status.Plan.Phase = seiv1alpha1.PlanComplete
	finishPlan(armed, time.Now())
	g.Expect(armed.Status.HaltedAt).To(BeZero(), "released on the new image")

	// A cancel of a halted node: a reconfigure without restart-seid (seid is parked at the gate:
	// mark-ready starts it) and without a hold.
	cancelled := testNode(running, current, func(n *seiv1alpha1.SeiNode) { n.Generation, n.Status.HaltedAt = 2, 100 })
	g.Expect(nextPlan(cancelled)).To(Equal(PlanReconfigure))
	p, _ = buildPlan(cancelled, PlanReconfigure)
	g.Expect(types(p)).NotTo(ContainElements(tasks.TypeSidecarRestartSeid, tasks.TypeSidecarHold))
	g.Expect(types(p)).To(ContainElement(tasks.TypeSidecarMarkReady))
}

// A wait that ends because the spec moved on (the upgrade cancelled) records no halt.
func TestAwaitHaltOfAnOlderSpecRecordsNoHalt(t *testing.T) {
	g := NewWithT(t)
	n := testNode(phase(seiv1alpha1.NodeRunning, 1), halting, func(n *seiv1alpha1.SeiNode) { n.Status.CurrentImage = n.Spec.Image })
	p, err := buildPlan(n, PlanAwaitHalt)
	g.Expect(err).NotTo(HaveOccurred())
	n.Status.Plan = p
	n.Status.Plan.Phase = seiv1alpha1.PlanComplete
	n.Generation, n.Spec.HaltHeight = 2, 0
	finishPlan(n, time.Now())
	g.Expect(n.Status.HaltedAt).To(BeZero())
	g.Expect(nextPlan(n)).To(Equal(PlanReconfigure), "the cancel is applied next")
}
