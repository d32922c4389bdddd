package config_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestDefaultIsValid(t *testing.T) {
	g := NewWithT(t)
	c := config.Default()
	g.Expect(c.Validate()).To(Succeed())
	g.Expect(c.Images.Sidecar).To(Equal(config.DefaultSidecarImage))
	g.Expect(c.SeidHome).To(Equal("/home/nonroot/.sei"))
	g.Expect(c.Sidecar.Port).To(Equal(int32(7777)))
	g.Expect(c.P2P.ServiceType).To(Equal(seiv1alpha1.P2PNodePort))
	g.Expect(c.P2P.NodeAddressType).To(Equal(config.NodeAddressInternalIP))
	g.Expect(*c.Security.RunAsUser).To(Equal(int64(65532)))
	g.Expect(*c.Security.RunAsGroup).To(Equal(int64(65532)))
	g.Expect(*c.Security.FSGroup).To(Equal(int64(65532)))
	g.Expect(*c.Signing.DoubleSignCheckHeight).To(Equal(int64(10)))
	for _, mode := range config.Modes {
		v := c.StorageFor(mode)
		g.Expect(v.Size.String()).To(Equal("20Gi"), string(mode))
	}
}

func TestDefaultReturnsIndependentCopies(t *testing.T) {
	g := NewWithT(t)
	a, b := config.Default(), config.Default()
	a.Sidecar.Env[0].Value = "changed"
	*a.Security.RunAsUser = 1
	g.Expect(b.Sidecar.Env[0].Value).To(Equal("unused"))
	g.Expect(*b.Security.RunAsUser).To(Equal(config.DefaultID))
}

func TestLoadMinimalFillsDefaults(t *testing.T) {
	g := NewWithT(t)
	c, err := config.Load(filepath.Join("testdata", "minimal.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	want := config.Default()
	want.Images.Sidecar = "registry.example.com/seictl:v1.2.3"
	g.Expect(c.SeidHome).To(Equal(want.SeidHome))
	g.Expect(c.ClusterDomain).To(Equal(want.ClusterDomain))
	g.Expect(c.Sidecar.Port).To(Equal(want.Sidecar.Port))
	g.Expect(c.Sidecar.Env).To(Equal(want.Sidecar.Env))
	g.Expect(c.P2P).To(Equal(want.P2P))
	g.Expect(c.Security).To(Equal(want.Security))
	g.Expect(c.Signing).To(Equal(want.Signing))
	g.Expect(c.StorageFor(seiv1alpha1.ModeFull)).To(Equal(want.StorageFor(seiv1alpha1.ModeFull)))
	g.Expect(c.ResourcesFor(seiv1alpha1.ModeFull)).To(Equal(want.ResourcesFor(seiv1alpha1.ModeFull)))
	g.Expect(c.Sidecar.Resources.Requirements()).To(Equal(want.Sidecar.Resources.Requirements()))
}

func TestLoadExample(t *testing.T) {
	g := NewWithT(t)
	c, err := config.Load("example.yaml")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.P2P.ServiceType).To(Equal(seiv1alpha1.P2PLoadBalancer))
	g.Expect(c.P2P.LoadBalancerClass).To(Equal("service.k8s.aws/nlb"))
	g.Expect(c.StorageFor(seiv1alpha1.ModeArchive)).To(Equal(config.VolumeSettings{StorageClassName: "io2", Size: resource.MustParse("4Ti")}))
	g.Expect(c.SchedulingFor(seiv1alpha1.ModeValidator).PriorityClassName).To(Equal("sei-validator"))
}

func TestModeFallback(t *testing.T) {
	g := NewWithT(t)
	c, err := config.Load(filepath.Join("testdata", "modes.yaml"))
	g.Expect(err).NotTo(HaveOccurred())

	// Storage: field by field.
	g.Expect(c.StorageFor(seiv1alpha1.ModeFull)).To(Equal(config.VolumeSettings{StorageClassName: "standard", Size: resource.MustParse("100Gi")}))
	g.Expect(c.StorageFor(seiv1alpha1.ModeArchive)).To(Equal(config.VolumeSettings{StorageClassName: "standard", Size: resource.MustParse("2Ti")}))
	g.Expect(c.StorageFor(seiv1alpha1.ModeSeed)).To(Equal(config.VolumeSettings{StorageClassName: "cheap", Size: resource.MustParse("100Gi")}))

	// Resources: a mode's entry replaces default whole.
	g.Expect(c.ResourcesFor(seiv1alpha1.ModeFull)).To(Equal(corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("8Gi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")},
	}))
	g.Expect(c.ResourcesFor(seiv1alpha1.ModeValidator)).To(Equal(corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("16Gi")},
	}))

	// Scheduling: field by field; an empty list in the file clears default's.
	full := c.SchedulingFor(seiv1alpha1.ModeFull)
	g.Expect(full.ServiceAccountName).To(Equal("sei-node"))
	g.Expect(full.NodeSelector).To(Equal(map[string]string{"pool": "nodes"}))
	g.Expect(full.Tolerations).To(HaveLen(1))
	v := c.SchedulingFor(seiv1alpha1.ModeValidator)
	g.Expect(v.ServiceAccountName).To(Equal("sei-node"))
	g.Expect(v.NodeSelector).To(Equal(map[string]string{"pool": "validators"}))
	g.Expect(v.Tolerations).To(Equal(full.Tolerations))
	g.Expect(v.PriorityClassName).To(Equal("critical"))
	g.Expect(c.SchedulingFor(seiv1alpha1.ModeSeed).Tolerations).To(BeEmpty())
}

func TestSchedulingForReturnsCopies(t *testing.T) {
	g := NewWithT(t)
	c := config.Default()
	c.Scheduling.Default.NodeSelector = map[string]string{"pool": "a"}
	c.Scheduling.Default.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}}
	s := c.SchedulingFor(seiv1alpha1.ModeFull)
	s.NodeSelector["pool"] = "b"
	s.Tolerations[0].Key = "changed"
	g.Expect(c.Scheduling.Default.NodeSelector["pool"]).To(Equal("a"))
	g.Expect(c.Scheduling.Default.Tolerations[0].Key).To(Equal("k"))
}

func TestLoadStrict(t *testing.T) {
	g := NewWithT(t)
	_, err := config.Load(filepath.Join("testdata", "unknown-field.yaml"))
	g.Expect(err).To(MatchError(ContainSubstring(`unknown field "storag"`)))
	g.Expect(err.Error()).To(ContainSubstring("unknown-field.yaml"))

	for name, doc := range map[string]string{
		"nested unknown field": "images: {sidecar: x, sidecr: y}",
		"duplicate field":      "images: {sidecar: x}\nimages: {sidecar: y}",
		"wrong type":           "images: {sidecar: x}\nsidecar: {port: seven}",
	} {
		_, err := config.Parse([]byte(doc))
		g.Expect(err).To(HaveOccurred(), name)
	}
	_, err = config.Parse([]byte("images: {sidecar: x}\nsidecar: {port: seven}"))
	g.Expect(err).To(MatchError(ContainSubstring("sidecar.port")))
}

func TestLoadMissingFile(t *testing.T) {
	g := NewWithT(t)
	_, err := config.Load(filepath.Join(t.TempDir(), "absent.yaml"))
	g.Expect(err).To(MatchError(ContainSubstring("absent.yaml")))
}

func TestLoadEmptyFileNeedsSidecarImage(t *testing.T) {
	g := NewWithT(t)
	path := filepath.Join(t.TempDir(), "empty.yaml")
	g.Expect(os.WriteFile(path, nil, 0o600)).To(Succeed())
	_, err := config.Load(path)
	g.Expect(err).To(MatchError(ContainSubstring("images.sidecar: required")))
}

func TestFileValuesWinOverDefaults(t *testing.T) {
	g := NewWithT(t)
	c, err := config.Parse([]byte(`
images: {sidecar: x}
sidecar:
  resources: {limits: {memory: 1Gi}}
security: {runAsUser: 1000}
p2p: {serviceType: LoadBalancer}
`))
	g.Expect(err).NotTo(HaveOccurred())
	// The file's sidecar resources replace the built-in requests and limits together.
	g.Expect(c.Sidecar.Resources.Requirements()).To(Equal(corev1.ResourceRequirements{
		Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
	}))
	g.Expect(c.Security.RunAsUser).To(Equal(ptr.To(int64(1000))))
	g.Expect(c.Security.FSGroup).To(Equal(ptr.To(config.DefaultID)))
	g.Expect(c.P2P.ServiceType).To(Equal(seiv1alpha1.P2PLoadBalancer))
	g.Expect(c.P2P.NodeAddressType).To(Equal(config.NodeAddressInternalIP))
}

// The sidecar is reachable from the agent's pods unless the file says otherwise; an agent outside the
// cluster is named by its address.
func TestNetworkPolicyPeers(t *testing.T) {
	g := NewWithT(t)
	c, err := config.Parse([]byte("images: {sidecar: x}"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.NetworkPolicy.SidecarFrom).To(Equal(config.DefaultSidecarFrom()))
	g.Expect(c.NetworkPolicy.SidecarFrom[0].NamespaceSelector.MatchLabels).To(HaveKeyWithValue("kubernetes.io/metadata.name", "sei-fleet-system"))
	g.Expect(c.NetworkPolicy.SidecarFrom[0].PodSelector.MatchLabels).To(HaveKeyWithValue("app.kubernetes.io/name", "sei-fleet-agent"))
	g.Expect(c.NetworkPolicy.RPCFrom).To(BeEmpty())

	c, err = config.Parse([]byte(`
images: {sidecar: x}
networkPolicy:
  sidecarFrom: [{ipBlock: {cidr: 198.18.0.1/32}}]
  rpcFrom: [{namespaceSelector: {matchLabels: {team: rpc}}}]
`))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.NetworkPolicy.SidecarFrom).To(HaveLen(1))
	g.Expect(c.NetworkPolicy.SidecarFrom[0].IPBlock.CIDR).To(Equal("198.18.0.1/32"))
	g.Expect(c.NetworkPolicy.RPCFrom[0].NamespaceSelector.MatchLabels).To(Equal(map[string]string{"team": "rpc"}))
}

func TestQuantityNumbers(t *testing.T) {
	g := NewWithT(t)
	c, err := config.Parse([]byte("images: {sidecar: x}\nstorage: {default: {size: 1073741824}}"))
	g.Expect(err).NotTo(HaveOccurred())
	size := c.StorageFor(seiv1alpha1.ModeFull).Size
	g.Expect(size.Value()).To(Equal(int64(1 << 30)))
}
