package node_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/node"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// A running node's pod is created again with no spec change (evicted, its host drained, deleted by
// hand): the new pod's sidecar has not released seid, whose start script waits at the gate. The agent
// sees seid waiting beside a sidecar that says "not released" and releases it (a resume plan); the
// same happens for a second new pod in the same generation, although the sidecar's store (on the data
// volume) still holds the first resume's finished mark-ready. A seid that is not ready while the
// sidecar has released it (catching up, say) is left alone.
func TestParkedSeidIsReleasedAgain(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	sidecars := startAgentWithSidecars(t)
	ns := namespace(t)
	key := create(t, fullNode(ns, "rpc-park"))
	dumpOnFailure(t, key)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	sc := sidecars.Node(ns, key.Name)
	g.Expect(sc.Healthy()).To(BeTrue())
	podKey := client.ObjectKey{Namespace: ns, Name: key.Name + "-0"}

	// Released, seid not ready: not parked.
	setContainers(t, podKey, "", false)
	g.Consistently(func(g Gomega) {
		g.Expect(get(t, key).Status.Plan).To(BeNil())
	}).WithTimeout(2 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
	g.Expect(sc.Submissions("mark-ready")).To(Equal(1))

	for i := 1; i <= 2; i++ {
		old := &corev1.Pod{}
		g.Expect(member().Client.Get(ctx, podKey, old)).To(Succeed())
		member().Sim.HoldNotReady(ns, key.Name)
		sc.SetHealthy(false) // the new pod's sidecar starts unreleased
		g.Expect(member().Client.Delete(ctx, old)).To(Succeed())
		setContainers(t, podKey, old.UID, false)

		g.Eventually(func(g Gomega) {
			n := get(t, key)
			g.Expect(n.Status.Plan).NotTo(BeNil())
			g.Expect(n.Status.Plan.Type).To(Equal(node.PlanResume))
			g.Expect(sc.Healthy()).To(BeTrue(), "seid released")
		}).WithTimeout(30*time.Second).WithPolling(50*time.Millisecond).Should(Succeed(), "new pod %d", i)
		g.Expect(sc.Submissions("mark-ready")).To(Equal(1 + i))

		member().Sim.Release(ns, key.Name)
		setContainers(t, podKey, "", true)
		g.Eventually(func(g Gomega) {
			n := get(t, key)
			g.Expect(n.Status.Plan).To(BeNil())
			g.Expect(n.Status.Phase).To(Equal(seiv1alpha1.NodeRunning))
		}).WithTimeout(30 * time.Second).Should(Succeed())
	}
}

// setContainers writes the pod's container statuses as a kubelet would: the sidecar running and
// ready, seid running and ready or not. notUID, when set, waits for a pod other than that one.
func setContainers(t *testing.T, key client.ObjectKey, notUID any, seidReady bool) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		pod := &corev1.Pod{}
		g.Expect(member().Client.Get(t.Context(), key, pod)).To(Succeed())
		if notUID != "" {
			g.Expect(pod.UID).NotTo(Equal(notUID))
		}
		running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
		pod.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: resources.ContainerSidecar, State: running, Ready: true}}
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: resources.ContainerSeid, State: running, Ready: seidReady}}
		g.Expect(member().Client.Status().Update(t.Context(), pod)).To(Succeed())
	}).WithTimeout(30 * time.Second).Should(Succeed())
}

// A node's pod is created again while its init plan waits for the rollout (a state-sync joiner can
// wait there for as long as it syncs): the plan's mark-ready released the old pod, and the new pod's
// seid waits at the gate. await-rollout releases it, once per new pod, and the plan goes on; a pod at
// a revision other than the StatefulSet's update revision is never released (it could be an old image
// past a halt height).
func TestAReplacedPodIsReleasedWhileTheRolloutIsAwaited(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	sidecars := startAgentWithSidecars(t)
	ns := namespace(t)
	n := fullNode(ns, "rpc-joining")
	member().Sim.HoldNotReady(ns, n.Name) // seid syncs: the rollout is not done
	key := create(t, n)
	dumpOnFailure(t, key)
	sc := sidecars.Node(ns, key.Name)
	g.Eventually(func(g Gomega) {
		g.Expect(sc.Submissions("mark-ready")).To(Equal(1))
		g.Expect(sc.Healthy()).To(BeTrue())
	}).WithTimeout(60 * time.Second).Should(Succeed())
	podKey := client.ObjectKey{Namespace: ns, Name: key.Name + "-0"}
	stillInit := func(g Gomega) {
		n := get(t, key)
		g.Expect(n.Status.Phase).To(Equal(seiv1alpha1.NodeInitializing))
		g.Expect(n.Status.Plan).NotTo(BeNil())
		g.Expect(n.Status.Plan.Type).To(Equal(node.PlanInit))
	}

	for i := 1; i <= 2; i++ {
		old := &corev1.Pod{}
		g.Expect(member().Client.Get(ctx, podKey, old)).To(Succeed())
		sc.SetHealthy(false) // the new pod's sidecar starts unreleased
		g.Expect(member().Client.Delete(ctx, old)).To(Succeed())
		if i == 2 {
			// Not the update revision: left at the gate.
			g.Eventually(func(g Gomega) {
				pod := &corev1.Pod{}
				g.Expect(member().Client.Get(ctx, podKey, pod)).To(Succeed())
				g.Expect(pod.UID).NotTo(Equal(old.UID))
				pod.Labels[appsv1.StatefulSetRevisionLabel] = "an-older-revision"
				g.Expect(member().Client.Update(ctx, pod)).To(Succeed())
			}).WithTimeout(30 * time.Second).Should(Succeed())
			setContainers(t, podKey, old.UID, false)
			g.Consistently(func(g Gomega) {
				g.Expect(sc.Healthy()).To(BeFalse())
				stillInit(g)
			}).WithTimeout(3 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
			g.Expect(sc.Submissions("mark-ready")).To(Equal(i))
			old = &corev1.Pod{}
			g.Expect(member().Client.Get(ctx, podKey, old)).To(Succeed())
			g.Expect(member().Client.Delete(ctx, old)).To(Succeed())
		}
		setContainers(t, podKey, old.UID, false)
		g.Eventually(func(g Gomega) {
			g.Expect(sc.Healthy()).To(BeTrue(), "seid released")
			stillInit(g)
		}).WithTimeout(30*time.Second).WithPolling(50*time.Millisecond).Should(Succeed(), "new pod %d", i)
		g.Expect(sc.Submissions("mark-ready")).To(Equal(1 + i))
	}

	member().Sim.Release(ns, key.Name)
	setContainers(t, podKey, "", true)
	g.Eventually(phaseOf(t, key)).WithTimeout(30 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	g.Expect(sc.Submissions("mark-ready")).To(Equal(3))
}
