package node_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

func TestFullNodeGoesFromPendingToRunning(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	sidecars := sidecartest.NewFleet()
	t.Cleanup(sidecars.Close) // after the agent stops: cleanups run last-in first-out
	run := startAgent(t, agentOpts{sidecars: sidecars})

	ns := namespace(t)
	node := fullNode(ns, "rpc-0")
	key := create(t, node)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	node = get(t, key)

	// The phases the agent wrote, in order, and the plan persisted before anything was made.
	var phases []seiv1alpha1.NodePhase
	firstPlan, firstResource := -1, -1
	for i, w := range run.writes.Writes() {
		if w.Namespace != ns {
			continue
		}
		if w.Kind == "SeiNode" && w.Subresource == "status" {
			n := w.Object.(*seiv1alpha1.SeiNode)
			if len(phases) == 0 || phases[len(phases)-1] != n.Status.Phase {
				phases = append(phases, n.Status.Phase)
			}
			if firstPlan < 0 && n.Status.Plan != nil {
				firstPlan = i
			}
		}
		if w.Kind != "SeiNode" && firstResource < 0 {
			firstResource = i
		}
	}
	g.Expect(phases).To(Equal([]seiv1alpha1.NodePhase{seiv1alpha1.NodePending, seiv1alpha1.NodeInitializing, seiv1alpha1.NodeRunning}))
	g.Expect(firstPlan).To(BeNumerically(">=", 0))
	g.Expect(firstResource).To(BeNumerically(">", firstPlan), "the plan is in status before the first resource is written")

	// What exists is what the generators render (both defaulted by the apiserver, then compared).
	cfg := config.Default()
	wantSTS, err := resources.BuildStatefulSet(node, cfg)
	g.Expect(err).NotTo(HaveOccurred())
	sts := &appsv1.StatefulSet{}
	g.Expect(member().Client.Get(ctx, client.ObjectKeyFromObject(wantSTS), sts)).To(Succeed())
	g.Expect(sts.Labels).To(Equal(wantSTS.Labels))
	g.Expect(sts.OwnerReferences).To(Equal(wantSTS.OwnerReferences))
	defaulted(t, wantSTS)
	g.Expect(cmp.Diff(wantSTS.Spec, sts.Spec)).To(BeEmpty(), "StatefulSet spec matches the generator")
	for _, build := range []func(*seiv1alpha1.SeiNode, *config.Config) (*corev1.Service, error){resources.BuildHeadlessService, resources.BuildP2PService} {
		want, err := build(node, cfg)
		g.Expect(err).NotTo(HaveOccurred())
		svc := &corev1.Service{}
		g.Expect(member().Client.Get(ctx, client.ObjectKeyFromObject(want), svc)).To(Succeed())
		if want.Spec.Type == "" {
			want.Spec.Type = corev1.ServiceTypeClusterIP
		}
		g.Expect(svc.Spec.Type).To(Equal(want.Spec.Type))
		g.Expect(svc.Spec.Selector).To(Equal(want.Spec.Selector))
		g.Expect(svc.Spec.PublishNotReadyAddresses).To(Equal(want.Spec.PublishNotReadyAddresses))
		g.Expect(len(svc.Spec.Ports)).To(Equal(len(want.Spec.Ports)))
		for i, p := range want.Spec.Ports {
			g.Expect(svc.Spec.Ports[i].Name).To(Equal(p.Name))
			g.Expect(svc.Spec.Ports[i].Port).To(Equal(p.Port))
			g.Expect(svc.Spec.Ports[i].TargetPort).To(Equal(p.TargetPort))
		}
		g.Expect(svc.Labels).To(Equal(want.Labels))
	}
	wantPVC, err := resources.BuildDataPVC(node, cfg)
	g.Expect(err).NotTo(HaveOccurred())
	pvc := &corev1.PersistentVolumeClaim{}
	g.Expect(member().Client.Get(ctx, client.ObjectKeyFromObject(wantPVC), pvc)).To(Succeed())
	defaulted(t, wantPVC)
	g.Expect(cmp.Diff(wantPVC.Spec, pvc.Spec)).To(BeEmpty(), "PVC matches the generator")

	// Identity, address and image are in status; conditions say Ready.
	secret := &corev1.Secret{}
	g.Expect(member().Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "rpc-0-node-key"}, secret)).To(Succeed())
	g.Expect(secret.Immutable).To(HaveValue(BeTrue()))
	nodeKey, err := seikeys.ParseNodeKey(secret.Data["node_key.json"])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(node.Status.NodeID).To(Equal(nodeKey.ID()))
	g.Expect(node.Status.CurrentImage).To(Equal("seid:v1"))
	g.Expect(node.Status.Mode).To(Equal(seiv1alpha1.ModeFull))
	g.Expect(node.Status.P2PAddress).To(MatchRegexp(`^\d+\.\d+\.\d+\.\d+:\d+$`))
	g.Expect(node.Status.Plan).To(BeNil())
	g.Expect(node.Status.ObservedGeneration).To(Equal(node.Generation))
	g.Expect(meta.IsStatusConditionTrue(node.Status.Conditions, seiv1alpha1.NodeReady)).To(BeTrue())
	g.Expect(meta.IsStatusConditionTrue(node.Status.Conditions, seiv1alpha1.NodeIdentityReady)).To(BeTrue())
	g.Expect(meta.IsStatusConditionFalse(node.Status.Conditions, seiv1alpha1.NodePlanFailed)).To(BeTrue())

	// The sidecar ran each task once, with the node's peers and address.
	sc := sidecars.Node(ns, "rpc-0")
	for _, typ := range []string{sidecar.TaskTypeConfigureGenesis, sidecar.TaskTypeConfigApply, sidecar.TaskTypeConfigPatch,
		sidecar.TaskTypeConfigValidate, sidecar.TaskTypeMarkReady} {
		g.Expect(sc.Submissions(typ)).To(Equal(1), typ)
	}
	var patch sidecartest.Task
	for _, task := range sc.Tasks() {
		if task.Type == sidecar.TaskTypeConfigPatch {
			patch = task
		}
	}
	p2p := patch.Params["files"].(map[string]any)["config.toml"].(map[string]any)["p2p"].(map[string]any)
	g.Expect(p2p["persistent-peers"]).To(Equal(node.Spec.Peers[0]))
	g.Expect(p2p["external-address"]).To(Equal(node.Status.P2PAddress))
}

// defaulted replaces obj with what the apiserver makes of it (a server-side dry-run create in a scratch
// namespace), so a generator's output compares equal to the live object it produced.
func defaulted(t *testing.T, obj client.Object) {
	t.Helper()
	g := NewWithT(t)
	scratch := "defaulting"
	if err := member().Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: scratch}}); err != nil {
		g.Expect(apierrors.IsAlreadyExists(err)).To(BeTrue(), "%v", err)
	}
	obj.SetNamespace(scratch)
	obj.SetOwnerReferences(nil)
	g.Expect(member().Client.Create(t.Context(), obj, client.DryRunAll)).To(Succeed())
}

func TestImageChangeRollsTheNode(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)
	node := fullNode(ns, "rpc-1")
	key := create(t, node)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))

	pod := &corev1.Pod{}
	podKey := client.ObjectKey{Namespace: ns, Name: "rpc-1-0"}
	g.Expect(member().Client.Get(ctx, podKey, pod)).To(Succeed())
	oldPodUID := pod.UID

	node = get(t, key)
	node.Spec.Image = "seid:v2"
	g.Expect(member().Client.Update(ctx, node)).To(Succeed())

	var sawUpdating bool
	g.Eventually(func(g Gomega) {
		n := get(t, key)
		if meta.IsStatusConditionTrue(n.Status.Conditions, seiv1alpha1.NodeUpdateInProgress) {
			sawUpdating = true
		}
		g.Expect(n.Status.CurrentImage).To(Equal("seid:v2"))
		g.Expect(n.Status.Plan).To(BeNil())
	}).WithTimeout(60 * time.Second).WithPolling(50 * time.Millisecond).Should(Succeed())
	n := get(t, key)
	g.Expect(n.Status.Phase).To(Equal(seiv1alpha1.NodeRunning))
	g.Expect(meta.IsStatusConditionFalse(n.Status.Conditions, seiv1alpha1.NodeUpdateInProgress)).To(BeTrue())
	g.Expect(sawUpdating).To(BeTrue(), "NodeUpdateInProgress was True during the rollout")

	sts := &appsv1.StatefulSet{}
	g.Expect(member().Client.Get(ctx, key, sts)).To(Succeed())
	g.Expect(sts.Spec.Template.Spec.Containers[0].Image).To(Equal("seid:v2"))
	g.Expect(member().Client.Get(ctx, podKey, pod)).To(Succeed())
	g.Expect(pod.UID).NotTo(Equal(oldPodUID), "the pod was replaced (OnDelete)")
	g.Expect(pod.Labels[appsv1.StatefulSetRevisionLabel]).To(Equal(sts.Status.UpdateRevision))
}

// After replace-pod the old pod terminates for a while (its grace period) and its sidecar still
// answers. The update plan must configure and release the new pod's sidecar, not that one: seen on
// real nodes, where releasing the old one left the new pod's seid waiting for ever.
func TestImageRolloutWaitsForTheNewPod(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)
	key := create(t, fullNode(ns, "rpc-2"))
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))

	// A finalizer holds the old pod in Terminating, as a kubelet does during the grace period.
	const hold = "test.sei.io/hold"
	pod := &corev1.Pod{}
	podKey := client.ObjectKey{Namespace: ns, Name: "rpc-2-0"}
	g.Expect(member().Client.Get(ctx, podKey, pod)).To(Succeed())
	pod.Finalizers = append(pod.Finalizers, hold)
	g.Expect(member().Client.Update(ctx, pod)).To(Succeed())
	oldUID := pod.UID

	node := get(t, key)
	node.Spec.Image = "seid:v2"
	g.Expect(member().Client.Update(ctx, node)).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(member().Client.Get(ctx, podKey, pod)).To(Succeed())
		g.Expect(pod.DeletionTimestamp).NotTo(BeNil(), "replace-pod deleted the old pod")
	}).WithTimeout(30 * time.Second).Should(Succeed())
	g.Consistently(func(g Gomega) {
		n := get(t, key)
		g.Expect(n.Status.Plan).NotTo(BeNil())
		for _, task := range n.Status.Plan.Tasks {
			if task.Type == "sidecar-config-apply" {
				g.Expect(task.Status).To(Equal(seiv1alpha1.TaskPending), "nothing is sent to the terminating pod's sidecar")
			}
		}
	}).WithTimeout(3 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())

	pod.Finalizers = nil
	g.Expect(member().Client.Update(ctx, pod)).To(Succeed())
	g.Eventually(func(g Gomega) {
		n := get(t, key)
		g.Expect(n.Status.CurrentImage).To(Equal("seid:v2"))
		g.Expect(n.Status.Plan).To(BeNil())
	}).WithTimeout(60 * time.Second).Should(Succeed())
	g.Expect(member().Client.Get(ctx, podKey, pod)).To(Succeed())
	g.Expect(pod.UID).NotTo(Equal(oldUID))
}

func TestPausedNodeScalesToZero(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)
	node := fullNode(ns, "rpc-2")
	key := create(t, node)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))

	node = get(t, key)
	node.Spec.Paused = true
	g.Expect(member().Client.Update(ctx, node)).To(Succeed())
	g.Eventually(func(g Gomega) {
		sts := &appsv1.StatefulSet{}
		g.Expect(member().Client.Get(ctx, key, sts)).To(Succeed())
		g.Expect(sts.Spec.Replicas).To(HaveValue(BeZero()))
		n := get(t, key)
		g.Expect(meta.IsStatusConditionTrue(n.Status.Conditions, seiv1alpha1.NodePaused)).To(BeTrue())
		g.Expect(meta.FindStatusCondition(n.Status.Conditions, seiv1alpha1.NodeReady).Reason).To(Equal(seiv1alpha1.ReasonPaused))
		g.Expect(n.Status.Plan).To(BeNil())
	}).WithTimeout(30 * time.Second).Should(Succeed())
	g.Eventually(func() error {
		return member().Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "rpc-2-0"}, &corev1.Pod{})
	}).WithTimeout(10*time.Second).ShouldNot(Succeed(), "no pod while paused")
}

func TestNodePlacedOnAnotherClusterIsRefused(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)
	node := fullNode(ns, "elsewhere")
	node.Spec.ClusterName = "some-other-cluster"
	key := create(t, node)
	g.Eventually(func() string {
		c := meta.FindStatusCondition(get(t, key).Status.Conditions, seiv1alpha1.NodeReady)
		if c == nil {
			return ""
		}
		return c.Reason
	}).WithTimeout(30 * time.Second).Should(Equal(seiv1alpha1.ReasonWrongCluster))
	g.Consistently(func() error {
		return member().Client.Get(ctx, key, &appsv1.StatefulSet{})
	}).WithTimeout(2*time.Second).ShouldNot(Succeed(), "nothing is created for a foreign node")
}

func TestDeletedNodeIsFencedThenReleased(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)
	node := fullNode(ns, "rpc-3")
	key := create(t, node)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))

	g.Expect(member().Client.Delete(ctx, get(t, key))).To(Succeed())
	g.Eventually(func() error { return member().Client.Get(ctx, key, &seiv1alpha1.SeiNode{}) }).
		WithTimeout(30*time.Second).ShouldNot(Succeed(), "the finalizer is released once the StatefulSet is gone")
	g.Expect(member().Client.Get(ctx, key, &appsv1.StatefulSet{})).NotTo(Succeed())
	g.Expect(member().Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "rpc-3-node-key"}, &corev1.Secret{})).
		To(Succeed(), "key Secrets outlive the node")
}
