// Package agentsim is an agent-equivalent for scale tests: it answers the member SeiNode copies the
// hub creates for full nodes the way the real agent (agent/node) does, as far as the hub can see —
// the agent's finalizer and its release on delete, the status phases Pending, Initializing and
// Running with the conditions, node ID, P2P address, image and generation the real agent writes —
// and it renews the real heartbeat Lease (agent/heartbeat). It makes no pods, Services, keys or
// sidecar calls: those cost the member, not the hub, and a scale harness on one machine cannot
// afford them for thousands of nodes. Its faithfulness is proven by a test that runs it and the real
// agent on the same SeiNode and compares the status each reaches.
package agentsim
