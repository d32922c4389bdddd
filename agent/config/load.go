package config

import (
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Built-in values.
const (
	// DefaultSidecarImage is the seictl image Default runs. A configuration file must name its own.
	DefaultSidecarImage = "ghcr.io/sei-protocol/seictl:v0.0.68"
	// DefaultSidecarPort is seictl's own default port.
	DefaultSidecarPort int32 = 7777
	// DefaultSeidHome is where seid images built on distroless "nonroot" keep their home.
	DefaultSeidHome = "/home/nonroot/.sei"
	// DefaultClusterDomain is Kubernetes' default DNS domain.
	DefaultClusterDomain = "cluster.local"
	// DefaultID is the uid and gid of distroless' "nonroot" user, which seid and seictl images use.
	DefaultID int64 = 65532
	// DefaultDoubleSignCheckHeight: seid looks at the 9 blocks below its start height (n-1), a few
	// seconds of Sei blocks, in each of which a key still signing elsewhere is all but certain to
	// appear.
	DefaultDoubleSignCheckHeight int64 = 10
	// placeholderBucket fills seictl's required S3 settings on clusters that never use S3: seictl
	// only checks that they are set, and the agent fetches genesis from a ConfigMap.
	placeholderBucket = "unused"
	placeholderRegion = "us-east-1"
)

// Default returns a configuration that works on a local or dev cluster such as kind: the cluster's
// default StorageClass, modest resources, NodePort P2P Services advertised on the nodes' InternalIP
// (kind has neither load balancers nor ExternalIPs), and placeholder S3 settings for the sidecar.
// It has no per-mode entries, so every mode gets the defaults.
func Default() *Config {
	return &Config{
		Images:        Images{Sidecar: DefaultSidecarImage},
		SeidHome:      DefaultSeidHome,
		ClusterDomain: DefaultClusterDomain,
		NodeEndpoints: EndpointsDNS,
		Storage:       ByMode[Volume]{Default: Volume{Size: ptr.To(NewQuantity("20Gi"))}},
		// Memory is limited so a leaking node cannot take its Kubernetes node down with it; CPU is
		// not, because CPU throttling stalls consensus rounds and costs a validator missed blocks.
		Resources: ByMode[Resources]{Default: Resources{
			Requests: ResourceList{corev1.ResourceCPU: NewQuantity("500m"), corev1.ResourceMemory: NewQuantity("2Gi")},
			Limits:   ResourceList{corev1.ResourceMemory: NewQuantity("4Gi")},
		}},
		Sidecar: Sidecar{
			Port: DefaultSidecarPort,
			Env: []corev1.EnvVar{
				{Name: EnvGenesisBucket, Value: placeholderBucket},
				{Name: EnvGenesisRegion, Value: placeholderRegion},
				{Name: EnvSnapshotBucket, Value: placeholderBucket},
				{Name: EnvSnapshotRegion, Value: placeholderRegion},
			},
			Resources: Resources{
				Requests: ResourceList{corev1.ResourceCPU: NewQuantity("50m"), corev1.ResourceMemory: NewQuantity("64Mi")},
				Limits:   ResourceList{corev1.ResourceMemory: NewQuantity("256Mi")},
			},
		},
		P2P: P2P{ServiceType: seiv1alpha1.P2PNodePort, NodeAddressType: NodeAddressInternalIP},
		Security: Security{
			RunAsUser: ptr.To(DefaultID), RunAsGroup: ptr.To(DefaultID), FSGroup: ptr.To(DefaultID),
		},
		Signing:       Signing{DoubleSignCheckHeight: ptr.To(DefaultDoubleSignCheckHeight)},
		NetworkPolicy: NetworkPolicy{SidecarFrom: DefaultSidecarFrom()},
	}
}

// Load reads, defaults and validates the configuration file at path.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read agent config: %w", err)
	}
	c, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("agent config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a configuration strictly (unknown and duplicate fields are errors), fills the fields
// it leaves out from Default, and validates the result.
func Parse(data []byte) (*Config, error) {
	c := &Config{}
	if err := yaml.UnmarshalStrict(data, c); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	c.setDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// setDefaults fills what the file left out from Default, field by field. A field the file sets is
// kept whole: a file's resources.default replaces the built-in requests and limits together, and a
// file's sidecar.env replaces the placeholder S3 settings (Validate then insists on all four).
// images.sidecar is deliberately not defaulted.
func (c *Config) setDefaults() {
	d := Default()
	setIfEmpty(&c.SeidHome, d.SeidHome)
	setIfEmpty(&c.ClusterDomain, d.ClusterDomain)
	setIfEmpty(&c.NodeEndpoints, d.NodeEndpoints)
	if c.Storage.Default.Size == nil {
		c.Storage.Default.Size = d.Storage.Default.Size
	}
	if c.Resources.Default.isZero() {
		c.Resources.Default = d.Resources.Default
	}
	if c.Sidecar.Port == 0 {
		c.Sidecar.Port = d.Sidecar.Port
	}
	if c.Sidecar.Env == nil {
		c.Sidecar.Env = d.Sidecar.Env
	}
	if c.Sidecar.Resources.isZero() {
		c.Sidecar.Resources = d.Sidecar.Resources
	}
	if c.NetworkPolicy.SidecarFrom == nil {
		c.NetworkPolicy.SidecarFrom = d.NetworkPolicy.SidecarFrom
	}
	setIfEmpty(&c.P2P.ServiceType, d.P2P.ServiceType)
	setIfEmpty(&c.P2P.NodeAddressType, d.P2P.NodeAddressType)
	for _, id := range []struct{ field, def **int64 }{
		{&c.Security.RunAsUser, &d.Security.RunAsUser},
		{&c.Security.RunAsGroup, &d.Security.RunAsGroup},
		{&c.Security.FSGroup, &d.Security.FSGroup},
		{&c.Signing.DoubleSignCheckHeight, &d.Signing.DoubleSignCheckHeight},
	} {
		if *id.field == nil {
			*id.field = *id.def
		}
	}
}

func setIfEmpty[T ~string](field *T, def T) {
	if *field == "" {
		*field = def
	}
}
