package node_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/node"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// kubeletNode plays a Kubernetes Node and its kubelet's Lease in kube-node-lease: envtest has neither.
type kubeletNode struct {
	t    *testing.T
	name string
}

func newKubeletNode(t *testing.T, name string) *kubeletNode {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	g.Expect(member().Client.Create(ctx, n)).To(Succeed())
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}}
	g.Expect(member().Client.Status().Update(ctx, n)).To(Succeed())
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: corev1.NamespaceNodeLease, Name: name},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To(int32(40)),
			RenewTime: ptr.To(metav1.NewMicroTime(time.Now()))},
	}
	g.Expect(member().Client.Create(ctx, lease)).To(Succeed())
	t.Cleanup(func() {
		ctx := context.WithoutCancel(t.Context())
		_ = member().Client.Delete(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}})
		_ = member().Client.Delete(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: corev1.NamespaceNodeLease, Name: name}})
	})
	return &kubeletNode{t: t, name: name}
}

// renew renews the kubelet's Lease, as a connected kubelet does every 10s.
func (k *kubeletNode) renew() { k.t.Helper(); k.renewAt(time.Now()) }

// renewAt renews the kubelet's Lease at time at of the kubelet's clock: the agent compares Lease times
// only with each other, so a test can move this clock on instead of waiting.
func (k *kubeletNode) renewAt(at time.Time) {
	k.t.Helper()
	g := NewWithT(k.t)
	lease := &coordinationv1.Lease{}
	g.Expect(member().Client.Get(k.t.Context(), client.ObjectKey{Namespace: corev1.NamespaceNodeLease, Name: k.name}, lease)).To(Succeed())
	lease.Spec.RenewTime = ptr.To(metav1.NewMicroTime(at))
	g.Expect(member().Client.Update(k.t.Context(), lease)).To(Succeed())
}

// registerAgain deletes the Node and registers a new one under the same name, Ready: what a machine
// rebuilt under its old name, or a kubelet whose Node object was deleted, does.
func (k *kubeletNode) registerAgain() {
	k.t.Helper()
	g := NewWithT(k.t)
	ctx := k.t.Context()
	old := &corev1.Node{}
	g.Expect(member().Client.Get(ctx, client.ObjectKey{Name: k.name}, old)).To(Succeed())
	g.Expect(member().Client.Delete(ctx, old)).To(Succeed())
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: k.name}}
	g.Eventually(func() error { return member().Client.Create(ctx, n) }).WithTimeout(10 * time.Second).Should(Succeed())
	g.Expect(n.UID).NotTo(Equal(old.UID))
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}}
	g.Expect(member().Client.Status().Update(ctx, n)).To(Succeed())
}

// stopAndRenew plays a connected kubelet after a deleted node's pod is gone: it renews its Lease, waits
// until the agent noted that renewal, and renews again on its clock once the pod's grace period and
// the margin are over.
func (k *kubeletNode) stopAndRenew(key client.ObjectKey) {
	k.t.Helper()
	g := NewWithT(k.t)
	k.renew()
	var a map[string]string
	g.Eventually(func() map[string]string { a = get(k.t, key).Annotations; return a }).WithTimeout(15 * time.Second).
		Should(And(HaveKey(seiv1alpha1.AnnotationFenceLeaseRenewedTime), HaveKey(seiv1alpha1.AnnotationPodGracePeriod)))
	back, err := time.Parse(time.RFC3339Nano, a[seiv1alpha1.AnnotationFenceLeaseRenewedTime])
	g.Expect(err).NotTo(HaveOccurred())
	secs, err := strconv.Atoi(a[seiv1alpha1.AnnotationPodGracePeriod])
	g.Expect(err).NotTo(HaveOccurred())
	k.renewAt(back.Add(time.Duration(secs)*time.Second + node.FenceMargin))
}

func (k *kubeletNode) uid() string {
	k.t.Helper()
	n := &corev1.Node{}
	NewWithT(k.t).Expect(member().Client.Get(k.t.Context(), client.ObjectKey{Name: k.name}, n)).To(Succeed())
	return string(n.UID)
}

// bind binds a node's pod to the Kubernetes Node, as the scheduler does (the simulator's pods are
// never bound), and waits until the agent has recorded where it runs.
func (k *kubeletNode) bind(key client.ObjectKey) *corev1.Pod {
	k.t.Helper()
	g := NewWithT(k.t)
	ctx := k.t.Context()
	pod := &corev1.Pod{}
	g.Eventually(func() error {
		return member().Client.Get(ctx, client.ObjectKey{Namespace: key.Namespace, Name: key.Name + "-0"}, pod)
	}).WithTimeout(30 * time.Second).Should(Succeed())
	binding := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name},
		Target:     corev1.ObjectReference{Kind: "Node", Name: k.name},
	}
	g.Expect(member().Client.SubResource("binding").Create(ctx, pod, binding)).To(Succeed())
	g.Eventually(func() map[string]string { return get(k.t, key).Annotations }).WithTimeout(30*time.Second).
		Should(HaveKeyWithValue(seiv1alpha1.AnnotationPodNode, k.name), "the agent records the pod's Node")
	return pod
}

// readyReason is the Ready condition's reason and message of a node that may be gone.
func readyOf(t *testing.T, key client.ObjectKey) (string, string) {
	n := &seiv1alpha1.SeiNode{}
	if err := member().Client.Get(t.Context(), key, n); err != nil {
		return "<gone>", ""
	}
	c := meta.FindStatusCondition(n.Status.Conditions, seiv1alpha1.NodeReady)
	if c == nil {
		return "", ""
	}
	return c.Reason, c.Message
}

func exists(t *testing.T, key client.ObjectKey) func() bool {
	return func() bool { return member().Client.Get(t.Context(), key, &seiv1alpha1.SeiNode{}) == nil }
}

// A pod deleted gracefully on a healthy Node: its kubelet stops the containers and removes the pod.
// A force delete looks the same from the API, and after one the kubelet goes on stopping the
// containers for up to the pod's grace period. So the agent waits for the kubelet to renew its Lease
// after the pod is gone (it is connected, and learns of the removal), and then for a renewal at least
// the grace period and a margin later on the kubelet's clock; it releases the node at that renewal.
func TestFenceWaitsForTheKubeletAndTheGracePeriodAfterThePodIsGone(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	kubelet := newKubeletNode(t, fmt.Sprintf("kubelet-a-%d", time.Now().UnixNano()%100000))
	ns := namespace(t)
	key := create(t, fullNode(ns, "rpc-f"))
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	pod := kubelet.bind(key)

	g.Expect(member().Client.Delete(ctx, get(t, key))).To(Succeed())
	// A bound pod waits for its kubelet; this one stops its containers and removes it.
	g.Eventually(func() bool {
		p := &corev1.Pod{}
		return member().Client.Get(ctx, client.ObjectKeyFromObject(pod), p) == nil && !p.DeletionTimestamp.IsZero()
	}).WithTimeout(30 * time.Second).Should(BeTrue())
	g.Expect(member().Client.Delete(ctx, pod, client.GracePeriodSeconds(0))).To(Succeed())

	g.Eventually(func() string { r, _ := readyOf(t, key); return r }).WithTimeout(30 * time.Second).
		Should(Equal(seiv1alpha1.ReasonFenceUnconfirmed))
	_, msg := readyOf(t, key)
	g.Expect(msg).To(And(
		ContainSubstring("the kubelet of Kubernetes Node "+kubelet.name+" has not renewed its Lease since the pod was seen gone"),
		ContainSubstring("kubectl annotate seinode -n "+ns+" rpc-f "+seiv1alpha1.AnnotationConfirmPodStopped+"="+kubelet.name)))
	g.Expect(get(t, key).Annotations).To(HaveKey(seiv1alpha1.AnnotationFenceLeaseRenewTime))
	g.Consistently(exists(t, key)).WithTimeout(3*time.Second).Should(BeTrue(), "held until the kubelet renews")

	// The kubelet is back: it learns of the removal now, and may take the grace period to stop seid.
	kubelet.renew()
	g.Eventually(func() string { _, m := readyOf(t, key); return m }).WithTimeout(15 * time.Second).
		Should(ContainSubstring("must renew it again at or after"))
	g.Consistently(exists(t, key)).WithTimeout(3*time.Second).Should(BeTrue(), "held for the pod's grace period after the renewal")

	a := get(t, key).Annotations
	g.Expect(a).To(And(
		HaveKeyWithValue(seiv1alpha1.AnnotationPodNodeUID, kubelet.uid()),
		HaveKeyWithValue(seiv1alpha1.AnnotationPodGracePeriod, "120"), // a full node's, from its pod
		HaveKey(seiv1alpha1.AnnotationFenceLeaseRenewedTime)))
	back, err := time.Parse(time.RFC3339Nano, a[seiv1alpha1.AnnotationFenceLeaseRenewedTime])
	g.Expect(err).NotTo(HaveOccurred())
	due := back.Add(120*time.Second + node.FenceMargin)
	kubelet.renewAt(due.Add(-time.Millisecond))
	g.Consistently(exists(t, key)).WithTimeout(3*time.Second).Should(BeTrue(), "a renewal before the grace period and margin are over")

	kubelet.renewAt(due)
	start := time.Now()
	g.Eventually(exists(t, key)).WithTimeout(15*time.Second).Should(BeFalse(), "released at the renewal after the grace period")
	t.Logf("released %s after the renewal", time.Since(start).Round(100*time.Millisecond))
}

// The pod's Node is deleted and a Node registers again under its name, Ready, with a kubelet renewing
// its Lease: another registration, so not the kubelet that ran the pod (that one may be cut off and
// still run seid). The node is held as for a deleted Node, until an admin confirms.
func TestFenceHoldsWhenThePodsNodeIsRegisteredAgain(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	kubelet := newKubeletNode(t, fmt.Sprintf("kubelet-c-%d", time.Now().UnixNano()%100000))
	ns := namespace(t)
	key := create(t, validator(ns, "val-r"))
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	pod := kubelet.bind(key)
	g.Eventually(func() map[string]string { return get(t, key).Annotations }).WithTimeout(10 * time.Second).
		Should(HaveKeyWithValue(seiv1alpha1.AnnotationPodNodeUID, kubelet.uid()))

	g.Expect(member().Client.Delete(ctx, get(t, key))).To(Succeed())
	kubelet.registerAgain()
	g.Expect(member().Client.Delete(ctx, pod, client.GracePeriodSeconds(0))).To(Succeed())
	g.Eventually(func() string { r, _ := readyOf(t, key); return r }).WithTimeout(30 * time.Second).
		Should(Equal(seiv1alpha1.ReasonFenceUnconfirmed))
	// The new registration's kubelet renews, well past any grace period.
	for _, at := range []time.Time{time.Now(), time.Now().Add(time.Hour), time.Now().Add(2 * time.Hour)} {
		kubelet.renewAt(at)
		time.Sleep(time.Second)
	}
	g.Eventually(func() string { _, m := readyOf(t, key); return m }).WithTimeout(30 * time.Second).
		Should(ContainSubstring("Kubernetes Node " + kubelet.name + ", where it last ran, was deleted and registered again"))
	g.Consistently(exists(t, key)).WithTimeout(3*time.Second).Should(BeTrue(), "another registration's kubelet proves nothing")

	n := get(t, key)
	n.Annotations[seiv1alpha1.AnnotationConfirmPodStopped] = kubelet.name
	g.Expect(member().Client.Update(ctx, n)).To(Succeed())
	g.Eventually(exists(t, key)).WithTimeout(15*time.Second).Should(BeFalse(), "released on the admin's confirmation")
}

// The Kubernetes Node is deleted while its kubelet is cut off, and the pod with it (the pod garbage
// collector force-deletes a deleted Node's pods): nothing proves seid stopped, so the node is held
// until an admin confirms for that Node by name.
func TestFenceHoldsWhenThePodsNodeIsDeleted(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	kubelet := newKubeletNode(t, fmt.Sprintf("kubelet-b-%d", time.Now().UnixNano()%100000))
	ns := namespace(t)
	key := create(t, validator(ns, "val-f"))
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	pod := kubelet.bind(key)

	g.Expect(member().Client.Delete(ctx, get(t, key))).To(Succeed())
	g.Expect(member().Client.Delete(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: kubelet.name}})).To(Succeed())
	g.Expect(member().Client.Delete(ctx, pod, client.GracePeriodSeconds(0))).To(Succeed())

	g.Eventually(func() string { _, m := readyOf(t, key); return m }).WithTimeout(30 * time.Second).
		Should(ContainSubstring("Kubernetes Node " + kubelet.name + ", where it last ran, is deleted"))
	g.Consistently(exists(t, key)).WithTimeout(3*time.Second).Should(BeTrue(), "no proof, no release")

	// A confirmation naming another Node is not one for this pod.
	n := get(t, key)
	n.Annotations[seiv1alpha1.AnnotationConfirmPodStopped] = "some-other-node"
	g.Expect(member().Client.Update(ctx, n)).To(Succeed())
	g.Consistently(exists(t, key)).WithTimeout(3 * time.Second).Should(BeTrue())

	n = get(t, key)
	n.Annotations[seiv1alpha1.AnnotationConfirmPodStopped] = kubelet.name
	g.Expect(member().Client.Update(ctx, n)).To(Succeed())
	g.Eventually(exists(t, key)).WithTimeout(15*time.Second).Should(BeFalse(), "released on the admin's confirmation")
}
