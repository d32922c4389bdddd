// Package placement owns the scheduler that decides which member cluster runs each node of a
// SeiNodeDeployment under a SeiPlacementPolicy.
//
// Schedule is a pure, deterministic function: it takes the policy, the cluster inventory with health, the
// deployment's size and the current assignments, and returns a Decision. It reads no clock (Now is an
// input), talks to no API server and does not depend on map iteration order or on the order of input
// slices, so the same facts always give the same decision.
//
// The rules it enforces, in order of precedence:
//
//   - Sticky placement: a node already placed stays on its cluster. The only exceptions are failover
//     (a non-validator whose cluster has been unhealthy for failover.fullNodes.tolerationSeconds, or whose
//     cluster is gone or no longer eligible) and a validator whose policy says AfterFence and whose old
//     cluster confirmed the node is gone. A validator is never moved without that fence.
//   - Eligibility: a cluster must match the policy's and the deployment's cluster selectors and carry the
//     policy's topology label; new nodes go only to healthy eligible clusters.
//   - Spread: each new node goes to the topology domain with the fewest nodes of the deployment, under
//     maxNodesPerCluster (counting other deployments' nodes) and maxSkew.
//   - Voting power: for validators no domain may hold maxVotingPowerFraction or more of the total power;
//     new validator placements are all-or-nothing.
//
// The package does not read or write Kubernetes objects, decide cluster health, perform fencing or resolve
// which clusters belong to the policy's ManagedClusterSets: callers pass those in as facts.
package placement
