package v1alpha1

import corev1 "k8s.io/api/core/v1"

// NodeSettings are the per-node settings a SeiNode carries and a SeiNodeDeployment's template stamps
// onto each of its nodes.
// +kubebuilder:validation:XValidation:rule="!has(self.podLabels) || self.podLabels.all(k, !k.startsWith('sei.io/'))",message="podLabels must not set sei.io/ labels: the fleet owns them"
// +kubebuilder:validation:XValidation:rule="!has(self.serveStateSync) || !has(self.overrides) || !self.overrides.exists(k, k in ['storage.snapshot_interval', 'storage.snapshot_keep_recent', 'storage.state_store.enable'])",message="overrides must not set storage.snapshot_interval, storage.snapshot_keep_recent or storage.state_store.enable when serveStateSync sets them"
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

	// overrides set keys of sei-config's schema, the one the seictl sidecar's config-apply resolves
	// (e.g. "network.p2p.max_connections", "logging.level"; not seid's TOML keys), over the defaults of
	// the node's mode. docs/config-overrides.md lists every key with its type and defaults. Keys the fleet
	// sets itself (mode, listen addresses, peers, external address) are refused.
	// +optional
	Overrides ConfigOverrides `json:"overrides,omitempty"`

	// podLabels are added to the node's pod.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	PodLabels map[string]string `json:"podLabels,omitempty"`

	// p2p says how peers in other clusters reach the node.
	// +optional
	P2P *P2PSpec `json:"p2p,omitempty"`

	// serveStateSync makes the node take state-sync snapshots, serve them, and be a light-client
	// witness for nodes that bootstrap by state sync.
	// +optional
	ServeStateSync *ServeStateSyncSpec `json:"serveStateSync,omitempty"`
}
