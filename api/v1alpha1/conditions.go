package v1alpha1

// SeiNode condition types. The agent owns them on the member copy; the hub copies them up unchanged.
const (
	// NodeReady is True when the node is Running and its sidecar reports ready.
	NodeReady = "Ready"
	// NodeInitialized is True once the init plan completed.
	NodeInitialized = "Initialized"
	// NodeUpdateInProgress is True while a node-update plan rolls a new image.
	NodeUpdateInProgress = "NodeUpdateInProgress"
	// NodePlanFailed is True when the last plan failed; its message names the task and its error.
	NodePlanFailed = "PlanFailed"
	// NodeIdentityReady is True once the node's keys exist in its cluster.
	NodeIdentityReady = "IdentityReady"
	// NodeGenesisVerified is True once the genesis ConfigMap matched spec.genesis.sha256.
	NodeGenesisVerified = "GenesisVerified"
	// NodePaused is True while spec.paused is set.
	NodePaused = "Paused"
	// NodeConfigValid is False when spec.overrides would not resolve in the sidecar: the agent starts
	// no plan for the node until the spec changes.
	NodeConfigValid = "ConfigValid"
	// NodeMemberSynced is owned by the hub on its record: True when the member copy matches and its
	// status was copied up recently.
	NodeMemberSynced = "MemberSynced"
	// NodeCaughtUp is True while seid reports it is not catching up (RPC /status
	// sync_info.catching_up false) and the agent has seen its height advance since the pod started,
	// and in the last stall window (agent --stall-after). False while it catches up (block sync, state
	// sync or a snapshot restore under way), before the first advance, or once the height stands
	// still; its message gives the node's height. Ready waits for it. Unknown when the agent reads no
	// heights (--height-interval=0).
	NodeCaughtUp = "CaughtUp"
	// NodeHalted is True once a node with spec.haltHeight reached that height: its seid committed the
	// block and stopped, and its start gate stays closed until the agent releases it again.
	NodeHalted = "Halted"
)

// SeiNodeDeployment condition types, owned by the hub.
const (
	DeploymentPlaced                  = "Placed"
	DeploymentGenesisCeremonyComplete = "GenesisCeremonyComplete"
	DeploymentNodesReady              = "NodesReady"
	DeploymentRolloutInProgress       = "RolloutInProgress"
	DeploymentPaused                  = "Paused"
	DeploymentReadyCondition          = "Ready"
	DeploymentDeletionBlocked         = "DeletionBlocked"
	// DeploymentUpgradeInProgress is True while a network upgrade at a height runs; its reason says
	// how far it is, or why it was refused or failed.
	DeploymentUpgradeInProgress = "UpgradeInProgress"
)

// SeiPlacementPolicy condition types.
const (
	// PolicyClustersAvailable is True when at least one selected cluster is healthy.
	PolicyClustersAvailable = "ClustersAvailable"
)

// Condition reasons shared across kinds. Reasons are stable API: tooling may match on them.
const (
	ReasonPending    = "Pending"
	ReasonInProgress = "InProgress"
	ReasonSucceeded  = "Succeeded"
	ReasonFailed     = "Failed"
	ReasonPaused     = "Paused"
	ReasonNotPaused  = "NotPaused"

	// Node reasons.
	ReasonCaughtUp   = "CaughtUp"
	ReasonCatchingUp = "CatchingUp"
	// ReasonHeightStalled: the node's height has not advanced (or its RPC has not answered) for the
	// agent's stall window: a halted chain, a stuck or cut-off node.
	ReasonHeightStalled = "HeightStalled"
	// ReasonWaitingForBlocks: seid answers, not catching up, but no advance of its height has been
	// seen since its pod started.
	ReasonWaitingForBlocks = "WaitingForBlocks"
	// ReasonNotObserved: the agent does not read block heights (--height-interval=0).
	ReasonNotObserved       = "NotObserved"
	ReasonRunning           = "Running"
	ReasonNotRunning        = "NotRunning"
	ReasonTaskFailed        = "TaskFailed"
	ReasonNoFailure         = "NoFailure"
	ReasonKeysFound         = "KeysFound"
	ReasonWaitingForGenesis = "WaitingForGenesis"
	ReasonGenesisMatches    = "GenesisMatches"
	// ReasonGenesisMismatch: the genesis ConfigMap no longer hashes to spec.genesis.sha256, or the
	// pod's seid-init refused it; the pod does not start on it.
	ReasonGenesisMismatch = "GenesisMismatch"
	// ReasonPodFailing: a container of the node's pod failed and is not running again.
	ReasonPodFailing        = "PodFailing"
	ReasonImageRolling      = "ImageRolling"
	ReasonUpToDate          = "UpToDate"
	ReasonMemberUnreachable = "MemberUnreachable"
	ReasonMemberReleasing   = "Releasing"
	ReasonMemberInSync      = "InSync"
	ReasonAgentPending      = "AgentPending"
	// ReasonNotWherePlaced: a validator record names a cluster other than the one its deployment
	// placed the validator on (status.validatorPlacements); the mirror creates nothing there.
	ReasonNotWherePlaced = "NotWherePlaced"
	ReasonWrongCluster   = "WrongCluster"
	ReasonOverridesValid = "OverridesValid"
	// ReasonHaltHeightReached / ReasonHaltArmed / ReasonNoHaltHeight: the node's Halted condition.
	ReasonHaltHeightReached = "HaltHeightReached"
	ReasonHaltArmed         = "HaltArmed"
	ReasonNoHaltHeight      = "NoHaltHeight"
	// ReasonKeySecretInUse: a validator names a key Secret that an older SeiNode in its namespace
	// also names. The older node keeps it; this one runs no pod.
	ReasonKeySecretInUse = "KeySecretInUse"
	// ReasonKeySecretOfAnotherDeployment: a key Secret the agent minted carries another
	// sei.io/deployment-uid than the validator's: a deployment recreated under the same name never
	// inherits the old one's keys.
	ReasonKeySecretOfAnotherDeployment = "KeySecretOfAnotherDeployment"
	// ReasonFenceUnconfirmed: a deleted node's pod is gone from the API, but the kubelet of the
	// Kubernetes Node it ran on has not confirmed its containers stopped; the agent keeps its
	// finalizer until it does or an admin confirms.
	ReasonFenceUnconfirmed = "FenceUnconfirmed"
	// ReasonInvalidOverrides: a node's (or a deployment template's) overrides name a key the sidecar
	// does not accept, a key the fleet sets itself, or a value sei-config refuses. Both kinds use it.
	ReasonInvalidOverrides = "InvalidOverrides"

	// Deployment reasons.
	ReasonPlaced              = "Placed"
	ReasonPolicyNotFound      = "PolicyNotFound"
	ReasonNamespaceNotAllowed = "NamespaceNotAllowed"
	ReasonNoEligibleClusters  = "NoEligibleClusters"
	ReasonMaxNodesPerCluster  = "MaxNodesPerClusterExceeded"
	ReasonMaxSkew             = "MaxSkewExceeded"
	ReasonVotingPowerFraction = "VotingPowerFractionExceeded"
	ReasonClusterUnhealthy    = "ClusterUnhealthy"
	ReasonAwaitingFence       = "AwaitingFence"
	ReasonWaitingForGentxs    = "WaitingForGentxs"
	ReasonCeremonyDeadline    = "DeadlineExceeded"
	ReasonInvalidGentx        = "InvalidGentx"
	// ReasonInvalidGenesisInput: spec.genesis would be refused by assembly (an account address, a
	// balance, an external gentx, an override, the validator set). Checked before anything is placed:
	// no record is written and no key minted, and the message is assembly's own.
	ReasonInvalidGenesisInput = "InvalidGenesisInput"
	ReasonGenesisDistributed  = "GenesisDistributed"
	ReasonCeremonyComplete    = "Complete"
	ReasonNotRequired         = "NotRequired"
	ReasonNodesNotReady       = "NodesNotReady"
	ReasonAllNodesReady       = "AllNodesReady"
	ReasonRollingOut          = "RollingOut"
	ReasonRolloutStalled      = "RolloutStalled"
	ReasonJoinTargetNotReady  = "JoinTargetNotReady"
	// Network upgrade reasons (UpgradeInProgress).
	ReasonNoUpgrade = "NoUpgrade"
	// ReasonUpgradeHeightTooClose: spec.upgrade.height is not far enough above the highest height a
	// node reported to set the halt height on every node first; nothing was scheduled.
	ReasonUpgradeHeightTooClose = "UpgradeHeightTooClose"
	ReasonUpgradeScheduled      = "UpgradeScheduled"
	ReasonUpgradeSwitching      = "UpgradeSwitching"
	ReasonUpgradeComplete       = "UpgradeComplete"
	// ReasonUpgradeMissed: a node reported a height above spec.upgrade.height on the old image.
	ReasonUpgradeMissed = "UpgradeMissed"
	// ReasonUpgradeCancelled: spec.upgrade was removed before the switch; the halt heights are cleared.
	ReasonUpgradeCancelled = "UpgradeCancelled"
	// ReasonUpgradeCancelRefused: spec.upgrade was removed after the records moved to the new image;
	// the hub finishes the upgrade.
	ReasonUpgradeCancelRefused = "UpgradeCancelRefused"
	// ReasonMembersUnreachable: on NodesReady (and so Ready), some nodes are on member clusters the hub
	// cannot read; the message names each cluster and since when. On DeletionBlocked, the nodes whose
	// members cannot be reached.
	ReasonMembersUnreachable = "MembersUnreachable"

	// Policy reasons.
	ReasonHealthyClusters   = "HealthyClusters"
	ReasonNoHealthyClusters = "NoHealthyClusters"
)
