package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// NodeRole is the role of every node of a SeiNodeDeployment.
// +kubebuilder:validation:Enum=Validator;FullNode;Archive;Seed
type NodeRole string

const (
	RoleValidator NodeRole = "Validator"
	RoleFullNode  NodeRole = "FullNode"
	RoleArchive   NodeRole = "Archive"
	RoleSeed      NodeRole = "Seed"
)

// Mode is the mode of the nodes of role r: what the sidecar resolves their config for.
func (r NodeRole) Mode() NodeMode {
	switch r {
	case RoleValidator:
		return ModeValidator
	case RoleArchive:
		return ModeArchive
	case RoleSeed:
		return ModeSeed
	default:
		return ModeFull
	}
}

// DeletionPolicy says what happens to member copies when their hub record goes.
// +kubebuilder:validation:Enum=Retain;Delete
type DeletionPolicy string

const (
	// DeletionRetain orphans the member copies: nodes and their data keep running until removed by hand.
	DeletionRetain DeletionPolicy = "Retain"
	// DeletionDelete removes the member copies, and with them the nodes.
	DeletionDelete DeletionPolicy = "Delete"
)

// SeiNodeDeploymentSpec is a set of identical Sei nodes placed across member clusters.
//
// +kubebuilder:validation:XValidation:rule="self.role != 'Validator' || has(self.genesis)",message="spec.genesis is required when spec.role is Validator: validators come from a genesis ceremony"
// +kubebuilder:validation:XValidation:rule="!has(self.genesis) || self.role == 'Validator'",message="spec.genesis is only allowed when spec.role is Validator"
// +kubebuilder:validation:XValidation:rule="!has(self.joins) || self.role != 'Validator'",message="spec.joins is only allowed for non-validator roles"
// +kubebuilder:validation:XValidation:rule="!has(self.genesis) || self.replicas >= 1",message="spec.replicas must be at least 1 for a genesis ceremony"
// +kubebuilder:validation:XValidation:rule="!has(self.genesis) || (self.replicas + (has(self.genesis.externalGentxs) ? size(self.genesis.externalGentxs) : 0)) <= 100",message="a genesis ceremony takes at most 100 validators (spec.replicas plus spec.genesis.externalGentxs)"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.genesis) || (has(self.genesis) && self.genesis == oldSelf.genesis)",message="spec.genesis is immutable once set"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.genesis) || self.replicas == oldSelf.replicas",message="spec.replicas is immutable for a genesis deployment: the validator set is fixed at genesis"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.joins) || (has(self.joins) && self.joins == oldSelf.joins)",message="spec.joins is immutable once set"
// +kubebuilder:validation:XValidation:rule="!has(self.bootstrap) || self.role == 'FullNode'",message="spec.bootstrap is only allowed when spec.role is FullNode"
// +kubebuilder:validation:XValidation:rule="!has(self.bootstrap) || !has(self.template) || !has(self.template.overrides) || !self.template.overrides.exists(k, k.startsWith('state_sync.'))",message="spec.template.overrides must not set state_sync.* keys when spec.bootstrap configures state sync"
// +kubebuilder:validation:XValidation:rule="!has(self.bootstrap) || has(self.joins) || (has(self.bootstrap.stateSync) && has(self.bootstrap.stateSync.rpcServers)) || (has(self.bootstrap.snapshot) && has(self.bootstrap.snapshot.rpcServers))",message="spec.bootstrap needs rpcServers unless spec.joins names a deployment whose nodes serve state sync"
// +kubebuilder:validation:XValidation:rule="!has(self.upgrade) || !has(self.joins)",message="spec.upgrade is not allowed with spec.joins: a joining deployment follows the upgrade of the deployment it joins"
// +kubebuilder:validation:XValidation:rule="!has(self.upgrade) || self.upgrade.image != self.image",message="spec.upgrade.image must differ from spec.image"
// +kubebuilder:validation:XValidation:rule="!has(self.upgrade) || self.image == oldSelf.image",message="spec.image cannot change while spec.upgrade is set: the new image runs only from spec.upgrade.height on (remove spec.upgrade in the same edit once the upgrade is complete)"
// +kubebuilder:validation:XValidation:rule="!has(self.upgrade) || !has(oldSelf.upgrade) || self.upgrade == oldSelf.upgrade",message="spec.upgrade is immutable once set: remove it to cancel, then declare another"
type SeiNodeDeploymentSpec struct {
	// chainId of the network: a DNS-1123 label of at most 50 characters (Tendermint's limit).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=50
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="chainId is immutable"
	ChainID string `json:"chainId"`

	// image is the seid container image every node runs. Changing it rolls the nodes out by topology
	// domain under updateStrategy.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="!self.contains(' ')",message="image must not contain spaces"
	Image string `json:"image"`

	// replicas is the number of nodes.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=200
	Replicas int32 `json:"replicas"`

	// role of every node.
	// +optional
	// +kubebuilder:default=FullNode
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="role is immutable"
	Role NodeRole `json:"role"`

	// template holds per-node settings stamped onto every node.
	// +optional
	Template NodeSettings `json:"template,omitempty"`

	// genesis runs a genesis ceremony for a new network whose validators are this deployment's nodes.
	// +optional
	Genesis *GenesisCeremonySpec `json:"genesis,omitempty"`

	// joins makes these nodes join the network another deployment (in this namespace) created: same
	// chain, its genesis and its peers.
	// +optional
	Joins *JoinSpec `json:"joins,omitempty"`

	// bootstrap says how full nodes get the chain's state on their first start (state sync or a
	// snapshot) instead of replaying every block. Each node keeps the bootstrap it was created with.
	// +optional
	Bootstrap *BootstrapSpec `json:"bootstrap,omitempty"`

	// placement says which SeiPlacementPolicy places the nodes.
	Placement PlacementSpec `json:"placement"`

	// updateStrategy paces rollouts of image and template changes.
	// +optional
	// +kubebuilder:default={}
	UpdateStrategy UpdateStrategy `json:"updateStrategy,omitempty"`

	// deletionPolicy says what happens to the nodes when the deployment is deleted or scaled down.
	// +optional
	// +kubebuilder:default=Retain
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// paused stops the hub from changing anything about the deployment, and pauses its nodes.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// upgrade switches every node (and those of the deployments that join this one) to a new image
	// at a block height: each node's seid commits upgrade.height on its current image and stops, and
	// only when every node has stopped there does the hub move them all to upgrade.image, which
	// continues from upgrade.height+1. Removing it before the switch cancels the upgrade.
	// +optional
	Upgrade *UpgradeSpec `json:"upgrade,omitempty"`
}

// UpgradeSpec is a network upgrade at a height.
type UpgradeSpec struct {
	// name identifies the upgrade: the name of the software-upgrade plan when the chain has one.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=140
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][A-Za-z0-9._-]*$`
	Name string `json:"name"`

	// height is the last block the current image commits: seid's halt-height. The new image starts
	// from the state after this block.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9007199254740991
	Height int64 `json:"height"`

	// image is the seid container image the nodes run after height.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="!self.contains(' ')",message="upgrade.image must not contain spaces"
	Image string `json:"image"`
}

// UpgradePhase is where a network upgrade stands.
// +kubebuilder:validation:Enum=Scheduled;Switching;Complete;Failed
type UpgradePhase string

const (
	// UpgradeScheduled: the halt height is being set on every node, or set and the chain is below it.
	UpgradeScheduled UpgradePhase = "Scheduled"
	// UpgradeSwitching: every node stopped at the height; the records run the new image.
	UpgradeSwitching UpgradePhase = "Switching"
	// UpgradeComplete: every node runs the new image and is ready.
	UpgradeComplete UpgradePhase = "Complete"
	// UpgradeFailed: a node went past the height on the old image (its halt height was not in place
	// in time); nothing is switched. Removing spec.upgrade lets the nodes continue on the old image.
	UpgradeFailed UpgradePhase = "Failed"
)

// UpgradeStatus is the hub's record of the upgrade it runs. It is written with the plan that acts on
// it, before any record changes, and it, not spec.upgrade, drives the records.
type UpgradeStatus struct {
	Name string `json:"name"`
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9007199254740991
	Height int64  `json:"height"`
	Image  string `json:"image"`
	// fromImage is spec.image when the upgrade was scheduled; the records keep upgrade.image after
	// the upgrade until spec.image changes from this.
	FromImage string       `json:"fromImage"`
	Phase     UpgradePhase `json:"phase"`
	// halted are the nodes that stopped at height on the old image.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=200
	Halted []string `json:"halted,omitempty"`
	// upgraded are the nodes that run image and are ready.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=200
	Upgraded []string `json:"upgraded,omitempty"`
}

// GenesisCeremonySpec creates a new network.
type GenesisCeremonySpec struct {
	// stakingAmount is each validator's self-delegation: a positive amount and a denom of 3-128
	// characters (the Cosmos SDK's denom rule, lower case).
	// +optional
	// +kubebuilder:default="10000000usei"
	// +kubebuilder:validation:MaxLength=158
	// +kubebuilder:validation:Pattern=`^[0-9]{1,30}[a-z][a-z0-9/]{2,127}$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('^0+[a-z]')",message="genesis.stakingAmount must be positive"
	StakingAmount string `json:"stakingAmount,omitempty"`

	// accountBalance is each validator's operator account balance at genesis.
	// +optional
	// +kubebuilder:default="1000000000000usei"
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^[0-9]{1,30}[a-z][a-z0-9/]{2,127}(,[0-9]{1,30}[a-z][a-z0-9/]{2,127})*$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('(^|,)0+[a-z]')",message="genesis.accountBalance amounts must be positive"
	AccountBalance string `json:"accountBalance,omitempty"`

	// accounts are extra genesis accounts.
	// +optional
	// +listType=map
	// +listMapKey=address
	// +kubebuilder:validation:MaxItems=1000
	Accounts []GenesisAccount `json:"accounts,omitempty"`

	// externalGentxs are signed gentxs of validators that run outside this fleet; they are included in
	// the genesis, and their accounts are funded with accountBalance (plus any balance accounts lists for
	// them).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	ExternalGentxs []ExternalGentx `json:"externalGentxs,omitempty"`

	// overrides set genesis values by dotted path; each value is JSON text, e.g.
	// "app_state.staking.params.unbonding_time": "\"60s\"" or "app_state.staking.params.max_validators": "50".
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^(app_state|consensus_params)([.][a-z0-9_]+)+$'))",message="genesis.overrides keys must be dotted paths under app_state or consensus_params, e.g. app_state.staking.params.unbonding_time"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !(k in ['app_state.auth', 'app_state.auth.accounts', 'app_state.bank', 'app_state.bank.balances', 'app_state.bank.supply', 'app_state.genutil', 'app_state.genutil.gen_txs']))",message="genesis.overrides must not set app_state.auth.accounts, app_state.bank.balances, app_state.bank.supply, app_state.genutil.gen_txs or a parent of them: assembly fills them from accounts and gentxs"
	Overrides map[string]GenesisOverrideValue `json:"overrides,omitempty"`

	// startDelay sets genesis_time to assembly time plus this delay, so every validator starts together.
	// +optional
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]*)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) <= duration('24h')",message="genesis.startDelay must be a duration from 0s to 24h, such as 30s or 5m"
	StartDelay metav1.Duration `json:"startDelay,omitempty"`

	// deadline bounds how long the hub waits for every validator's gentx before the ceremony fails.
	// +optional
	// +kubebuilder:default="30m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]*)?(ns|us|µs|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m') && duration(self) <= duration('168h')",message="genesis.deadline must be a duration from 1m to 168h, such as 30m or 2h"
	Deadline metav1.Duration `json:"deadline,omitempty"`
}

// GenesisOverrideValue is a genesis value as JSON text.
// +kubebuilder:validation:MaxLength=1024
// +kubebuilder:validation:XValidation:rule="self.matches('^(-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?|true|false|null|\"[^\"]*\"|[{].*[}]|[[].*[]])$')",message="genesis.overrides values must be JSON: a number, true, false, null, a quoted string, an object or an array"
type GenesisOverrideValue string

// GenesisAccount is an extra genesis account.
type GenesisAccount struct {
	// address is a sei1... bech32 account address of 20 bytes (a key's) or 32 (a module's or a
	// contract's). Its checksum is checked before anything is placed.
	// +kubebuilder:validation:Pattern=`^sei1([02-9ac-hj-np-z]{38}|[02-9ac-hj-np-z]{58})$`
	Address string `json:"address"`

	// balance such as 1000000usei or 10usei,5uatom.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[0-9]{1,30}[a-z][a-z0-9/]{2,127}(,[0-9]{1,30}[a-z][a-z0-9/]{2,127})*$`
	// +kubebuilder:validation:XValidation:rule="!self.matches('(^|,)0+[a-z]')",message="genesis.accounts[].balance amounts must be positive"
	Balance string `json:"balance"`
}

// ExternalGentx is a gentx signed outside the fleet.
type ExternalGentx struct {
	// name identifies the validator in status.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// gentx is the signed gentx JSON as seid gentx writes it.
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=16384
	// +kubebuilder:validation:XValidation:rule="self.startsWith('{')",message="externalGentxs[].gentx must be the gentx JSON object"
	Gentx string `json:"gentx"`
}

// JoinSpec names the deployment whose network these nodes join.
type JoinSpec struct {
	// deployment is a SeiNodeDeployment in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Deployment string `json:"deployment"`
}

// PlacementSpec selects the policy that places the nodes.
type PlacementSpec struct {
	// policyName is a SeiPlacementPolicy that allows this deployment's namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	PolicyName string `json:"policyName"`

	// clusterSelector narrows the policy's clusters further.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, e.operator in ['In', 'NotIn', 'Exists', 'DoesNotExist'])",message="placement.clusterSelector.matchExpressions[].operator must be In, NotIn, Exists or DoesNotExist"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, (e.operator in ['In', 'NotIn']) == (has(e.values) && size(e.values) > 0))",message="placement.clusterSelector.matchExpressions[].values must be non-empty for In and NotIn and empty for Exists and DoesNotExist"
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`
}

// UpdateStrategy paces rollouts.
type UpdateStrategy struct {
	// maxUnavailable is how many nodes (or what percentage) may be updating at once. For validators the
	// hub additionally never takes 1/3 or more of the voting power down at once.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 1 && self <= 200 : self.matches('^([1-9][0-9]?|100)%$')",message="updateStrategy.maxUnavailable must be an integer from 1 to 200 (the most replicas a deployment has) or a percentage from 1% to 100%"
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// byTopology rolls one topology domain at a time.
	// +optional
	// +kubebuilder:default=true
	ByTopology *bool `json:"byTopology,omitempty"`
}

// DeploymentPhase is where a deployment stands.
// +kubebuilder:validation:Enum=Pending;Placing;Ceremony;Initializing;Ready;Updating;Degraded;Failed;Terminating
type DeploymentPhase string

const (
	DeploymentPending      DeploymentPhase = "Pending"
	DeploymentPlacing      DeploymentPhase = "Placing"
	DeploymentCeremony     DeploymentPhase = "Ceremony"
	DeploymentInitializing DeploymentPhase = "Initializing"
	DeploymentReady        DeploymentPhase = "Ready"
	DeploymentUpdating     DeploymentPhase = "Updating"
	DeploymentDegraded     DeploymentPhase = "Degraded"
	DeploymentFailed       DeploymentPhase = "Failed"
	DeploymentTerminating  DeploymentPhase = "Terminating"
)

// NodeRow summarises one node of a deployment.
type NodeRow struct {
	Name string `json:"name"`
	// +optional
	Cluster string `json:"cluster,omitempty"`
	// +optional
	Domain string `json:"domain,omitempty"`
	// +optional
	Phase NodePhase `json:"phase,omitempty"`
	// +optional
	Image string `json:"image,omitempty"`
	// +optional
	NodeID string `json:"nodeID,omitempty"`
	// +optional
	Height int64 `json:"height,omitempty"`
}

// ValidatorPlacement is what the hub remembers about one validator ordinal. The place plan writes it,
// in the same status write as the plan, before the record is written; it changes cluster only when the
// scheduler moves the validator after a confirmed fence, and it is dropped only when the ordinal is
// scaled away and its record is gone, or with the deployment.
type ValidatorPlacement struct {
	// ordinal of the validator in the deployment (record <deployment>-<ordinal>).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=199
	Ordinal int32 `json:"ordinal"`
	// cluster is the member cluster that runs, or last ran, this validator: the only cluster where a
	// copy of it may exist.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Cluster string `json:"cluster"`
	// memberCopyUID is the UID of the member copy on cluster the hub last saw (the record's
	// sei.io/member-copy-uid).
	// +optional
	// +kubebuilder:validation:MaxLength=128
	MemberCopyUID string `json:"memberCopyUID,omitempty"`
	// fenced: cluster confirmed that its copy is gone (the record's sei.io/fenced-cluster named it).
	// +optional
	Fenced bool `json:"fenced,omitempty"`
	// signingStateFloor is the highest spec.validator.signingStateFloor the hub wrote for this
	// ordinal; a record written again never gets a lower one.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=9007199254740991
	SigningStateFloor int64 `json:"signingStateFloor,omitempty"`
	// height is the highest block height the hub saw this validator report.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=9007199254740991
	Height int64 `json:"height,omitempty"`
	// nodeID is the validator's node ID (public), so that a record written again keeps the peers it had.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	NodeID string `json:"nodeID,omitempty"`
}

// GenesisStatus records the genesis a ceremony produced. Once sha256 is set it never changes.
type GenesisStatus struct {
	SHA256 string `json:"sha256"`
	// configMapName on the hub and on every member that hosts a node.
	ConfigMapName string      `json:"configMapName"`
	GenesisTime   metav1.Time `json:"genesisTime"`
	Validators    int32       `json:"validators"`
}

// SeiNodeDeploymentStatus is written by the hub.
type SeiNodeDeploymentStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +optional
	Phase DeploymentPhase `json:"phase,omitempty"`
	// replicas is the number of nodes that exist.
	// +optional
	Replicas int32 `json:"replicas"`
	// readyReplicas is the number of nodes Running.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas"`
	// updatedReplicas is the number of nodes running spec.image.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas"`
	// nodes, one row per node.
	// +optional
	// +listType=map
	// +listMapKey=name
	Nodes []NodeRow `json:"nodes,omitempty"`
	// genesis records the ceremony's result.
	// +optional
	Genesis *GenesisStatus `json:"genesis,omitempty"`
	// upgrade is the network upgrade the hub runs or last ran.
	// +optional
	Upgrade *UpgradeStatus `json:"upgrade,omitempty"`
	// validatorPlacements is the hub's memory of where each validator ordinal runs, kept apart from
	// the records so that it survives them: a validator whose record is deleted is placed again only on
	// the cluster named here, unless that cluster confirmed its copy gone. Validators only.
	// +optional
	// +listType=map
	// +listMapKey=ordinal
	// +kubebuilder:validation:MaxItems=200
	ValidatorPlacements []ValidatorPlacement `json:"validatorPlacements,omitempty"`
	// plan is the plan in progress, if any.
	// +optional
	Plan *TaskPlan `json:"plan,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// SeiNodeDeployment places a set of Sei nodes across member clusters.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=snd,categories=sei
// +kubebuilder:validation:XValidation:rule="!has(self.spec.joins) || self.spec.joins.deployment != self.metadata.name",message="spec.joins.deployment names this deployment: a deployment cannot join the network it creates"
// +kubebuilder:printcolumn:name="Chain",type=string,JSONPath=`.spec.chainId`
// +kubebuilder:printcolumn:name="Role",type=string,JSONPath=`.spec.role`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Updated",type=integer,JSONPath=`.status.updatedReplicas`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.spec.image`,priority=1
// +kubebuilder:printcolumn:name="Genesis",type=string,JSONPath=`.status.genesis.sha256`,priority=1
type SeiNodeDeployment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SeiNodeDeploymentSpec   `json:"spec"`
	Status SeiNodeDeploymentStatus `json:"status,omitempty"`
}

// SeiNodeDeploymentList is a list of SeiNodeDeployments.
// +kubebuilder:object:root=true
type SeiNodeDeploymentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SeiNodeDeployment `json:"items"`
}
