// Package policy says what a SeiPlacementPolicy means and reports on it.
//
// Inventory turns the hub's view of its member clusters — OCM ManagedClusters, their ManagedClusterSet
// membership and the health hub/clusters judged — into the scheduler's input for one policy, and says
// whether a namespace may use a policy. The Reconciler keeps each policy's status: the clusters it
// selects, their topology domain and health, the agent's last heartbeat, and the nodes placed there.
//
// The package owns policy semantics and policy status; it places nothing (hub/placement decides,
// hub/deployment acts).
package policy
