// Package node is the agent's SeiNode controller: it runs the SeiNodes of its own member cluster the
// way the single-cluster operator does, through plans.
//
// Each reconcile either continues the plan in status, or, when there is none, decides whether the
// node needs one (plans.go): an identity plan for a ceremony validator still waiting for its genesis,
// an init plan that takes a node from Pending to Running, a node-update plan when spec.image differs
// from the image running, and a reconfigure plan for any other spec change. A new plan is persisted
// before any of its tasks runs. Status is written once per reconcile, and only when it changed; the
// controller, not the executor, owns phases and conditions (status.go).
//
// The package owns the reconcile loop, plan choice and status. Tasks live in agent/tasks, rendered
// objects in agent/resources.
package node
