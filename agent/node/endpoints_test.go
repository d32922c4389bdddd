package node_test

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/node"
	"github.com/sei-protocol/sei-fleet/agent/resources"
)

// In PodIP mode the agent addresses a node by its pod's address, and by a name that cannot resolve
// while the pod has none; in DNS mode by the pod's name in the headless Service.
func TestPodHostFollowsEndpointMode(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns := namespace(t)
	n := fullNode(ns, "ep")
	cfg := config.Default()
	r := &node.Reconciler{Client: member().Client, Config: cfg}
	g.Expect(r.PodHost(n)).To(Equal("ep-0.ep." + ns + ".svc.cluster.local"))
	g.Expect(resources.SidecarURLAt(r.PodHost(n), n, cfg)).To(Equal("http://ep-0.ep." + ns + ".svc.cluster.local:7777"))

	cfg.NodeEndpoints = config.EndpointsPodIP
	g.Expect(r.PodHost(n)).To(Equal("pod-ip-unknown.invalid"), "no pod yet")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: resources.PodName(n)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "seid", Image: "seid:v1"}}},
	}
	g.Expect(member().Client.Create(ctx, pod)).To(Succeed())
	g.Expect(r.PodHost(n)).To(Equal("pod-ip-unknown.invalid"), "a pod without an address yet")
	pod.Status.PodIP = "198.19.0.7"
	g.Expect(member().Client.Status().Update(ctx, pod)).To(Succeed())
	g.Expect(r.PodHost(n)).To(Equal("198.19.0.7"))
	g.Expect(resources.RPCURLAt(r.PodHost(n))).To(Equal("http://198.19.0.7:26657"))
}
