// Package tasks holds the tasks the agent's SeiNode plans are made of: minting the node's identity,
// the data volume, Services, the P2P address, genesis verification, the StatefulSet, the seictl
// sidecar tasks, and pod replacement and rollout observation.
//
// Every task is idempotent: it looks at the world and does only what is still missing, so a restarted
// agent runs a plan's current task again safely. Tasks change objects in the member cluster and record
// what they observed in the SeiNode's status in memory (Env.Node.Status); the reconciler writes status
// once per reconcile. Tasks never set conditions.
package tasks
