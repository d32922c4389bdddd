package config

import (
	corev1 "k8s.io/api/core/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Config is the agent's configuration file. Every field is optional except images.sidecar: a field
// the file leaves out takes its value from Default. Fields are documented in example.yaml.
type Config struct {
	// Images are the container images the agent runs next to seid (seid's own image is spec.image).
	Images Images `json:"images"`

	// SeidHome is seid's home directory inside the pod; the data volume is mounted there.
	SeidHome string `json:"seidHome,omitempty"`

	// ClusterDomain is the cluster's DNS domain, used to address a node's sidecar through its
	// headless Service.
	ClusterDomain string `json:"clusterDomain,omitempty"`

	// NodeEndpoints says how the agent addresses a node's sidecar and RPC: DNS (the pod's name in
	// its headless Service, the default) or PodIP (the pod's address from its status, for clusters
	// without cluster DNS, such as the local data plane's).
	NodeEndpoints EndpointMode `json:"nodeEndpoints,omitempty"`

	// Storage sizes the data volume per node mode.
	Storage ByMode[Volume] `json:"storage"`

	// Resources of the seid container per node mode.
	Resources ByMode[Resources] `json:"resources"`

	// Sidecar configures the seictl sidecar container.
	Sidecar Sidecar `json:"sidecar"`

	// Scheduling places node pods per node mode.
	Scheduling ByMode[Scheduling] `json:"scheduling"`

	// P2P says how a node's P2P port is exposed to peers in other clusters.
	P2P P2P `json:"p2p"`

	// Security is the identity node pods run as.
	Security Security `json:"security"`

	// Signing guards validators' consensus keys against signing twice.
	Signing Signing `json:"signing"`

	// NetworkPolicy says who may reach a node's pod: above all, who may call its sidecar.
	NetworkPolicy NetworkPolicy `json:"networkPolicy"`
}

// Signing guards validators' consensus keys against signing twice.
type Signing struct {
	// DoubleSignCheckHeight is how many recent blocks seid searches for a validator's own signature
	// before it joins consensus, whenever the validator's volume cannot vouch for its signing state
	// (a new volume, a state raised to the hub's floor, another key's state): found, seid exits rather
	// than sign. It is off once the validator has signed from that volume, so a restart is never
	// refused for the node's own signatures. 0 turns it off. A validator's spec.overrides
	// consensus.double_sign_check_height wins (and, through config.toml, applies to every start).
	DoubleSignCheckHeight *int64 `json:"doubleSignCheckHeight,omitempty"`
}

// EndpointMode is how a node's pod is addressed.
type EndpointMode string

// Endpoint modes.
const (
	EndpointsDNS   EndpointMode = "DNS"
	EndpointsPodIP EndpointMode = "PodIP"
)

// Images are the images the agent runs besides seid.
type Images struct {
	// Sidecar is the seictl image. Required: its HTTP API must match the agent's sidecar client, so
	// a deployment pins it rather than inheriting a built-in tag.
	Sidecar string `json:"sidecar"`
}

// ByMode holds a setting for every node mode: Default applies to all of them, and an entry for a mode
// overrides it for that mode. How an entry combines with Default depends on the setting; see
// StorageFor, ResourcesFor and SchedulingFor.
type ByMode[T any] struct {
	Default   T  `json:"default"`
	Validator *T `json:"validator,omitempty"`
	Full      *T `json:"full,omitempty"`
	Archive   *T `json:"archive,omitempty"`
	Seed      *T `json:"seed,omitempty"`
}

// Override returns the entry for mode, or nil when the file has none.
func (b *ByMode[T]) Override(mode seiv1alpha1.NodeMode) *T {
	switch mode {
	case seiv1alpha1.ModeValidator:
		return b.Validator
	case seiv1alpha1.ModeFull:
		return b.Full
	case seiv1alpha1.ModeArchive:
		return b.Archive
	case seiv1alpha1.ModeSeed:
		return b.Seed
	default:
		return nil
	}
}

// entries lists the entries present in the file with the field path naming each, default first.
func (b *ByMode[T]) entries(path string) []modeEntry[T] {
	out := []modeEntry[T]{{path: path + ".default", value: &b.Default}}
	for _, mode := range Modes {
		if v := b.Override(mode); v != nil {
			out = append(out, modeEntry[T]{path: path + "." + string(mode), value: v})
		}
	}
	return out
}

type modeEntry[T any] struct {
	path  string
	value *T
}

// Modes are the node modes, in the order the configuration lists them.
var Modes = []seiv1alpha1.NodeMode{
	seiv1alpha1.ModeValidator, seiv1alpha1.ModeFull, seiv1alpha1.ModeArchive, seiv1alpha1.ModeSeed,
}

// Volume sizes a node's data PersistentVolumeClaim.
type Volume struct {
	// StorageClassName of the claim; empty uses the cluster's default StorageClass.
	StorageClassName string `json:"storageClassName,omitempty"`
	// Size of the claim.
	Size *Quantity `json:"size,omitempty"`
}

// Sidecar configures the seictl sidecar.
type Sidecar struct {
	// Port the sidecar's HTTP API listens on, unless a SeiNode sets spec.sidecar.port.
	Port int32 `json:"port,omitempty"`
	// Env is extra environment for the sidecar. seictl refuses to start without SEI_GENESIS_BUCKET,
	// SEI_GENESIS_REGION, SEI_SNAPSHOT_BUCKET and SEI_SNAPSHOT_REGION, even when no task uses S3.
	Env []corev1.EnvVar `json:"env,omitempty"`
	// Resources of the sidecar container, unless a SeiNode sets spec.sidecar.resources.
	Resources Resources `json:"resources"`
}

// Scheduling places node pods.
type Scheduling struct {
	// ServiceAccountName runs node pods; empty: the namespace's default ServiceAccount. Its token is
	// not mounted (nothing in the pod calls the Kubernetes API); it matters for cloud workload
	// identity, e.g. IRSA for the sidecar's S3 access.
	ServiceAccountName string `json:"serviceAccountName,omitempty"`
	// NodeSelector restricts node pods to matching Kubernetes nodes.
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Tolerations of node pods.
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// PriorityClassName of node pods.
	PriorityClassName string `json:"priorityClassName,omitempty"`
	// TerminationGracePeriodSeconds of node pods: how long seid has to stop before it is killed, and
	// so how long the agent's fence waits, after a kubelet cut off from the API server is back, before
	// it takes a removed pod's containers as stopped. Unset: 300 for validators, 120 for other nodes.
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
}

// NodeAddressType names the Kubernetes Node address that advertises a NodePort P2P Service.
const (
	NodeAddressExternalIP = corev1.NodeExternalIP
	NodeAddressInternalIP = corev1.NodeInternalIP
)

// P2P says how a node's P2P port is exposed to peers in other clusters.
type P2P struct {
	// ServiceType of the P2P Service when a SeiNode does not set spec.p2p.
	ServiceType seiv1alpha1.P2PServiceType `json:"serviceType,omitempty"`
	// NodeAddressType is the Node address advertised with a NodePort: ExternalIP, or InternalIP when
	// peers share a network with the nodes (kind clusters only have InternalIP).
	NodeAddressType corev1.NodeAddressType `json:"nodeAddressType,omitempty"`
	// LoadBalancerAnnotations are put on LoadBalancer P2P Services, e.g. to ask for an NLB.
	LoadBalancerAnnotations map[string]string `json:"loadBalancerAnnotations,omitempty"`
	// LoadBalancerClass of LoadBalancer P2P Services; empty: the cluster's default implementation.
	LoadBalancerClass string `json:"loadBalancerClass,omitempty"`
}

// Security is the identity node pods run as.
type Security struct {
	// RunAsUser of every container; never 0, node pods run as non-root.
	RunAsUser *int64 `json:"runAsUser,omitempty"`
	// RunAsGroup of every container.
	RunAsGroup *int64 `json:"runAsGroup,omitempty"`
	// FSGroup owns the data volume and the key files, so the non-root user can read them.
	FSGroup *int64 `json:"fsGroup,omitempty"`
}
