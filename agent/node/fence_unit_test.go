package node

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestKubeletConfirmedStop(t *testing.T) {
	seenAt := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	seen := seenAt.Format(time.RFC3339Nano)
	ready := &corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
	unknown := &corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown, Reason: "NodeStatusUnknown"}}}}
	lease := func(at time.Time) *coordinationv1.Lease {
		return &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{RenewTime: ptr.To(metav1.NewMicroTime(at))}}
	}
	for _, tc := range []struct {
		name    string
		node    *corev1.Node
		lease   *coordinationv1.Lease
		seen    string
		stopped bool
		why     string
	}{
		{name: "renewed since, Ready", node: ready, lease: lease(seenAt.Add(time.Microsecond)), seen: seen, stopped: true},
		{name: "not renewed since", node: ready, lease: lease(seenAt), seen: seen, why: "has not renewed its Lease since the pod was seen gone"},
		{name: "renewed before", node: ready, lease: lease(seenAt.Add(-time.Second)), seen: seen, why: "has not renewed its Lease"},
		{name: "Node deleted", lease: lease(seenAt.Add(time.Minute)), seen: seen, why: "Kubernetes Node n1, where it last ran, is deleted"},
		{name: "Node not Ready", node: unknown, lease: lease(seenAt.Add(time.Minute)), seen: seen, why: "is not Ready (Ready=Unknown, NodeStatusUnknown)"},
		{name: "Node without conditions", node: &corev1.Node{}, lease: lease(seenAt.Add(time.Minute)), seen: seen, why: "no Ready condition"},
		{name: "no Lease", node: ready, seen: seen, why: "has no kubelet Lease in kube-node-lease"},
		{name: "a Lease after none", node: ready, lease: lease(seenAt), seen: noLease, stopped: true},
		{name: "a bad annotation", node: ready, lease: lease(seenAt.Add(time.Minute)), seen: "yesterday", why: `"yesterday" is not a time`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			stopped, why := kubeletConfirmedStop("n1", tc.node, tc.lease, tc.seen)
			g.Expect(stopped).To(Equal(tc.stopped))
			if tc.why == "" {
				g.Expect(why).To(BeEmpty())
			} else {
				g.Expect(why).To(ContainSubstring(tc.why))
			}
		})
	}
}
