package resources

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// NetworkPolicyName is the name of the NetworkPolicy around node's pod: the node's name.
func NetworkPolicyName(node *seiv1alpha1.SeiNode) string { return node.Name }

// BuildNetworkPolicy renders the NetworkPolicy around node's pod. The sidecar's API (reset-data,
// restart-seid, snapshot uploads, unauthenticated, next to the keys) is open only to the
// configuration's networkPolicy.sidecarFrom, by default the agent's pods. P2P is open to every peer:
// validators in other clusters dial it through the P2P Service. seid's other ports (RPC, REST, gRPC,
// EVM, metrics) are open to networkPolicy.rpcFrom plus sidecarFrom (the agent reads the node's height),
// or to every peer when rpcFrom is empty, as before the policy existed, so RPC nodes keep serving. A
// node that serves state sync has its RPC open to every peer, as P2P: light clients of nodes joining
// in other clusters use it as a witness.
//
// Only ingress is restricted: seid dials peers anywhere and the sidecar its S3 buckets. A NetworkPolicy
// does not stop the pod's own Kubernetes Node (the kubelet's probes) nor loopback (seid's start gate
// asks the sidecar on 127.0.0.1). It takes effect only where the cluster's network plugin enforces
// NetworkPolicies.
func BuildNetworkPolicy(node *seiv1alpha1.SeiNode, cfg *config.Config) (*networkingv1.NetworkPolicy, error) {
	if err := checkInput(node, cfg); err != nil {
		return nil, err
	}
	np := cfg.NetworkPolicy
	open := []networkingv1.NetworkPolicyPort{policyPort(PortP2P)}
	seid := make([]networkingv1.NetworkPolicyPort, 0, len(seidPorts)-1)
	for _, p := range seidPorts {
		switch {
		case p.ContainerPort == PortP2P:
		case p.ContainerPort == PortRPC && node.Spec.ServeStateSync != nil:
			open = append(open, policyPort(PortRPC))
		default:
			seid = append(seid, policyPort(p.ContainerPort))
		}
	}
	var rpcFrom []networkingv1.NetworkPolicyPeer
	if len(np.RPCFrom) > 0 {
		rpcFrom = append(copyPeers(np.RPCFrom), copyPeers(np.SidecarFrom)...)
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: networkingv1.SchemeGroupVersion.String(), Kind: "NetworkPolicy"},
		ObjectMeta: objectMeta(node, NetworkPolicyName(node), nil),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: SelectorLabels(node)},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{
				{Ports: open},
				{Ports: seid, From: rpcFrom},
				{Ports: []networkingv1.NetworkPolicyPort{policyPort(SidecarPort(node, cfg))}, From: copyPeers(np.SidecarFrom)},
			},
		},
	}, nil
}

// policyPort admits TCP port. Numbers, not names: not every network plugin resolves named ports.
func policyPort(port int32) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(port))}
}

func copyPeers(peers []networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer {
	out := make([]networkingv1.NetworkPolicyPeer, 0, len(peers))
	for i := range peers {
		out = append(out, *peers[i].DeepCopy())
	}
	return out
}
