// Package deployment is the hub's SeiNodeDeployment controller.
//
// It owns the hub SeiNode records of a deployment — one per ordinal, named <deployment>-<ordinal>, each
// placed on a member cluster (spec.clusterName) — and drives them through plans, persisted in the
// deployment's status before any task runs:
//
//   - place: write records for new ordinals and moved nodes, delete records of removed ordinals (the
//     scheduler in hub/placement decides; records are the sticky assignments);
//   - fence: make a validator's old member delete its copy and confirm it is gone, the only way a
//     validator may move (policy failover.validators: AfterFence);
//   - genesis: wait for every validator's gentx, assemble the genesis once and persist it with its
//     sha256 on the hub before distributing it, then set every node's genesis and peers;
//   - rollout: move records to a new image or template one topology domain at a time, never taking 1/3
//     or more of validator voting power down at once (hub/rollout decides);
//   - pause: set spec.paused on every record.
//
// A validator's place is remembered apart from its record, in the deployment's
// status.validatorPlacements (memory.go): a validator whose record is deleted is written again on the
// cluster it runs on, never placed elsewhere unless that cluster confirmed its copy gone, and a
// validator written onto a cluster anew after the genesis time gets a signing-state floor.
//
// Records reach members through hub/mirror, and their status comes back the same way; this controller
// aggregates them into the deployment's status. Deletion goes through a finalizer: records are deleted
// and hub/mirror honours their deletion policy on each member.
package deployment
