package node_test

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// status.p2pAddress comes from spec.externalAddress, else the P2P LoadBalancer's ingress, else a
// node address and the NodePort. A node that serves state sync has status.rpcAddress from the same
// Service; any other has none.
func TestP2PAddressSources(t *testing.T) {
	startAgentWithSidecars(t)
	ns := namespace(t)
	for _, tc := range []struct {
		name   string
		mutate func(*seiv1alpha1.SeiNode)
		want   string
		rpc    string
	}{
		{"external", func(n *seiv1alpha1.SeiNode) { n.Spec.ExternalAddress = "node-0.us.example.com:30000" }, `^node-0\.us\.example\.com:30000$`, `^$`},
		{"loadbalancer", func(n *seiv1alpha1.SeiNode) {
			n.Spec.P2P = &seiv1alpha1.P2PSpec{ServiceType: seiv1alpha1.P2PLoadBalancer}
		}, `^127\.0\.0\.1:26656$`, `^$`},
		{"nodeport", func(n *seiv1alpha1.SeiNode) {
			n.Spec.P2P = &seiv1alpha1.P2PSpec{ServiceType: seiv1alpha1.P2PNodePort}
		}, `^127\.0\.0\.1:(3[0-2][0-9]{3})$`, `^$`},
		{"nodeport serving state sync", func(n *seiv1alpha1.SeiNode) {
			n.Spec.P2P = &seiv1alpha1.P2PSpec{ServiceType: seiv1alpha1.P2PNodePort}
			n.Spec.ServeStateSync = &seiv1alpha1.ServeStateSyncSpec{SnapshotInterval: 100}
		}, `^127\.0\.0\.1:(3[0-2][0-9]{3})$`, `^127\.0\.0\.1:(3[0-2][0-9]{3})$`},
		{"loadbalancer serving state sync", func(n *seiv1alpha1.SeiNode) {
			n.Spec.P2P = &seiv1alpha1.P2PSpec{ServiceType: seiv1alpha1.P2PLoadBalancer}
			n.Spec.ServeStateSync = &seiv1alpha1.ServeStateSyncSpec{SnapshotInterval: 100}
		}, `^127\.0\.0\.1:26656$`, `^127\.0\.0\.1:26657$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			node := fullNode(ns, "p2p-"+strings.ReplaceAll(tc.name, " ", "-"))
			tc.mutate(node)
			key := create(t, node)
			g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
			st := get(t, key).Status
			g.Expect(st.P2PAddress).To(MatchRegexp(tc.want))
			g.Expect(st.RPCAddress).To(MatchRegexp(tc.rpc))
			g.Expect(st.RPCAddress).NotTo(Equal(st.P2PAddress))
		})
	}
}
