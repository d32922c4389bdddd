package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodeMode is what a node does in the network. It mirrors which of the mode fields is set.
type NodeMode string

const (
	ModeValidator NodeMode = "validator"
	ModeFull      NodeMode = "full"
	ModeArchive   NodeMode = "archive"
	ModeSeed      NodeMode = "seed"
)

// SeiNodeSpec is one Sei node. On the hub it is the fleet record (spec.clusterName says where it runs);
// in that member cluster, the agent runs an identical copy the hub mirrors there.
//
// +kubebuilder:validation:XValidation:rule="[has(self.fullNode), has(self.archive), has(self.seed), has(self.validator)].filter(x, x).size() == 1",message="exactly one of spec.fullNode, spec.archive, spec.seed and spec.validator must be set"
// +kubebuilder:validation:XValidation:rule="has(self.validator) == has(oldSelf.validator) && has(self.fullNode) == has(oldSelf.fullNode) && has(self.archive) == has(oldSelf.archive) && has(self.seed) == has(oldSelf.seed)",message="the node's mode (spec.fullNode, spec.archive, spec.seed, spec.validator) is immutable"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.genesis) || (has(self.genesis) && self.genesis == oldSelf.genesis)",message="spec.genesis is immutable once set"
// +kubebuilder:validation:XValidation:rule="!has(self.fullNode) || !has(self.fullNode.bootstrap) || !has(self.overrides) || !self.overrides.exists(k, k.startsWith('state_sync.'))",message="overrides must not set state_sync.* keys when spec.fullNode.bootstrap configures state sync"
type SeiNodeSpec struct {
	// chainId of the network the node belongs to: a DNS-1123 label of at most 50 characters
	// (Tendermint's limit).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=50
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="chainId is immutable"
	ChainID string `json:"chainId"`

	// image is the seid container image.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="!self.contains(' ')",message="image must not contain spaces"
	Image string `json:"image"`

	// clusterName is the member cluster the hub placed the node on. It changes only through a fenced
	// move. An agent runs only nodes whose clusterName is its own (or empty, for standalone use).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ClusterName string `json:"clusterName,omitempty"`

	// fullNode runs a full node.
	// +optional
	FullNode *FullNodeSpec `json:"fullNode,omitempty"`

	// archive runs an archive node (no pruning).
	// +optional
	Archive *ArchiveSpec `json:"archive,omitempty"`

	// seed runs a seed node (P2P address exchange only).
	// +optional
	Seed *SeedSpec `json:"seed,omitempty"`

	// validator runs a validator.
	// +optional
	Validator *ValidatorSpec `json:"validator,omitempty"`

	// peers are persistent peers as nodeID@host:port.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=200
	// +kubebuilder:validation:items:Pattern=`^[0-9a-f]{40}@[A-Za-z0-9.-]+:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$`
	Peers []string `json:"peers,omitempty"`

	// externalAddress (host:port) is what the node advertises to peers; it overrides the address the
	// agent derives from the node's P2P Service.
	// +optional
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9.-]+:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$`
	ExternalAddress string `json:"externalAddress,omitempty"`

	// genesis is the genesis the node must use, checked against its sha256 before use. Unset, the node
	// waits for one.
	// +optional
	Genesis *GenesisSource `json:"genesis,omitempty"`

	NodeSettings `json:",inline"`

	// paused scales the node's StatefulSet to zero; its data is kept.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// haltHeight, when set, is the last block the node commits (seid's halt-height): the agent sets
	// it in app.toml and restarts seid, closes the sidecar's start gate so that seid does not start
	// again on its own after it halts, and reports the Halted condition once the node reached it. The
	// hub sets it for a network upgrade and clears it when it moves the node to the new image.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=9007199254740991
	HaltHeight int64 `json:"haltHeight,omitempty"`
}

// FullNodeSpec configures a full node.
// +kubebuilder:validation:XValidation:rule="has(self.bootstrap) == has(oldSelf.bootstrap) && (!has(self.bootstrap) || (has(self.bootstrap.stateSync) == has(oldSelf.bootstrap.stateSync) && has(self.bootstrap.snapshot) == has(oldSelf.bootstrap.snapshot)))",message="fullNode.bootstrap cannot be added, removed or switched between stateSync and snapshot: it only acts on a node's first start"
type FullNodeSpec struct {
	// bootstrap says how the node gets the chain's state on its first start.
	// +optional
	Bootstrap *BootstrapSpec `json:"bootstrap,omitempty"`
}

// ArchiveSpec configures an archive node.
type ArchiveSpec struct{}

// SeedSpec configures a seed node.
type SeedSpec struct{}

// ValidatorSpec configures a validator.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.signingStateFloor) || (has(self.signingStateFloor) && self.signingStateFloor >= oldSelf.signingStateFloor)",message="validator.signingStateFloor never decreases"
type ValidatorSpec struct {
	// identity says where the validator's keys come from. Keys never leave the member cluster.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="validator.identity is immutable: a new identity is a new validator"
	Identity ValidatorIdentity `json:"identity"`

	// ceremony carries what a genesis ceremony needs to sign this validator's gentx.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="validator.ceremony is immutable"
	Ceremony *CeremonySpec `json:"ceremony,omitempty"`

	// signingStateFloor is the lowest height the validator may sign at. seid-init raises the signing
	// state (priv_validator_state.json) to it when the state on the data volume is missing or lower, so
	// a key that starts on a new volume never signs a height it may already have signed elsewhere. The
	// hub sets it from the highest block it saw when it places a validator anew; it never decreases.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=9007199254740991
	SigningStateFloor int64 `json:"signingStateFloor,omitempty"`
}

// ValidatorIdentity is either minted by the agent in its cluster or read from existing Secrets there.
// +kubebuilder:validation:XValidation:rule="(has(self.mint) && self.mint) != has(self.signingKeySecret)",message="validator.identity needs exactly one of mint: true or signingKeySecret"
// +kubebuilder:validation:XValidation:rule="has(self.signingKeySecret) == has(self.nodeKeySecret)",message="validator.identity.signingKeySecret and nodeKeySecret go together"
// +kubebuilder:validation:XValidation:rule="!has(self.operatorKeySecret) || has(self.signingKeySecret)",message="validator.identity.operatorKeySecret needs signingKeySecret (minted identities mint their operator key too)"
type ValidatorIdentity struct {
	// mint makes the agent create the consensus, node and operator keys as Secrets in its cluster if
	// they are absent. Existing keys are never overwritten.
	// +optional
	Mint bool `json:"mint,omitempty"`

	// signingKeySecret holds priv_validator_key.json.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SigningKeySecret string `json:"signingKeySecret,omitempty"`

	// nodeKeySecret holds node_key.json.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	NodeKeySecret string `json:"nodeKeySecret,omitempty"`

	// operatorKeySecret holds the operator key's BIP-39 mnemonic (key "mnemonic"); it signs the gentx.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	OperatorKeySecret string `json:"operatorKeySecret,omitempty"`
}

// CeremonySpec is what a validator's gentx says.
type CeremonySpec struct {
	// moniker is the validator's public name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=70
	Moniker string `json:"moniker"`

	// stakingAmount is the self-delegation, e.g. 10000000usei.
	// +kubebuilder:validation:MaxLength=158
	// +kubebuilder:validation:Pattern=`^[0-9]{1,30}[a-z][a-z0-9/]{2,127}$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^0+[a-z]')",message="validator.ceremony.stakingAmount must be positive"
	StakingAmount string `json:"stakingAmount"`

	// accountBalance is the operator account's genesis balance, e.g. 1000000000000usei.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^[0-9]{1,30}[a-z][a-z0-9/]{2,127}(,[0-9]{1,30}[a-z][a-z0-9/]{2,127})*$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('(^|,)0+[a-z]')",message="validator.ceremony.accountBalance amounts must be positive"
	AccountBalance string `json:"accountBalance"`
}

// NodePhase is where a node stands.
// +kubebuilder:validation:Enum=Pending;Initializing;Running;Failed;Terminating;Unknown
type NodePhase string

const (
	NodePending      NodePhase = "Pending"
	NodeInitializing NodePhase = "Initializing"
	NodeRunning      NodePhase = "Running"
	NodeFailed       NodePhase = "Failed"
	NodeTerminating  NodePhase = "Terminating"
	// NodeUnknown is set by the hub on its record, never by an agent: the hub cannot read the member
	// copy now (its cluster is not engaged, its API does not answer, or a request to it failed), so it
	// does not know the node's phase. The rest of the status is the last the member reported; the Ready
	// condition is Unknown and says since when and what the phase last was (as a Pod's phase is Unknown
	// when its node cannot be reached).
	NodeUnknown NodePhase = "Unknown"
)

// SeiNodeStatus is written by the agent on the member copy and copied to the hub record by the hub.
type SeiNodeStatus struct {
	// observedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// phase of the node.
	// +optional
	Phase NodePhase `json:"phase,omitempty"`

	// phaseTransitionTime is when the phase last changed.
	// +optional
	PhaseTransitionTime *metav1.Time `json:"phaseTransitionTime,omitempty"`

	// mode is the node's mode, for display.
	// +optional
	Mode NodeMode `json:"mode,omitempty"`

	// plan is the plan in progress, if any.
	// +optional
	Plan *TaskPlan `json:"plan,omitempty"`

	// currentImage is the seid image the node runs.
	// +optional
	CurrentImage string `json:"currentImage,omitempty"`

	// nodeID is the node's P2P ID.
	// +optional
	NodeID string `json:"nodeID,omitempty"`

	// p2pAddress (host:port) is where peers reach the node.
	// +optional
	P2PAddress string `json:"p2pAddress,omitempty"`

	// rpcAddress (host:port) is where nodes in other clusters reach the node's Tendermint RPC, for a
	// node that serves state sync (spec.serveStateSync).
	// +optional
	RPCAddress string `json:"rpcAddress,omitempty"`

	// consensusPubKey is the validator's consensus public key (base64 ed25519).
	// +optional
	ConsensusPubKey string `json:"consensusPubKey,omitempty"`

	// operatorAddress is the validator's operator address (seivaloper1...).
	// +optional
	OperatorAddress string `json:"operatorAddress,omitempty"`

	// gentx is the validator's signed genesis transaction (public JSON).
	// +optional
	Gentx string `json:"gentx,omitempty"`

	// genesisSHA256 is the sha256 of the genesis the node actually uses.
	// +optional
	GenesisSHA256 string `json:"genesisSHA256,omitempty"`

	// height is the latest block height the node reported.
	// +optional
	Height int64 `json:"height,omitempty"`

	// haltedAt is the spec.haltHeight the node reached: its seid committed that block and stopped,
	// and its start gate is closed. 0 once seid runs again.
	// +optional
	HaltedAt int64 `json:"haltedAt,omitempty"`

	// conditions of the node.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// SeiNode is a Sei node: the hub's fleet record and the member copy an agent runs.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=snode,categories=sei
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.clusterName`
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.status.mode`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.status.currentImage`
// +kubebuilder:printcolumn:name="Height",type=integer,JSONPath=`.status.height`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Chain",type=string,JSONPath=`.spec.chainId`,priority=1
// +kubebuilder:printcolumn:name="Node ID",type=string,JSONPath=`.status.nodeID`,priority=1
type SeiNode struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SeiNodeSpec   `json:"spec"`
	Status SeiNodeStatus `json:"status,omitempty"`
}

// SeiNodeList is a list of SeiNodes.
// +kubebuilder:object:root=true
type SeiNodeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SeiNode `json:"items"`
}

// Mode returns the node's mode from its spec.
func (s *SeiNodeSpec) Mode() NodeMode {
	switch {
	case s.Validator != nil:
		return ModeValidator
	case s.Archive != nil:
		return ModeArchive
	case s.Seed != nil:
		return ModeSeed
	default:
		return ModeFull
	}
}
