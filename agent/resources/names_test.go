package resources

import (
	"fmt"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestNames(t *testing.T) {
	g := NewWithT(t)
	g.Expect(NamesFor(newNode("val-0").MintedValidator().Build())).To(Equal(Names{
		StatefulSet: "val-0", HeadlessService: "val-0", P2PService: "val-0-p2p", DataPVC: "data-val-0", Pod: "val-0-0",
		Keys: KeySecrets{NodeKey: "val-0-node-key", SigningKey: "val-0-signing-key", OperatorKey: "val-0-operator-key"},
	}))
}

func TestKeySecretNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		node *seiv1alpha1.SeiNode
		want KeySecrets
	}{
		{"full node: a minted node key only", newNode("rpc-0").Build(), KeySecrets{NodeKey: "rpc-0-node-key"}},
		{"seed", newNode("seed-0").Seed().Build(), KeySecrets{NodeKey: "seed-0-node-key"}},
		{"minted validator", newNode("val-0").MintedValidator().Build(),
			KeySecrets{NodeKey: "val-0-node-key", SigningKey: "val-0-signing-key", OperatorKey: "val-0-operator-key"}},
		{"existing Secrets", newNode("val-0").ValidatorWithSecrets("cons", "p2p", "op").Build(),
			KeySecrets{NodeKey: "p2p", SigningKey: "cons", OperatorKey: "op"}},
		{"existing Secrets without operator key", newNode("val-0").ValidatorWithSecrets("cons", "p2p", "").Build(),
			KeySecrets{NodeKey: "p2p", SigningKey: "cons"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(KeySecretNames(tc.node)).To(Equal(tc.want))
		})
	}
}

func TestSidecarURL(t *testing.T) {
	g := NewWithT(t)
	node := newNode("rpc-0").Build()
	g.Expect(SidecarURL(node, devConfig())).To(Equal("http://rpc-0-0.rpc-0.sei.svc.cluster.local:7777"))

	cfg := devConfig()
	cfg.ClusterDomain = "eu.example"
	cfg.Sidecar.Port = 8000
	g.Expect(SidecarURL(node, cfg)).To(Equal("http://rpc-0-0.rpc-0.sei.svc.eu.example:8000"))

	node.Spec.Sidecar = &seiv1alpha1.SidecarSpec{Port: 9000}
	g.Expect(SidecarURL(node, cfg)).To(Equal("http://rpc-0-0.rpc-0.sei.svc.eu.example:9000"))
	g.Expect(SidecarURL(newNode("rpc-0").Build(), nil)).To(Equal("http://rpc-0-0.rpc-0.sei.svc.cluster.local:7777"))
}

func TestLabels(t *testing.T) {
	g := NewWithT(t)
	node := newNode("val-0").MintedValidator().WithLabels(map[string]string{
		seiv1alpha1.LabelDeployment: "devnet", seiv1alpha1.LabelCluster: "eu-1", "unrelated": "x",
	}).Build()
	g.Expect(Labels(node)).To(Equal(map[string]string{
		seiv1alpha1.LabelNode: "val-0", seiv1alpha1.LabelChain: testChain, seiv1alpha1.LabelRole: "validator",
		seiv1alpha1.LabelDeployment: "devnet", seiv1alpha1.LabelCluster: "eu-1",
		LabelAppName: AppName, LabelManagedBy: ManagedBy,
	}))
	g.Expect(SelectorLabels(node)).To(Equal(map[string]string{seiv1alpha1.LabelNode: "val-0"}))
	for _, mode := range []*seiv1alpha1.SeiNode{newNode("a").Build(), newNode("a").Archive().Build(), newNode("a").Seed().Build()} {
		g.Expect(Labels(mode)[seiv1alpha1.LabelRole]).To(Equal(string(mode.Spec.Mode())))
	}
}

// TestConfigKnowsSeidPorts: package config refuses a sidecar port seid uses, from its own list; the
// two lists must agree.
func TestConfigKnowsSeidPorts(t *testing.T) {
	g := NewWithT(t)
	for _, p := range seidPorts {
		cfg := devConfig()
		cfg.Sidecar.Port = p.ContainerPort
		g.Expect(cfg.Validate()).To(MatchError(ContainSubstring(fmt.Sprintf("sidecar.port: %d is seid's %s port", p.ContainerPort, p.Name))))
	}
	g.Expect(config.DefaultSidecarPort).To(BeNumerically(">", 1023))
}
