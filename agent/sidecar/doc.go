// Package sidecar is the agent's client for the seictl sidecar HTTP API v0,
// the process that runs next to seid in every SeiNode pod and performs
// node-local work (writing config, fetching genesis, flipping the start gate).
//
// It owns:
//   - the wire format: paths under /v0, the task request and result bodies,
//     the task type strings and the JSON shape of the parameters the agent
//     sends (checked against seictl's sidecar/server, sidecar/engine,
//     sidecar/wire and sidecar/api/openapi.yaml);
//   - the mapping of HTTP outcomes to Go errors: ErrNotFound, *HTTPError,
//     *TaskFailedError, and IsPermanent, which tells a caller whether trying
//     the same call again can help;
//   - Run and Retry, the idempotent submit-then-poll step a plan executor
//     calls on every reconcile.
//
// It does not own task IDs (the plan engine derives them deterministically;
// seictl requires them to be UUIDs), retry budgets or backoff (the caller
// decides whether a failed task is retried), how the sidecar's address is
// found (the caller passes a base URL), or the ServiceAccount token (the
// caller passes a TokenSource, e.g. FileTokenSource on the projected token).
//
// # Protocol in brief
//
// POST /v0/tasks {id, type, params} starts a task and answers 201 {id}. The
// sidecar keys tasks by id: resubmitting an id that is running or completed
// is a no-op that returns the same id, while resubmitting an id whose last
// run failed starts a new run (run n+1) with the params of the new request.
// GET /v0/tasks/{id} reports status running, completed or failed, and 404
// when the id is unknown. /v0/healthz answers 200 once a mark-ready task has
// completed and 503 before that (and again after mark-not-ready).
//
// mark-ready and config-validate may be submitted fire-and-forget with
// SubmitTask: the readiness flip is observed through Healthz instead of the
// task record. mark-not-ready must be polled to completion with Run, because
// the purge it performs is a precondition for what follows it.
package sidecar
