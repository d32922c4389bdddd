package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DataVolumeSpec sizes the node's data PersistentVolumeClaim.
type DataVolumeSpec struct {
	// size of the data volume; defaults come from the agent's configuration per mode.
	// +optional
	// +kubebuilder:validation:XValidation:rule="quantity(string(self)).isGreaterThan(quantity('0'))",message="dataVolume.size must be larger than zero, such as 100Gi"
	Size *resource.Quantity `json:"size,omitempty"`

	// storageClassName of the data volume; defaults come from the agent's configuration per mode.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	StorageClassName *string `json:"storageClassName,omitempty"`
}

// SidecarSpec configures the seictl sidecar that runs node-local tasks.
type SidecarSpec struct {
	// image of the sidecar; defaults to the agent's configured image.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:XValidation:rule="!self.contains(' ')",message="sidecar.image must not contain spaces"
	Image string `json:"image,omitempty"`

	// port the sidecar's HTTP API listens on; defaults to the agent's configured port.
	// +optional
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`

	// resources of the sidecar container.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// P2PServiceType is how a node's P2P port is reached from other clusters.
// +kubebuilder:validation:Enum=LoadBalancer;NodePort
type P2PServiceType string

const (
	P2PLoadBalancer P2PServiceType = "LoadBalancer"
	P2PNodePort     P2PServiceType = "NodePort"
)

// P2PSpec says how peers in other clusters reach a node.
type P2PSpec struct {
	// serviceType of the node's P2P Service; defaults to the agent's configured type.
	// +optional
	ServiceType P2PServiceType `json:"serviceType,omitempty"`
}

// GenesisSource points a node at the genesis it must use: a ConfigMap in the node's namespace whose
// genesis.json must hash to sha256 before the node uses it.
type GenesisSource struct {
	// configMapName holds genesis.json.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ConfigMapName string `json:"configMapName"`

	// sha256 of genesis.json, lower-case hex.
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{64}$`
	SHA256 string `json:"sha256"`
}
