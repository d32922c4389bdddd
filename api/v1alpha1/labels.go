package v1alpha1

// Labels on every object the fleet creates, on the hub and on members.
const (
	// LabelDeployment names the SeiNodeDeployment a node belongs to.
	LabelDeployment = "sei.io/deployment"
	// LabelNode names the SeiNode an object belongs to.
	LabelNode = "sei.io/node"
	// LabelChain carries the chain ID.
	LabelChain = "sei.io/chain"
	// LabelRole carries the node's mode: validator, full, archive or seed.
	LabelRole = "sei.io/role"
	// LabelCluster names the member cluster a node is placed on.
	LabelCluster = "sei.io/cluster"
	// LabelOrdinal carries a node's ordinal within its deployment.
	LabelOrdinal = "sei.io/ordinal"
	// LabelDeploymentUID carries the UID of the SeiNodeDeployment a genesis ConfigMap belongs to: a
	// deployment recreated under the same name is a different network.
	LabelDeploymentUID = "sei.io/deployment-uid"
	// LabelPolicy names the SeiPlacementPolicy a hub SeiNode record was placed under.
	LabelPolicy = "sei.io/policy"
	// LabelComponent says what part of a node an object is (data, p2p, genesis, signing-key, ...).
	LabelComponent = "sei.io/component"
	// ComponentGenesis is LabelComponent's value on a genesis ConfigMap, on the hub and on the members
	// (agents watch those).
	ComponentGenesis = "genesis"
)

// Field owners for server-side apply: every field a hub writes on a member is owned by FieldOwnerHub,
// every field an agent writes by FieldOwnerAgent, so neither side silently overwrites the other.
const (
	FieldOwnerHub   = "sei-hub"
	FieldOwnerAgent = "sei-agent"
)

// Finalizers.
const (
	// FinalizerDeployment holds a SeiNodeDeployment until its nodes are handled per its deletionPolicy.
	FinalizerDeployment = "sei.io/deployment"
	// FinalizerNodeRecord holds a hub SeiNode record until its member copy is handled.
	FinalizerNodeRecord = "sei.io/node-record"
)

// Annotations.
const (
	// AnnotationReleaseMember on a hub SeiNode record tells the hub to stop waiting for an unreachable
	// member cluster while the record is being deleted: the record goes, and the member copy is handled
	// by its deletion policy when the cluster comes back (Delete removes it, Retain orphans it). An
	// explicit, audited way for an admin to let go.
	AnnotationReleaseMember = "sei.io/release-unreachable-member"
	// AnnotationDeletionPolicy on a hub SeiNode record carries its deployment's deletionPolicy (Retain or
	// Delete) for the mirror to honour when the record goes.
	AnnotationDeletionPolicy = "sei.io/deletion-policy"
	// AnnotationTemplateHash on a hub SeiNode record identifies the deployment template it was written
	// from; a rollout moves records to the current one.
	AnnotationTemplateHash = "sei.io/template-hash"
	// AnnotationGenesisSHA256 on a genesis ConfigMap carries the sha256 (hex) of its genesis.json.
	AnnotationGenesisSHA256 = "sei.io/genesis-sha256"
	// AnnotationFencing on a hub SeiNode names the member cluster where the hub is fencing the node: the
	// mirror must not (re)create the member copy there while it is set.
	AnnotationFencing = "sei.io/fencing"
	// AnnotationFencedCluster on a hub SeiNode records a member cluster that confirmed the node's
	// removal, which is what allows a validator to move (see SeiPlacementPolicy failover).
	AnnotationFencedCluster = "sei.io/fenced-cluster"
	// AnnotationClusterIdentity on a ManagedCluster pins the member's identity, the UID of its
	// kube-system namespace, as the hub first saw it. The hub engages, places on, fences and sweeps a
	// member only while the cluster its kubeconfig reaches still has that UID: a swapped kubeconfig or a
	// cluster rebuilt under the same name is another cluster, and "not found" there proves nothing.
	AnnotationClusterIdentity = "sei.io/cluster-identity"
	// AnnotationHubID on a member copy names the hub that made it (the UID of the hub's kube-system
	// namespace). A hub sweeps only copies that carry its own ID.
	AnnotationHubID = "sei.io/hub-id"
	// AnnotationMemberCopyUID on a hub SeiNode record is the UID of the member copy the hub last saw on
	// spec.clusterName. A fence accepts "gone" only for that copy.
	AnnotationMemberCopyUID = "sei.io/member-copy-uid"
)

// Annotations the agent keeps on a member SeiNode for its fence: the pod object being gone from the API
// (a force delete, a deleted Node) does not prove its containers stopped.
const (
	// AnnotationPodNode names the Kubernetes Node the node's pod was last seen bound to: whose kubelet
	// must confirm the pod stopped before the agent releases a deleted SeiNode.
	AnnotationPodNode = "sei.io/pod-node"
	// AnnotationPodNodeUID is the UID of that Node, read when its name was recorded: a Node deleted and
	// registered again under the same name is another registration, and its kubelet's word is not the
	// proof the agent waits for.
	AnnotationPodNodeUID = "sei.io/pod-node-uid"
	// AnnotationPodGracePeriod is the longest termination grace period (seconds) of the node's pod seen
	// on that Node: how long its kubelet may take to stop the containers once it learns of the removal.
	AnnotationPodGracePeriod = "sei.io/pod-grace-period"
	// AnnotationFenceLeaseRenewTime is the renewTime of that Node's kubelet Lease (kube-node-lease)
	// when the agent first saw the deleted SeiNode's pod gone ("none" when there was no Lease).
	AnnotationFenceLeaseRenewTime = "sei.io/fence-lease-renew-time"
	// AnnotationFenceLeaseRenewedTime is the first renewTime of that Lease seen after it: the kubelet
	// was connected after the pod's removal. A renewal by the same kubelet at least the pod's grace
	// period and a margin after this one, with the Node Ready, is the proof the agent waits for; all
	// these times come from the kubelet's clock.
	AnnotationFenceLeaseRenewedTime = "sei.io/fence-lease-renewed-time"
	// AnnotationConfirmPodStopped, set by an admin on a deleted member SeiNode to the name of the
	// Kubernetes Node in AnnotationPodNode, confirms that the node's containers no longer run there (the
	// machine is off, or its kubelet's pods are known dead) when the kubelet cannot confirm it itself.
	AnnotationConfirmPodStopped = "sei.io/confirm-pod-stopped"
)

// The agent's heartbeat: a Lease the agent renews in its own namespace on its member cluster, naming
// its cluster in spec.holderIdentity. The hub reads it to judge the cluster's health.
const (
	// AgentHeartbeatLease is the Lease's name.
	AgentHeartbeatLease = "sei-fleet-agent-heartbeat"
	// DefaultSystemNamespace is where the hub keeps member kubeconfig Secrets and where agents run.
	DefaultSystemNamespace = "sei-fleet-system"
	// KubeconfigSecretSuffix: the hub reads member cluster NAME's kubeconfig from the Secret
	// NAME-kubeconfig (key "kubeconfig") in its own namespace.
	KubeconfigSecretSuffix = "-kubeconfig"
	// KubeconfigSecretKey is the key holding the kubeconfig in that Secret.
	KubeconfigSecretKey = "kubeconfig"
)
