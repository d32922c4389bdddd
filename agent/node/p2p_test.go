package node_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// status.p2pAddress comes from spec.externalAddress, else the P2P LoadBalancer's ingress, else a
// node address and the NodePort.
func TestP2PAddressSources(t *testing.T) {
	startAgentWithSidecars(t)
	ns := namespace(t)
	for _, tc := range []struct {
		name   string
		mutate func(*seiv1alpha1.SeiNode)
		want   string
	}{
		{"external", func(n *seiv1alpha1.SeiNode) { n.Spec.ExternalAddress = "node-0.us.example.com:30000" }, `^node-0\.us\.example\.com:30000$`},
		{"loadbalancer", func(n *seiv1alpha1.SeiNode) {
			n.Spec.P2P = &seiv1alpha1.P2PSpec{ServiceType: seiv1alpha1.P2PLoadBalancer}
		}, `^127\.0\.0\.1:26656$`},
		{"nodeport", func(n *seiv1alpha1.SeiNode) {
			n.Spec.P2P = &seiv1alpha1.P2PSpec{ServiceType: seiv1alpha1.P2PNodePort}
		}, `^127\.0\.0\.1:(3[0-2][0-9]{3})$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			node := fullNode(ns, "p2p-"+tc.name)
			tc.mutate(node)
			key := create(t, node)
			g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
			g.Expect(get(t, key).Status.P2PAddress).To(MatchRegexp(tc.want))
		})
	}
}
