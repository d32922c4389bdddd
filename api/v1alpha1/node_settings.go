package v1alpha1

import corev1 "k8s.io/api/core/v1"

// NodeSettings are the per-node settings a SeiNode carries and a SeiNodeDeployment's template stamps
// onto each of its nodes.
// +kubebuilder:validation:XValidation:rule="!has(self.podLabels) || self.podLabels.all(k, !k.startsWith('sei.io/'))",message="podLabels must not set sei.io/ labels: the fleet owns them"
type NodeSettings struct {
	// dataVolume sizes the node's data PersistentVolumeClaim.
	// +optional
	DataVolume *DataVolumeSpec `json:"dataVolume,omitempty"`

	// resources of the seid container; defaults come from the agent's configuration per mode.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// sidecar configures the seictl sidecar container.
	// +optional
	Sidecar *SidecarSpec `json:"sidecar,omitempty"`

	// overrides are seid configuration keys and values, keys hyphenated as seid uses them
	// (e.g. "p2p.max-num-inbound-peers"); they win over everything the fleet sets.
	// +optional
	// +kubebuilder:validation:MaxProperties=128
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z0-9]([a-z0-9_.-]{0,126}[a-z0-9])?$'))",message="overrides keys must be seid config keys such as p2p.max-num-inbound-peers: lower case letters, digits, '.', '-' and '_'"
	Overrides map[string]string `json:"overrides,omitempty"`

	// podLabels are added to the node's pod.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	PodLabels map[string]string `json:"podLabels,omitempty"`

	// p2p says how peers in other clusters reach the node.
	// +optional
	P2P *P2PSpec `json:"p2p,omitempty"`
}
