package sidecar

import (
	"context"
	"errors"
	"fmt"
)

// TaskClient knows how to submit tasks and read them back. *Client
// implements it; Run and Retry need nothing more.
type TaskClient interface {
	SubmitTask(ctx context.Context, task Task) (string, error)
	GetTask(ctx context.Context, id string) (*TaskResult, error)
}

var _ TaskClient = (*Client)(nil)

// Run advances task by one step and reports whether it has finished. It is
// idempotent, so a plan executor calls it on every reconcile with the same
// task (same deterministic ID) until done:
//
//   - unknown to the sidecar (404): submit it, read it back once, and report
//     what the sidecar says; most tasks finish within that read;
//   - running: (false, nil), call again later;
//   - completed: (true, nil);
//   - failed: (true, *TaskFailedError). Run never resubmits a failed task,
//     because the sidecar would run it again and retry budgets are the
//     caller's; see Retry.
//
// Any other error leaves done false; IsPermanent tells a plan whether to
// stop or requeue. A task whose ID the sidecar already holds under another
// type is refused with ErrInvalidTask, since that is an ID collision in the
// plan, and running either task would be wrong.
//
// After a submit, a 404 on the read-back is reported as still running rather
// than resubmitted at once: the record can vanish between the two calls
// (a concurrent DELETE, or mark-not-ready purging a mark-ready), and the
// next call resubmits it anyway.
func Run(ctx context.Context, c TaskClient, task Task) (done bool, err error) {
	if task.ID == "" {
		return false, fmt.Errorf("run %s: %w: an id is required to resubmit idempotently", describe(task), ErrInvalidTask)
	}
	res, err := c.GetTask(ctx, task.ID)
	if errors.Is(err, ErrNotFound) {
		if _, err := c.SubmitTask(ctx, task); err != nil {
			return false, err
		}
		res, err = c.GetTask(ctx, task.ID)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
	}
	if err != nil {
		return false, err
	}
	return outcome(task, res)
}

// Retry resubmits a failed task under the same ID, which makes the sidecar
// run it again (its run number goes from failedRun to failedRun+1) with
// task.Params, so a retry may carry corrected parameters. Keep polling with
// Run afterwards.
//
// failedRun is TaskFailedError.Run from the failure being retried. It makes
// Retry safe to repeat: if the record has moved past that run (the retry
// already happened and perhaps failed again) or is no longer failed, Retry
// does nothing and returns false. A caller should persist its attempt count
// before calling Retry; if it crashes in between, calling Retry again with the
// same failedRun spends no second attempt. A failedRun of 0, or a sidecar that
// reports no run numbers, skips that check. A record that is gone (404) is
// submitted afresh.
//
// Typical use, with attempts stored in the plan's status:
//
//	done, err := sidecar.Run(ctx, c, task)
//	var failed *sidecar.TaskFailedError
//	if errors.As(err, &failed) && attempts < maxRetries {
//		attempts++ // persisted before the next line takes effect
//		_, err = sidecar.Retry(ctx, c, task, failed.Run)
//	}
func Retry(ctx context.Context, c TaskClient, task Task, failedRun int) (resubmitted bool, err error) {
	if task.ID == "" {
		return false, fmt.Errorf("retry %s: %w: an id is required to resubmit idempotently", describe(task), ErrInvalidTask)
	}
	res, err := c.GetTask(ctx, task.ID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return false, err
	case res.Status != StatusFailed:
		return false, nil
	case failedRun > 0 && res.Run > 0 && res.Run != failedRun:
		return false, nil
	}
	if _, err := c.SubmitTask(ctx, task); err != nil {
		return false, err
	}
	return true, nil
}

// outcome maps a task record to Run's results.
func outcome(task Task, res *TaskResult) (bool, error) {
	if res.Type != "" && res.Type != task.Type {
		return false, fmt.Errorf("run %s: %w: the sidecar holds it as a %s task",
			describe(task), ErrInvalidTask, res.Type)
	}
	switch res.Status {
	case StatusRunning:
		return false, nil
	case StatusCompleted:
		return true, nil
	case StatusFailed:
		return true, &TaskFailedError{ID: res.ID, Type: res.Type, Run: res.Run, Message: res.Error, Result: res.Result}
	default:
		return false, fmt.Errorf("run %s: sidecar reported unknown status %q", describe(task), res.Status)
	}
}
