// Package rollout owns the planner that paces an image or template rollout over a SeiNodeDeployment's
// nodes without endangering the chain.
//
// Plan is a pure function: given every node's revision, readiness and voting power, it returns the nodes to
// update now and, for each node that waits, why. Called again after the world moved on (started nodes
// became ready), it returns the next step, so a reconciler simply applies each Step and requeues.
//
// The rules it keeps:
//
//   - At most maxUnavailable nodes are unavailable (not ready or updating) at any time.
//   - With byTopology, one topology domain (in name order) is finished before the next starts; within a
//     domain nodes go in ordinal order.
//   - For validators, the voting power that is unavailable stays strictly below a cap (1/3 by default):
//     taking 1/3 or more of the power down halts a Tendermint chain, whatever the placement policy says.
//   - A node that is already unavailable and still on the old revision is updated at once, in any domain:
//     it costs no availability, and the new revision may be what it needs to recover.
//
// The package does not read nodes from the API, restart pods or decide what a revision is: callers compare
// image and template hashes and pass the result in.
package rollout
