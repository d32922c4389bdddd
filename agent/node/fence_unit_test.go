package node

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestFenceStateNext(t *testing.T) {
	seenAt := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	seen := seenAt.Format(time.RFC3339Nano)
	backAt := seenAt.Add(10 * time.Second)
	back := backAt.Format(time.RFC3339Nano)
	grace := 300 * time.Second
	due := backAt.Add(grace + fenceMargin)
	node := func(uid string, ready corev1.ConditionStatus) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: k8stypes.UID(uid)}}
		if ready != "" {
			n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "NodeStatusUnknown"}}
		}
		return n
	}
	ready, unknown, bare := node("u1", corev1.ConditionTrue), node("u1", corev1.ConditionUnknown), node("u1", "")
	lease := func(at time.Time) *coordinationv1.Lease {
		return &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{RenewTime: ptr.To(metav1.NewMicroTime(at))}}
	}
	owned := func(l *coordinationv1.Lease, uid string) *coordinationv1.Lease {
		l.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "n1", UID: k8stypes.UID(uid)}}
		return l
	}
	at := func(s fenceState, seen, renewed string) fenceState { s.seen, s.renewed = seen, renewed; return s }
	base := fenceState{podNode: "n1", nodeUID: "u1", grace: grace}
	for _, tc := range []struct {
		name    string
		state   fenceState
		node    *corev1.Node
		lease   *coordinationv1.Lease
		record  map[string]string
		stopped bool
		why     string
	}{
		// Noting the Lease when the pod is first seen gone.
		{name: "pod just seen gone", state: base, node: ready, lease: lease(seenAt),
			record: map[string]string{seiv1alpha1.AnnotationFenceLeaseRenewTime: seen}},
		{name: "pod just seen gone, no Lease", state: base, node: ready,
			record: map[string]string{seiv1alpha1.AnnotationFenceLeaseRenewTime: noLease}},
		// Waiting for the kubelet to be back after the removal.
		{name: "not renewed since", state: at(base, seen, ""), node: ready, lease: lease(seenAt), why: "has not renewed its Lease since the pod was seen gone"},
		{name: "renewed before", state: at(base, seen, ""), node: ready, lease: lease(seenAt.Add(-time.Second)), why: "has not renewed its Lease"},
		{name: "no Lease", state: at(base, seen, ""), node: ready, why: "has no kubelet Lease in kube-node-lease"},
		{name: "not Ready, not renewed", state: at(base, seen, ""), node: unknown, lease: lease(seenAt), why: "is not Ready (Ready=Unknown, NodeStatusUnknown)"},
		{name: "a bad annotation", state: at(base, "yesterday", ""), node: ready, lease: lease(seenAt.Add(time.Minute)), why: `"yesterday" is not a time`},
		{name: "renewed since: noted, not yet proof", state: at(base, seen, ""), node: ready, lease: lease(backAt),
			record: map[string]string{seiv1alpha1.AnnotationFenceLeaseRenewedTime: back}},
		{name: "renewed since while not Ready: noted", state: at(base, seen, ""), node: unknown, lease: lease(backAt),
			record: map[string]string{seiv1alpha1.AnnotationFenceLeaseRenewedTime: back}},
		{name: "a Lease after none: noted", state: at(base, noLease, ""), node: ready, lease: lease(backAt),
			record: map[string]string{seiv1alpha1.AnnotationFenceLeaseRenewedTime: back}},
		// Waiting out the grace period after that, on the kubelet's clock.
		{name: "renewed again within the grace period", state: at(base, seen, back), node: ready, lease: lease(backAt.Add(grace)),
			why: "must renew it again at or after " + due.Format(time.RFC3339Nano)},
		{name: "a moment before it is due", state: at(base, seen, back), node: ready, lease: lease(due.Add(-time.Microsecond)), why: "grace period (5m0s)"},
		{name: "renewed when due, Ready", state: at(base, seen, back), node: ready, lease: lease(due), stopped: true},
		{name: "renewed when due, not Ready", state: at(base, seen, back), node: unknown, lease: lease(due.Add(time.Hour)), why: "is not Ready"},
		{name: "renewed when due, no Ready condition", state: at(base, seen, back), node: bare, lease: lease(due), why: "no Ready condition"},
		{name: "Lease gone since", state: at(base, seen, back), node: ready, why: "must renew it again"},
		{name: "a bad renewed annotation", state: at(base, seen, "soon"), node: ready, lease: lease(due), why: `"soon" is not a time`},
		{name: "a short grace period", state: fenceState{podNode: "n1", nodeUID: "u1", seen: seen, renewed: back, grace: 0},
			node: ready, lease: lease(backAt.Add(fenceMargin)), stopped: true},
		// Which kubelet.
		{name: "Node deleted", state: at(base, seen, back), lease: lease(due), why: "Kubernetes Node n1, where it last ran, is deleted"},
		{name: "Node registered again", state: at(base, seen, back), node: node("u2", corev1.ConditionTrue), lease: lease(due),
			why: "Kubernetes Node n1, where it last ran, was deleted and registered again (UID u2, was u1)"},
		{name: "Node registered again, before the pod was seen gone", state: base, node: node("u2", corev1.ConditionTrue), lease: lease(due),
			why: "was deleted and registered again"},
		{name: "Lease of another registration", state: at(base, seen, back), node: ready, lease: owned(lease(due), "u2"),
			why: "belongs to another registration of Kubernetes Node n1 (UID u2, not u1)"},
		{name: "Lease of this registration", state: at(base, seen, back), node: ready, lease: owned(lease(due), "u1"), stopped: true},
		{name: "UID unknown (older agent): pinned now", state: fenceState{podNode: "n1", grace: grace}, node: ready, lease: lease(seenAt),
			record: map[string]string{seiv1alpha1.AnnotationPodNodeUID: "u1", seiv1alpha1.AnnotationFenceLeaseRenewTime: seen}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			record, stopped, why := tc.state.next(tc.node, tc.lease)
			g.Expect(stopped).To(Equal(tc.stopped))
			if tc.record == nil {
				g.Expect(record).To(BeEmpty())
			} else {
				g.Expect(record).To(Equal(tc.record))
			}
			if tc.why == "" {
				g.Expect(why).To(BeEmpty())
			} else {
				g.Expect(why).To(ContainSubstring(tc.why))
			}
		})
	}
}

func TestFenceGrace(t *testing.T) {
	g := NewWithT(t)
	val := &seiv1alpha1.SeiNode{Spec: seiv1alpha1.SeiNodeSpec{Validator: &seiv1alpha1.ValidatorSpec{}}}
	g.Expect(fenceGrace(val, config.Default())).To(Equal(300*time.Second), "unrecorded: the validator pod's as rendered")
	val.Annotations = map[string]string{seiv1alpha1.AnnotationPodGracePeriod: "45"}
	g.Expect(fenceGrace(val, config.Default())).To(Equal(45 * time.Second))
	val.Annotations[seiv1alpha1.AnnotationPodGracePeriod] = "-1"
	g.Expect(fenceGrace(val, config.Default())).To(Equal(300 * time.Second))

	pod := &corev1.Pod{}
	g.Expect(podGrace(pod)).To(Equal(int64(30)), "Kubernetes' default")
	pod.Spec.TerminationGracePeriodSeconds = ptr.To(int64(120))
	g.Expect(podGrace(pod)).To(Equal(int64(120)))
	pod.DeletionGracePeriodSeconds = ptr.To(int64(0))
	g.Expect(podGrace(pod)).To(Equal(int64(120)), "a force delete does not shorten what a cut-off kubelet takes")
	pod.DeletionGracePeriodSeconds = ptr.To(int64(600))
	g.Expect(podGrace(pod)).To(Equal(int64(600)))
}
