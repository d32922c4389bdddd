package resources

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// TestImpossibleInput: every builder refuses a node that cannot run, naming the field, and none panics.
func TestImpossibleInput(t *testing.T) {
	edit := func(f func(n *seiv1alpha1.SeiNode)) *seiv1alpha1.SeiNode { return newNode("rpc-0").With(f).Build() }
	for _, tc := range []struct {
		name string
		node *seiv1alpha1.SeiNode
		cfg  *config.Config
		want string
	}{
		{name: "no node", want: "no SeiNode"},
		{name: "no config", node: newNode("rpc-0").Build(), want: "no agent configuration"},
		{name: "validator without identity", node: newNode("val-0").ValidatorWithSecrets("", "", "").Build(),
			want: "spec.validator.identity: needs mint: true, or both signingKeySecret and nodeKeySecret"},
		{name: "validator with only a signing key", node: newNode("val-0").ValidatorWithSecrets("cons", "", "").Build(),
			want: "spec.validator.identity: needs mint: true"},
		{name: "mint and Secrets", node: newNode("val-0").MintedValidator().With(func(n *seiv1alpha1.SeiNode) {
			n.Spec.Validator.Identity.SigningKeySecret = "cons"
		}).Build(), want: "spec.validator.identity: mint: true and existing key Secrets exclude each other"},
		{name: "no mode", node: edit(func(n *seiv1alpha1.SeiNode) { n.Spec.FullNode = nil }),
			want: "spec: exactly one of fullNode, archive, seed and validator must be set, found 0"},
		{name: "two modes", node: edit(func(n *seiv1alpha1.SeiNode) { n.Spec.Seed = &seiv1alpha1.SeedSpec{} }),
			want: "found 2"},
		{name: "name starts with a digit", node: newNode("0-rpc").Build(), want: `metadata.name "0-rpc" must be a DNS-1035 label`},
		{name: "name too long", node: newNode("n" + strings.Repeat("x", 52)).Build(), want: "of at most 52 characters"},
		{name: "no namespace", node: edit(func(n *seiv1alpha1.SeiNode) { n.Namespace = "" }), want: "metadata.namespace: required"},
		{name: "no uid", node: edit(func(n *seiv1alpha1.SeiNode) { n.UID = "" }), want: "metadata.uid: required"},
		{name: "no chain", node: edit(func(n *seiv1alpha1.SeiNode) { n.Spec.ChainID = "" }), want: `spec.chainId ""`},
		{name: "no image", node: edit(func(n *seiv1alpha1.SeiNode) { n.Spec.Image = "" }), want: `spec.image "": required`},
		{name: "genesis hash", node: edit(func(n *seiv1alpha1.SeiNode) {
			n.Spec.Genesis = &seiv1alpha1.GenesisSource{ConfigMapName: "g", SHA256: "ABC; rm -rf /"}
		}), want: "spec.genesis.sha256"},
		{name: "genesis ConfigMap", node: edit(func(n *seiv1alpha1.SeiNode) {
			n.Spec.Genesis = &seiv1alpha1.GenesisSource{SHA256: testSHA256}
		}), want: "spec.genesis.configMapName: required"},
		{name: "sidecar port is seid's", node: newNode("rpc-0").WithSidecar(seiv1alpha1.SidecarSpec{Port: PortEVMRPC}).Build(),
			want: "spec.sidecar.port 8545: is seid's evm-rpc port"},
		{name: "sidecar port range", node: newNode("rpc-0").WithSidecar(seiv1alpha1.SidecarSpec{Port: 80}).Build(),
			want: "spec.sidecar.port 80: must be between 1024 and 65535"},
		{name: "p2p type", node: newNode("rpc-0").WithP2P("ClusterIP").Build(), want: `spec.p2p.serviceType "ClusterIP"`},
		{name: "zero data size", node: edit(func(n *seiv1alpha1.SeiNode) {
			n.Spec.DataVolume = &seiv1alpha1.DataVolumeSpec{Size: ptr.To(resource.MustParse("0"))}
		}), want: "spec.dataVolume.size 0: must be greater than zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			cfg := tc.cfg
			if cfg == nil && tc.name != "no config" {
				cfg = devConfig()
			}
			_, err := BuildStatefulSet(tc.node, cfg)
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)), "StatefulSet")
			if tc.node != nil {
				g.Expect(err.Error()).To(ContainSubstring("SeiNode " + tc.node.Namespace + "/" + tc.node.Name))
			}
			_, err = BuildHeadlessService(tc.node, cfg)
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)), "headless Service")
			_, err = BuildP2PService(tc.node, cfg)
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)), "P2P Service")
			_, err = BuildDataPVC(tc.node, cfg)
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)), "PVC")
		})
	}
}

func TestAllProblemsReportedAtOnce(t *testing.T) {
	g := NewWithT(t)
	node := newNode("rpc-0").With(func(n *seiv1alpha1.SeiNode) {
		n.UID, n.Spec.Image, n.Spec.ChainID = "", "", ""
	}).Build()
	_, err := BuildStatefulSet(node, devConfig())
	g.Expect(err).To(MatchError(ContainSubstring("metadata.uid")))
	g.Expect(err).To(MatchError(ContainSubstring("spec.image")))
	g.Expect(err).To(MatchError(ContainSubstring("spec.chainId")))
}
