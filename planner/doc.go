// Package planner is the generic plan engine both the hub and the agent drive their objects with.
//
// A plan is an ordered list of tasks stored in an object's status (seiv1alpha1.TaskPlan). The life of a
// plan:
//
//  1. Build: a controller decides the object needs a plan and builds one with NewPlan. Task IDs are
//     deterministic (derived from the plan ID, task type and index), so whatever a task submits
//     elsewhere can be recognised after a restart.
//  2. Persist: Begin installs the plan in status, and the controller writes status and returns before
//     any task runs. Observers, and a restarted controller, always see a plan before its side effects.
//  3. Execute: Executor.Execute runs tasks in order, back to back while they finish synchronously, and
//     stops at the first one still running. A failed attempt is retried with backoff within the task's
//     retry budget; a terminal error, or an exhausted budget, fails the plan with the task's detail.
//     A task still running says what it waits for: an object the controller watches (Watching: the
//     watch wakes the controller; a long fallback requeue is only a safety net) or something it must
//     poll (Polling: a backoff per task from milliseconds to seconds, counted in memory).
//  4. Finish: the controller sees a Complete or Failed plan, applies its target or failed phase and its
//     own conditions, and clears the plan.
//
// The executor only mutates the plan in memory; the controller persists it with its one status patch.
// The executor never sets conditions: conditions belong to the controllers.
//
// The package owns plan construction, IDs, the task registry and execution. It owns no task: tasks live
// with the side that runs them (agent/tasks, hub/deployment).
package planner
