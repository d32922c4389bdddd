package config

import (
	"fmt"
	"net/netip"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// The agent's own pods as deploy/agent runs them: the default peers admitted to a node's sidecar.
const (
	agentNameLabel = "app.kubernetes.io/name"
	agentName      = "sei-fleet-agent"
)

// NetworkPolicy says who may reach a node's pod. The agent puts one NetworkPolicy around every node's
// pod; it restricts ingress only (peers and the sidecar's S3 are anywhere). P2P is open to everyone.
type NetworkPolicy struct {
	// SidecarFrom are the only peers admitted to the sidecar's port: its API resets data, restarts seid
	// and uploads snapshots, and it listens next to the keys. Default: the agent's pods (namespace
	// sei-fleet-system, label app.kubernetes.io/name=sei-fleet-agent). An agent running outside the
	// cluster (the local data plane's) needs an ipBlock of its address.
	SidecarFrom []networkingv1.NetworkPolicyPeer `json:"sidecarFrom,omitempty"`
	// RPCFrom are the peers admitted to seid's RPC, REST, gRPC, EVM and metrics ports; empty: every
	// peer (RPC nodes serve the world). When set, SidecarFrom's peers are admitted too: the agent reads
	// a node's block height from its RPC.
	RPCFrom []networkingv1.NetworkPolicyPeer `json:"rpcFrom,omitempty"`
}

// DefaultSidecarFrom admits the agent's pods, as deploy/agent runs them.
func DefaultSidecarFrom() []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
			"kubernetes.io/metadata.name": seiv1alpha1.DefaultSystemNamespace,
		}},
		PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{agentNameLabel: agentName}},
	}}
}

// networkPolicy reports peers the API server would reject, by field.
func (p *problems) networkPolicy(c *NetworkPolicy) {
	if len(c.SidecarFrom) == 0 {
		p.addf("networkPolicy.sidecarFrom", "required: without a peer nobody, the agent included, reaches the sidecar")
	}
	for _, list := range []struct {
		field string
		peers []networkingv1.NetworkPolicyPeer
	}{{"networkPolicy.sidecarFrom", c.SidecarFrom}, {"networkPolicy.rpcFrom", c.RPCFrom}} {
		for i, peer := range list.peers {
			p.peer(fmt.Sprintf("%s[%d]", list.field, i), peer)
		}
	}
}

func (p *problems) peer(field string, peer networkingv1.NetworkPolicyPeer) {
	if peer.IPBlock == nil {
		if peer.PodSelector == nil && peer.NamespaceSelector == nil {
			p.addf(field, "needs podSelector, namespaceSelector or ipBlock")
		}
		for _, s := range []struct {
			name string
			sel  *metav1.LabelSelector
		}{{"podSelector", peer.PodSelector}, {"namespaceSelector", peer.NamespaceSelector}} {
			if s.sel != nil {
				if _, err := metav1.LabelSelectorAsSelector(s.sel); err != nil {
					p.addf(field+"."+s.name, "%v", err)
				}
			}
		}
		return
	}
	if peer.PodSelector != nil || peer.NamespaceSelector != nil {
		p.addf(field, "ipBlock excludes podSelector and namespaceSelector")
	}
	cidr, err := netip.ParsePrefix(peer.IPBlock.CIDR)
	if err != nil {
		p.addf(field+".ipBlock.cidr", "must be a CIDR such as 10.0.0.1/32, got %q", peer.IPBlock.CIDR)
		return
	}
	for j, ex := range peer.IPBlock.Except {
		e, err := netip.ParsePrefix(ex)
		if err != nil || !cidr.Contains(e.Addr()) || e.Bits() <= cidr.Bits() {
			p.addf(fmt.Sprintf("%s.ipBlock.except[%d]", field, j), "must be a CIDR strictly inside %s, got %q", peer.IPBlock.CIDR, ex)
		}
	}
}
