package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ValidatorFailover says whether validators may move off an unhealthy cluster.
// +kubebuilder:validation:Enum=Manual;AfterFence
type ValidatorFailover string

const (
	// ValidatorFailoverManual never moves a validator automatically.
	ValidatorFailoverManual ValidatorFailover = "Manual"
	// ValidatorFailoverAfterFence moves a validator only after its old member cluster confirmed the node
	// is gone (positive fencing); an unreachable cluster is never proof.
	ValidatorFailoverAfterFence ValidatorFailover = "AfterFence"
)

// SeiPlacementPolicySpec is written by cluster admins: which member clusters may run which namespaces'
// nodes, and how nodes spread over them.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.namespaces) && has(self.namespaceSelector))",message="set at most one of spec.namespaces and spec.namespaceSelector"
type SeiPlacementPolicySpec struct {
	// clusterSelector selects ManagedClusters by label; unset selects every accepted cluster.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, e.operator in ['In', 'NotIn', 'Exists', 'DoesNotExist'])",message="clusterSelector.matchExpressions[].operator must be In, NotIn, Exists or DoesNotExist"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, (e.operator in ['In', 'NotIn']) == (has(e.values) && size(e.values) > 0))",message="clusterSelector.matchExpressions[].values must be non-empty for In and NotIn and empty for Exists and DoesNotExist"
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`

	// clusterSets restricts the clusters to members of these OCM ManagedClusterSets.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=253
	ClusterSets []string `json:"clusterSets,omitempty"`

	// namespaces whose deployments may use this policy. Unset (and no namespaceSelector) allows every
	// namespace.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:items:MaxLength=63
	Namespaces []string `json:"namespaces,omitempty"`

	// namespaceSelector selects by label the namespaces whose deployments may use this policy.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, e.operator in ['In', 'NotIn', 'Exists', 'DoesNotExist'])",message="namespaceSelector.matchExpressions[].operator must be In, NotIn, Exists or DoesNotExist"
	// +kubebuilder:validation:XValidation:rule="!has(self.matchExpressions) || self.matchExpressions.all(e, (e.operator in ['In', 'NotIn']) == (has(e.values) && size(e.values) > 0))",message="namespaceSelector.matchExpressions[].values must be non-empty for In and NotIn and empty for Exists and DoesNotExist"
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`

	// topologyKey is the ManagedCluster label whose values are topology domains, e.g. region.
	// +optional
	// +kubebuilder:default="region"
	// +kubebuilder:validation:MaxLength=316
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`
	TopologyKey string `json:"topologyKey,omitempty"`

	// maxSkew is the most the node counts of two topology domains may differ.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxSkew int32 `json:"maxSkew,omitempty"`

	// maxNodesPerCluster caps the nodes (of all deployments using this policy) on one cluster.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	MaxNodesPerCluster *int32 `json:"maxNodesPerCluster,omitempty"`

	// maxVotingPowerFraction: no topology domain may hold this fraction or more of a validator
	// deployment's voting power. A fraction "a/b" or a decimal in (0, 1]. The BFT default "1/3" means losing
	// any one domain never halts the chain; "1" turns the cap off (a single-region or single-validator
	// network).
	// +optional
	// +kubebuilder:default="1/3"
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{1,6}/[0-9]{1,6}$') ? (int(self.split('/')[0]) > 0 && int(self.split('/')[0]) <= int(self.split('/')[1])) : (self.matches('^(0?[.][0-9]{1,9}|1([.]0{1,9})?)$') && double(self) > 0.0 && double(self) <= 1.0)",message="maxVotingPowerFraction must be a fraction a/b or a decimal, greater than 0 and at most 1, e.g. 1/3 or 0.33"
	MaxVotingPowerFraction string `json:"maxVotingPowerFraction,omitempty"`

	// failover says when nodes move off an unhealthy cluster.
	// +optional
	// +kubebuilder:default={}
	Failover FailoverSpec `json:"failover,omitempty"`
}

// FailoverSpec says when nodes move off an unhealthy cluster.
type FailoverSpec struct {
	// fullNodes covers non-validator nodes.
	// +optional
	FullNodes FullNodeFailover `json:"fullNodes,omitempty"`

	// validators: Manual (default) never moves a validator; AfterFence moves it only once its old
	// cluster confirmed the node is gone.
	// +optional
	// +kubebuilder:default=Manual
	Validators ValidatorFailover `json:"validators,omitempty"`
}

// FullNodeFailover covers non-validator nodes.
type FullNodeFailover struct {
	// tolerationSeconds re-places non-validator nodes after their cluster has been unhealthy this long.
	// Unset, they never move.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=604800
	TolerationSeconds *int64 `json:"tolerationSeconds,omitempty"`
}

// ClusterHealth is the hub's view of one eligible cluster.
type ClusterHealth struct {
	Name string `json:"name"`
	// domain is the cluster's value of the policy's topology key.
	// +optional
	Domain string `json:"domain,omitempty"`
	// healthy: API reachable, agent heartbeat fresh, OCM available and untainted.
	Healthy bool `json:"healthy"`
	// reason is a CamelCase word for why the cluster is unhealthy.
	// +optional
	Reason string `json:"reason,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// lastHeartbeat is the agent's last heartbeat renewal.
	// +optional
	LastHeartbeat *metav1.Time `json:"lastHeartbeat,omitempty"`
	// unhealthySince is when the cluster was first seen unhealthy, for failover tolerations.
	// +optional
	UnhealthySince *metav1.Time `json:"unhealthySince,omitempty"`
	// nodes placed on the cluster under this policy.
	// +optional
	Nodes int32 `json:"nodes"`
}

// SeiPlacementPolicyStatus is written by the hub.
type SeiPlacementPolicyStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// eligibleClusters is the number of clusters the policy selects.
	// +optional
	EligibleClusters int32 `json:"eligibleClusters"`
	// healthyClusters is the number of those that are healthy.
	// +optional
	HealthyClusters int32 `json:"healthyClusters"`
	// clusters, one row per eligible cluster.
	// +optional
	// +listType=map
	// +listMapKey=name
	Clusters []ClusterHealth `json:"clusters,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// SeiPlacementPolicy decides where SeiNodeDeployments' nodes may run. Cluster-scoped: written by
// cluster admins.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=spp,categories=sei
// +kubebuilder:printcolumn:name="Topology",type=string,JSONPath=`.spec.topologyKey`
// +kubebuilder:printcolumn:name="Max Power",type=string,JSONPath=`.spec.maxVotingPowerFraction`
// +kubebuilder:printcolumn:name="Eligible",type=integer,JSONPath=`.status.eligibleClusters`
// +kubebuilder:printcolumn:name="Healthy",type=integer,JSONPath=`.status.healthyClusters`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type SeiPlacementPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SeiPlacementPolicySpec   `json:"spec,omitempty"`
	Status SeiPlacementPolicyStatus `json:"status,omitempty"`
}

// SeiPlacementPolicyList is a list of SeiPlacementPolicies.
// +kubebuilder:object:root=true
type SeiPlacementPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SeiPlacementPolicy `json:"items"`
}
