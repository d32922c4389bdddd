// Package agentsim is an agent-equivalent for scale tests: it answers the member SeiNode copies the
// hub creates for full nodes the way the real agent (agent/node) does, as far as the hub can see —
// the agent's finalizer and its release on delete; the agent's init plan written into status as it
// progresses; Running with the node ID, P2P address, image and generation the plan leaves; block
// heights on an interval — with the agent's own status rules (agent/node's InitPlan, SetPhase,
// FinishPlan, UpdateHealthyConditions), and it renews the real heartbeat Lease (agent/heartbeat). It
// makes no pods, Services, keys or sidecar calls: those cost the member, not the hub, and one machine
// cannot afford them for thousands of nodes. A test runs it and the real agent on the same SeiNode and
// requires the same status.
package agentsim
