package node_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

var metaTrue = metav1.ConditionTrue

func TestAgentRestartedMidPlanFinishesWithoutRepeatingWork(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	sidecars := sidecartest.NewFleet()
	t.Cleanup(sidecars.Close) // after the agent stops: cleanups run last-in first-out
	ns := namespace(t)
	sc := sidecars.Node(ns, "steady")
	sc.HangTask(sidecar.TaskTypeMarkReady) // the plan stops mid-way, at mark-ready

	first := startAgent(t, agentOpts{sidecars: sidecars})
	node := fullNode(ns, "steady")
	key := create(t, node)
	g.Eventually(func() string {
		task := planner.CurrentTask(get(t, key).Status.Plan)
		if task == nil {
			return ""
		}
		return task.Type + "/" + string(task.Status)
	}).WithTimeout(60 * time.Second).Should(Equal(tasks.TypeSidecarMarkReady + "/" + string(seiv1alpha1.TaskRunning)))
	first.stop()

	planID := get(t, key).Status.Plan.ID
	secret := &corev1.Secret{}
	g.Expect(member().Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "steady-node-key"}, secret)).To(Succeed())
	sts := &appsv1.StatefulSet{}
	g.Expect(member().Client.Get(ctx, key, sts)).To(Succeed())

	// A new agent takes over the same plan.
	second := startAgent(t, agentOpts{sidecars: sidecars})
	time.Sleep(time.Second)
	sc.ReleaseTask(sidecar.TaskTypeMarkReady)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))

	// Every sidecar task ran once, under the plan's IDs; no resource was made twice or remade.
	for _, task := range sc.Tasks() {
		g.Expect(sc.Runs(task.ID)).To(Equal(1), "task %s ran once", task.Type)
		g.Expect(sc.Submissions(task.Type)).To(Equal(1), "task %s was submitted once", task.Type)
	}
	for _, w := range second.writes.Writes() {
		if w.Namespace == ns && w.Verb == "create" {
			t.Errorf("the second agent created %s %s: the first had made it", w.Kind, w.Name)
		}
	}
	again := &corev1.Secret{}
	g.Expect(member().Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "steady-node-key"}, again)).To(Succeed())
	g.Expect(again.UID).To(Equal(secret.UID), "the node key is the one minted before the restart")
	g.Expect(get(t, key).Status.NodeID).NotTo(BeEmpty())
	stsAgain := &appsv1.StatefulSet{}
	g.Expect(member().Client.Get(ctx, key, stsAgain)).To(Succeed())
	g.Expect(stsAgain.UID).To(Equal(sts.UID))
	list := &appsv1.StatefulSetList{}
	g.Expect(member().Client.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	g.Expect(list.Items).To(HaveLen(1))
	g.Expect(planID).NotTo(BeEmpty())
}
