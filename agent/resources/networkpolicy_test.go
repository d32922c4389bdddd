package resources

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// TestNetworkPolicyGolden compares the policy around a node's pod with testdata/networkpolicy-*.golden.yaml
// (-update rewrites them): the default, and a cluster that restricts RPC and runs its agent outside
// the cluster, for a validator with its own sidecar port.
func TestNetworkPolicyGolden(t *testing.T) {
	restricted := devConfig()
	restricted.NetworkPolicy = config.NetworkPolicy{
		SidecarFrom: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "198.18.0.1/32"}}},
		RPCFrom: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "monitoring"}},
		}},
	}
	for _, tc := range []struct {
		name string
		node *seiv1alpha1.SeiNode
		cfg  *config.Config
	}{
		{name: "networkpolicy-default", node: newNode("rpc-0").Build(), cfg: devConfig()},
		{name: "networkpolicy-restricted", node: newNode("val-0").MintedValidator().WithSidecar(seiv1alpha1.SidecarSpec{Port: 8777}).Build(), cfg: restricted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			np, err := BuildNetworkPolicy(tc.node, tc.cfg)
			g.Expect(err).NotTo(HaveOccurred())
			out := goldenYAML(g, np)
			path := filepath.Join("testdata", tc.name+".golden.yaml")
			if *update {
				g.Expect(os.WriteFile(path, out, 0o600)).To(Succeed())
			}
			want, err := os.ReadFile(path)
			g.Expect(err).NotTo(HaveOccurred(), "run go test ./agent/resources/ -update to create %s", path)
			g.Expect(string(out)).To(Equal(string(want)), "rendered policy differs from %s; rerun with -update if intended", path)
		})
	}
}

// Every port of the pod is in exactly one rule, the sidecar's is open only to sidecarFrom, and P2P to
// everyone: a port left out would be closed by the policy, a port in two rules open to their union.
func TestNetworkPolicyCoversEveryPortOnce(t *testing.T) {
	for _, cfg := range []*config.Config{devConfig(), prodConfig(t)} {
		g := NewWithT(t)
		node := newNode("val-0").MintedValidator().Build()
		np, err := BuildNetworkPolicy(node, cfg)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(np.Spec.PodSelector.MatchLabels).To(Equal(SelectorLabels(node)))
		g.Expect(np.Spec.PolicyTypes).To(Equal([]networkingv1.PolicyType{networkingv1.PolicyTypeIngress}), "egress is not restricted")
		g.Expect(np.OwnerReferences).To(ConsistOf(ownedBy(node)))

		sts, err := BuildStatefulSet(node, cfg)
		g.Expect(err).NotTo(HaveOccurred())
		rules := map[int32]networkingv1.NetworkPolicyIngressRule{}
		for _, r := range np.Spec.Ingress {
			for _, p := range r.Ports {
				g.Expect(*p.Protocol).To(Equal(corev1.ProtocolTCP))
				g.Expect(rules).NotTo(HaveKey(p.Port.IntVal), "port %d is in two rules", p.Port.IntVal)
				rules[p.Port.IntVal] = r
			}
		}
		var ports []int32
		for _, c := range allContainers(&sts.Spec.Template.Spec) {
			for _, p := range c.Ports {
				ports = append(ports, p.ContainerPort)
				g.Expect(rules).To(HaveKey(p.ContainerPort), "container %s port %s is not in the policy", c.Name, p.Name)
			}
		}
		g.Expect(rules).To(HaveLen(len(ports)), "the policy opens no port the pod does not have")
		g.Expect(rules[SidecarPort(node, cfg)].From).To(Equal(cfg.NetworkPolicy.SidecarFrom))
		g.Expect(rules[SidecarPort(node, cfg)].From).NotTo(BeEmpty(), "never open to everyone")
		g.Expect(rules[PortP2P].From).To(BeEmpty(), "P2P is open to every peer")
		g.Expect(rules[PortRPC].From).To(BeEmpty(), "RPC stays open when rpcFrom is not set")
	}
}

// With rpcFrom set, the agent (sidecarFrom) can still read seid's RPC.
func TestNetworkPolicyRPCFromKeepsTheAgent(t *testing.T) {
	g := NewWithT(t)
	cfg := devConfig()
	monitoring := networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "rpc"}}}
	cfg.NetworkPolicy.RPCFrom = []networkingv1.NetworkPolicyPeer{monitoring}
	np, err := BuildNetworkPolicy(newNode("rpc-0").Build(), cfg)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(np.Spec.Ingress[1].From).To(Equal(append([]networkingv1.NetworkPolicyPeer{monitoring}, config.DefaultSidecarFrom()...)))
	_, err = BuildNetworkPolicy(newNode("Bad_Name").Build(), cfg)
	g.Expect(err).To(MatchError(ContainSubstring("metadata.name")))
}
