package placement

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Reasons this package adds to those in api/v1alpha1. Like those, they are stable words tooling may match.
const (
	// ReasonInvalidInput: the policy or the scheduler's input is malformed; nothing changes.
	ReasonInvalidInput = "InvalidInput"
	// ReasonNotSelected: a cluster does not match the policy's or the deployment's cluster selector.
	ReasonNotSelected = "NotSelected"
	// ReasonMissingTopologyLabel: a selected cluster lacks the policy's topology label, so it belongs to no
	// domain and is not eligible.
	ReasonMissingTopologyLabel = "MissingTopologyLabel"
	// ReasonClusterNotEligible: a validator sits on a cluster that is gone or no longer eligible and may not
	// move without a fence.
	ReasonClusterNotEligible = "ClusterNotEligible"
)

// Default policy values, the same as the CRD's defaults, for specs that were not defaulted by an API server.
const (
	DefaultTopologyKey            = "region"
	DefaultMaxSkew                = 1
	DefaultMaxVotingPowerFraction = "1/3"
)

// Input is everything Schedule needs to know.
type Input struct {
	// Policy is the SeiPlacementPolicy's spec. ClusterSets and the namespace fields are the caller's concern:
	// Clusters must already be limited to the policy's cluster sets.
	Policy seiv1alpha1.SeiPlacementPolicySpec
	// DeploymentSelector is the deployment's own spec.placement.clusterSelector; nil selects every cluster.
	DeploymentSelector *metav1.LabelSelector
	// Clusters is the cluster inventory with health. Order does not matter; names must be unique.
	Clusters []Cluster

	// Replicas is the number of nodes: ordinals 0..Replicas-1.
	Replicas int
	// Validators is true for a validator deployment: the voting power rules and fencing apply.
	Validators bool
	// NodePower is the voting power of each of this deployment's validators (all stake the same).
	NodePower int64
	// ExternalPower is the voting power of validators outside the fleet: it counts in the total but sits in
	// no domain.
	ExternalPower int64

	// Current maps ordinal to the cluster the node is placed on now.
	Current map[int]string
	// Fenced marks ordinals whose old cluster confirmed the node is gone.
	Fenced map[int]bool
	// Usage counts the nodes of other deployments under this policy, per cluster, for maxNodesPerCluster.
	Usage map[string]int

	// Now is the time failover tolerations are measured against.
	Now time.Time
}

// Cluster is one member cluster as the hub sees it.
type Cluster struct {
	Name   string
	Labels map[string]string
	// Healthy: API reachable, agent heartbeat fresh, not marked unavailable.
	Healthy bool
	// UnhealthySince is when the cluster was first seen unhealthy; nil on an unhealthy cluster counts as now.
	UnhealthySince *time.Time
	// HealthUnknown: the hub has not judged the cluster's health yet in this run (just started: not
	// probed, or not engaged yet because the hub has not tried). It is
	// not a target for new nodes (Healthy is false), and no validator is fenced for it: a hub restart is
	// no evidence against a cluster.
	HealthUnknown bool
}

// Decision is what Schedule returns.
type Decision struct {
	// Assignments maps every placed ordinal below Replicas to its desired cluster: kept, moved, new or blocked.
	Assignments map[int]string
	// Notes says, per ordinal, why it is where it is (or why it is not placed), e.g. "kept" or
	// "new: least-loaded domain eu, cluster eu-1". Removed ordinals get a note too.
	Notes map[int]string
	// Moves lists the nodes re-placed by failover, by ordinal.
	Moves []Move
	// Blocked lists nodes that should leave their cluster but may not or cannot; they stay where they are.
	Blocked []Blocked
	// Unplaced lists ordinals that have no cluster, ascending.
	Unplaced []int
	// Removed lists ordinals of Current at or above Replicas (scale down), ascending.
	Removed []int
	// Failure is the most important reason the deployment is not fully placed where it should be; nil
	// when every ordinal is placed and nothing is blocked.
	Failure *Failure
	// Domains has one row per topology domain, sorted by name, for status.
	Domains []DomainCount
	// Clusters has one row per known cluster, sorted by name, saying whether it is eligible and why not.
	Clusters []ClusterNote
}

// Move is a node re-placed by failover.
type Move struct {
	Ordinal  int
	From, To string
	Reason   string
}

// Blocked is a node that stays on its cluster although it should leave it.
type Blocked struct {
	Ordinal int
	Cluster string
	// Reason is a CamelCase word such as AwaitingFence or ClusterUnhealthy.
	Reason  string
	Message string
}

// Failure is why placement is incomplete: a CamelCase reason for conditions and a message for people.
type Failure struct {
	Reason  string
	Message string
}

// DomainCount is one topology domain's share of the deployment.
type DomainCount struct {
	// Name is the topology label value. Nodes on a cluster with no known domain (gone from the inventory
	// or without the label) count in a domain of their own named "cluster/<cluster name>".
	Name string
	// Nodes is the number of the deployment's nodes assigned to the domain's clusters.
	Nodes int
	// Power is the voting power those nodes hold; zero unless Validators.
	Power int64
	// EligibleClusters and HealthyClusters count the domain's eligible clusters and the healthy ones.
	EligibleClusters, HealthyClusters int
}

// ClusterNote is one known cluster's standing.
type ClusterNote struct {
	Name string
	// Domain is the cluster's topology label value, empty when it has none.
	Domain   string
	Eligible bool
	Healthy  bool
	// Nodes is the number of this deployment's nodes assigned to the cluster.
	Nodes int
	// Reason and Message say why the cluster is not eligible; empty when it is.
	Reason  string
	Message string
}
