package resources

import (
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

const (
	testNamespace = "sei"
	testChain     = "sei-fleet-devnet-1"
	testImage     = "ghcr.io/sei-protocol/seid:v6.1.4"
	testSidecar   = "registry.example.com/seictl:v0.0.0-test"
	testGenesisCM = "sei-fleet-devnet-1-genesis"
	testSHA256    = "9b1f0c4e8d2a6f3b7c5e1d9a0f4b8c2e6d3a7f1b5c9e0d4a8f2b6c3e7d1a5f9b"
)

// nodeBuilder builds test SeiNodes: newNode("rpc-0").Archive().Build().
type nodeBuilder struct{ n *seiv1alpha1.SeiNode }

// newNode is a full node with everything a stored SeiNode has (namespace, UID).
func newNode(name string) *nodeBuilder {
	return &nodeBuilder{n: &seiv1alpha1.SeiNode{
		TypeMeta: metav1.TypeMeta{APIVersion: seiv1alpha1.GroupVersion.String(), Kind: "SeiNode"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: testNamespace, UID: types.UID("uid-" + name),
		},
		Spec: seiv1alpha1.SeiNodeSpec{
			ChainID:  testChain,
			Image:    testImage,
			FullNode: &seiv1alpha1.FullNodeSpec{},
		},
	}}
}

func (b *nodeBuilder) clearMode() *nodeBuilder {
	b.n.Spec.FullNode, b.n.Spec.Archive, b.n.Spec.Seed, b.n.Spec.Validator = nil, nil, nil, nil
	return b
}

func (b *nodeBuilder) Archive() *nodeBuilder {
	b.clearMode().n.Spec.Archive = &seiv1alpha1.ArchiveSpec{}
	return b
}

func (b *nodeBuilder) Seed() *nodeBuilder {
	b.clearMode().n.Spec.Seed = &seiv1alpha1.SeedSpec{}
	return b
}

// MintedValidator makes a validator whose keys the agent mints.
func (b *nodeBuilder) MintedValidator() *nodeBuilder {
	b.clearMode().n.Spec.Validator = &seiv1alpha1.ValidatorSpec{Identity: seiv1alpha1.ValidatorIdentity{Mint: true}}
	return b
}

// ValidatorWithSecrets makes a validator whose keys exist as Secrets; operator may be empty.
func (b *nodeBuilder) ValidatorWithSecrets(signing, nodeKey, operator string) *nodeBuilder {
	b.clearMode().n.Spec.Validator = &seiv1alpha1.ValidatorSpec{Identity: seiv1alpha1.ValidatorIdentity{
		SigningKeySecret: signing, NodeKeySecret: nodeKey, OperatorKeySecret: operator,
	}}
	return b
}

func (b *nodeBuilder) Genesis() *nodeBuilder {
	b.n.Spec.Genesis = &seiv1alpha1.GenesisSource{ConfigMapName: testGenesisCM, SHA256: testSHA256}
	return b
}

func (b *nodeBuilder) Paused() *nodeBuilder {
	b.n.Spec.Paused = true
	return b
}

func (b *nodeBuilder) WithLabels(l map[string]string) *nodeBuilder {
	b.n.Labels = l
	return b
}

func (b *nodeBuilder) WithPodLabels(l map[string]string) *nodeBuilder {
	b.n.Spec.PodLabels = l
	return b
}

func (b *nodeBuilder) WithResources(r corev1.ResourceRequirements) *nodeBuilder {
	b.n.Spec.Resources = &r
	return b
}

func (b *nodeBuilder) WithDataVolume(size, class string) *nodeBuilder {
	d := &seiv1alpha1.DataVolumeSpec{}
	if size != "" {
		d.Size = ptr.To(resource.MustParse(size))
	}
	if class != "" {
		d.StorageClassName = ptr.To(class)
	}
	b.n.Spec.DataVolume = d
	return b
}

func (b *nodeBuilder) WithP2P(t seiv1alpha1.P2PServiceType) *nodeBuilder {
	b.n.Spec.P2P = &seiv1alpha1.P2PSpec{ServiceType: t}
	return b
}

func (b *nodeBuilder) WithSidecar(s seiv1alpha1.SidecarSpec) *nodeBuilder {
	b.n.Spec.Sidecar = &s
	return b
}

func (b *nodeBuilder) With(edit func(*seiv1alpha1.SeiNode)) *nodeBuilder {
	edit(b.n)
	return b
}

func (b *nodeBuilder) Build() *seiv1alpha1.SeiNode { return b.n.DeepCopy() }

// devConfig is the built-in configuration with a pinned test sidecar image.
func devConfig() *config.Config {
	c := config.Default()
	c.Images.Sidecar = testSidecar
	return c
}

// prodConfig is testdata/agent-config.yaml: per-mode storage, resources and scheduling, LoadBalancer
// P2P Services.
func prodConfig(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Load(filepath.Join("testdata", "agent-config.yaml"))
	if err != nil {
		t.Fatalf("load test config: %v", err)
	}
	return c
}

func requirements(cpu, memory string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(memory)},
	}
}
