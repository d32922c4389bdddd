package node_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestSidecarFailureIsRetriedWithinItsBudget(t *testing.T) {
	g := NewWithT(t)
	sidecars := startAgentWithSidecars(t)
	ns := namespace(t)
	// Two failures, then success: within the budget of 3 retries.
	sidecars.Node(ns, "flaky").FailTask(sidecar.TaskTypeConfigValidate, 2, "config.toml: invalid persistent peer")

	node := fullNode(ns, "flaky")
	key := create(t, node)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))

	sc := sidecars.Node(ns, "flaky")
	var validate sidecartest.Task
	for _, task := range sc.Tasks() {
		if task.Type == sidecar.TaskTypeConfigValidate {
			validate = task
		}
	}
	g.Expect(sc.Runs(validate.ID)).To(Equal(3), "two failed runs and a successful retry, under one task ID")
	g.Expect(meta.IsStatusConditionFalse(get(t, key).Status.Conditions, seiv1alpha1.NodePlanFailed)).To(BeTrue())
}

func TestSidecarFailureBeyondItsBudgetFailsTheNodeNamingTheTask(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	sidecars := sidecartest.NewFleet()
	t.Cleanup(sidecars.Close) // after the agent stops: cleanups run last-in first-out
	run := startAgent(t, agentOpts{sidecars: sidecars})
	ns := namespace(t)
	sidecars.Node(ns, "broken").FailTask(sidecar.TaskTypeConfigValidate, -1, "config.toml: invalid persistent peer")

	node := fullNode(ns, "broken")
	key := create(t, node)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeFailed))

	n := get(t, key)
	cond := meta.FindStatusCondition(n.Status.Conditions, seiv1alpha1.NodePlanFailed)
	g.Expect(cond).NotTo(BeNil())
	g.Expect(cond.Status).To(Equal(metaTrue))
	g.Expect(cond.Reason).To(Equal(seiv1alpha1.ReasonTaskFailed))
	g.Expect(cond.Message).To(ContainSubstring(tasks.TypeSidecarConfigCheck), "names the task")
	g.Expect(cond.Message).To(ContainSubstring("config.toml: invalid persistent peer"), "carries the error")
	g.Expect(cond.Message).To(ContainSubstring("3 of 3 retries"))
	g.Expect(meta.IsStatusConditionFalse(n.Status.Conditions, seiv1alpha1.NodeInitialized)).To(BeTrue())

	sc := sidecars.Node(ns, "broken")
	g.Expect(sc.Submissions(sidecar.TaskTypeMarkReady)).To(BeZero(), "nothing after the failed task ran")
	for _, task := range sc.Tasks() {
		if task.Type == sidecar.TaskTypeConfigValidate {
			g.Expect(sc.Runs(task.ID)).To(Equal(4), "the first run and three retries")
		}
	}

	// The same spec is not retried in a loop: no new plan, no writes.
	run.writes.Reset()
	g.Consistently(func() *seiv1alpha1.TaskPlan { return get(t, key).Status.Plan }).WithTimeout(2 * time.Second).Should(BeNil())
	for _, w := range run.writes.Writes() {
		g.Expect(w.Namespace).NotTo(Equal(ns), "a failed node with an unchanged spec causes no writes: %+v", w)
	}

	// Fixing the cause and changing the spec starts a fresh attempt.
	sc.FailTask(sidecar.TaskTypeConfigValidate, 0, "")
	n = get(t, key)
	n.Spec.Peers = nil
	g.Expect(member().Client.Update(ctx, n)).To(Succeed())
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	g.Expect(meta.IsStatusConditionFalse(get(t, key).Status.Conditions, seiv1alpha1.NodePlanFailed)).To(BeTrue())
}
