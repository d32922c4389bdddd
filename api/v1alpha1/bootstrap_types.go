package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BootstrapSpec says how a full node with an empty data volume gets the chain's state: by state sync
// from peers' snapshots, or from a snapshot archive. Without it the node replays every block from
// genesis. It only acts on a node's first start: a node that has state ignores it.
// +kubebuilder:validation:XValidation:rule="has(self.stateSync) != has(self.snapshot)",message="bootstrap needs exactly one of stateSync and snapshot"
type BootstrapSpec struct {
	// stateSync restores the latest snapshot the node's peers offer, verified by a light client
	// against witnesses' RPC.
	// +optional
	StateSync *StateSyncBootstrap `json:"stateSync,omitempty"`

	// snapshot restores a snapshot archive from S3 (or an S3-compatible store), then state-syncs from
	// that local snapshot, verified by a light client against witnesses' RPC.
	// +optional
	Snapshot *SnapshotBootstrap `json:"snapshot,omitempty"`
}

// LightClientSpec is what seid's state-sync light client verifies the restored state with.
type LightClientSpec struct {
	// rpcServers are witnesses' Tendermint RPC endpoints as host:port (a :443 endpoint is reached over
	// https, any other over http). seid needs a primary and at least one witness, so at least two. The
	// sidecar takes the trust height and hash from the first that answers, about 2000 blocks below its
	// latest block (height 1 on a younger chain). Unset on a deployment that joins another, the hub fills
	// in the RPC addresses of the joined deployment's nodes that serve state sync (serveStateSync),
	// across clusters; unset on a lone SeiNode, the sidecar tries its persistent peers' hosts at :26657.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MinItems=2
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=261
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9.-]+:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$`
	RPCServers []string `json:"rpcServers,omitempty"`

	// trustPeriod is how long a trusted header stays trusted; the trust height's block must be younger.
	// For Cosmos chains, somewhat less than the unbonding period. Unset, seid's default (168h).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]*)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m')",message="trustPeriod must be at least 1m, such as 168h"
	TrustPeriod *metav1.Duration `json:"trustPeriod,omitempty"`
}

// StateSyncBootstrap bootstraps a node by state sync.
type StateSyncBootstrap struct {
	LightClientSpec `json:",inline"`
}

// SnapshotBootstrap bootstraps a node from a snapshot archive: objects
// <chainId>/state-sync/<height>.tar.gz in an S3 bucket, as seictl's snapshot-upload writes them.
type SnapshotBootstrap struct {
	// s3 is where the archives are.
	S3 S3Source `json:"s3"`

	// targetHeight picks the newest archive at or below it; unset, the newest.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9007199254740991
	TargetHeight int64 `json:"targetHeight,omitempty"`

	LightClientSpec `json:",inline"`
}

// S3Source is an S3 bucket, or one of an S3-compatible store.
type S3Source struct {
	// bucket name.
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`
	Bucket string `json:"bucket"`

	// region of the bucket.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[a-z0-9-]+$`
	Region string `json:"region"`

	// endpoint of an S3-compatible store (http:// or https://); unset, AWS S3. Given as an IP
	// address, requests are path-style; given as a host name, virtual-hosted (bucket.host).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^https?://[^\s/]+(/[^\s]*)?$`
	Endpoint string `json:"endpoint,omitempty"`

	// credentialsSecret names a Secret in the node's namespace, in its member cluster, whose keys
	// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN, if present) the sidecar
	// signs its requests with. Unset, the sidecar uses the AWS SDK's default chain (e.g. the pod's
	// workload identity). The hub never reads it.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	CredentialsSecret string `json:"credentialsSecret,omitempty"`
}

// ServeStateSyncSpec makes a node take state-sync snapshots and serve them to nodes that bootstrap by
// state sync, and act as their light-client witness: its Tendermint RPC is published on its P2P
// Service beside P2P and reported in status.rpcAddress. seid needs the SeiDB state store for
// snapshots, so it is turned on too (storage.state_store.enable, off by default on validators).
type ServeStateSyncSpec struct {
	// snapshotInterval is how many blocks apart snapshots are taken (app.toml
	// state-sync.snapshot-interval).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	SnapshotInterval int64 `json:"snapshotInterval"`

	// snapshotKeepRecent is how many snapshots are kept (app.toml state-sync.snapshot-keep-recent).
	// +optional
	// +kubebuilder:default=2
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	SnapshotKeepRecent int32 `json:"snapshotKeepRecent,omitempty"`
}
