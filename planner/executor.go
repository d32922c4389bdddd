package planner

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Defaults for an Executor.
const (
	DefaultPollInterval = 5 * time.Second
	DefaultBackoffBase  = 10 * time.Second
	DefaultBackoffMax   = 5 * time.Minute
	// DefaultPollBase and DefaultPollMax bound the poll backoff of a task that waits with WaitPoll:
	// most waits end within milliseconds, a few take seconds.
	DefaultPollBase = 50 * time.Millisecond
	DefaultPollMax  = 3 * time.Second
	// DefaultWatchFallback is how long a task that waits with WaitWatch waits for its event.
	DefaultWatchFallback = time.Minute
	// maxErrorLen bounds the error text kept in status.
	maxErrorLen = 1024
)

// Executor runs a plan's tasks. It mutates only the plan, in memory; the caller persists it.
type Executor[E any] struct {
	Registry *Registry[E]
	// PollInterval is how soon to look again at a running task that gave no interval of its own.
	PollInterval time.Duration
	// Backoff gives the wait before retry number n (n >= 1). Default: DefaultBackoffBase × n, at most
	// DefaultBackoffMax.
	Backoff func(n int32) time.Duration
	// PollBackoff gives the wait before poll number n (n >= 1) of a task that waits with WaitPoll.
	// Default: DefaultPollBase doubling, at most DefaultPollMax.
	PollBackoff func(n int32) time.Duration
	// WatchFallback is when to look again at a task that waits with WaitWatch if no event came first
	// (default DefaultWatchFallback).
	WatchFallback time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time

	// polls counts the polls of each running task; safe for concurrent Executes.
	polls pollCounter
}

// Outcome is what one Execute did.
type Outcome struct {
	// Finished is true when the plan is no longer Active (Complete or Failed).
	Finished bool
	// RequeueAfter is when to call Execute again while the plan is active.
	RequeueAfter time.Duration
	// Ran counts task runs in this call.
	Ran int
}

// Execute advances plan: it runs tasks in order, back to back while they finish, and stops at the first
// one that is still running or must wait for a retry. A retryable error counts against the task's
// budget; a terminal error or an exhausted budget fails the plan. A plan that is not Active is left
// alone.
//
// A task's factory sees the planned task before Run: Status Pending means a fresh attempt (the first,
// or a retry after backoff), Running means an attempt already under way that Run should poll.
func (e *Executor[E]) Execute(ctx context.Context, plan *seiv1alpha1.TaskPlan, env E) (Outcome, error) {
	if plan == nil {
		return Outcome{Finished: true}, nil
	}
	if e.Registry == nil {
		return Outcome{}, fmt.Errorf("executor has no task registry")
	}
	var out Outcome
	for plan.Phase == seiv1alpha1.PlanActive {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		task := CurrentTask(plan)
		if task == nil {
			plan.Phase = seiv1alpha1.PlanComplete
			break
		}
		now := e.now()
		if wait := e.retryWait(task, now); wait > 0 {
			out.RequeueAfter = wait
			return out, nil
		}
		res, err := e.run(ctx, task, env, now)
		out.Ran++
		if err != nil || res.Done {
			e.polls.forget(task.ID)
		}
		switch {
		case err != nil && (IsTerminal(err) || task.RetryCount >= task.MaxRetries):
			failPlan(plan, task, err, now)
		case err != nil:
			// Back to Pending: the next Run is a fresh attempt, which tells a task that submits work
			// elsewhere to submit it again rather than keep polling the failed one.
			task.RetryCount++
			task.Error = truncate(err.Error())
			task.LastFailureAt = ptrTime(now)
			task.Status = seiv1alpha1.TaskPending
			out.RequeueAfter = e.backoff(task.RetryCount)
			return out, nil
		case res.Done:
			task.Status = seiv1alpha1.TaskComplete
			task.Error = ""
		default:
			task.Status = seiv1alpha1.TaskRunning
			out.RequeueAfter = e.requeue(task, res, now)
			return out, nil
		}
	}
	out.Finished = true
	out.RequeueAfter = 0
	return out, nil
}

func (e *Executor[E]) run(ctx context.Context, task *seiv1alpha1.PlannedTask, env E, now time.Time) (Result, error) {
	if task.StartedAt == nil {
		task.StartedAt = ptrTime(now)
	}
	t, err := e.Registry.Build(env, task)
	if err != nil {
		return Result{}, err
	}
	return t.Run(ctx)
}

// retryWait is how long a task that failed its last attempt must still wait before the next one.
func (e *Executor[E]) retryWait(task *seiv1alpha1.PlannedTask, now time.Time) time.Duration {
	if task.RetryCount == 0 || task.LastFailureAt == nil {
		return 0
	}
	return task.LastFailureAt.Add(e.backoff(task.RetryCount)).Sub(now)
}

func failPlan(plan *seiv1alpha1.TaskPlan, task *seiv1alpha1.PlannedTask, err error, now time.Time) {
	task.Status = seiv1alpha1.TaskFailed
	task.Error = truncate(err.Error())
	task.LastFailureAt = ptrTime(now)
	plan.Phase = seiv1alpha1.PlanFailed
	plan.FailedTask = &seiv1alpha1.FailedTaskDetail{
		Type:       task.Type,
		ID:         task.ID,
		Error:      task.Error,
		RetryCount: task.RetryCount,
		MaxRetries: task.MaxRetries,
	}
}

func (e *Executor[E]) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// requeue is when to look again at a task that is still running.
func (e *Executor[E]) requeue(task *seiv1alpha1.PlannedTask, res Result, now time.Time) time.Duration {
	if res.RequeueAfter > 0 {
		return res.RequeueAfter
	}
	switch res.Wait {
	case WaitPoll:
		n := e.polls.next(task.ID, now)
		if e.PollBackoff != nil {
			return e.PollBackoff(n)
		}
		return PollBackoff(n)
	case WaitWatch:
		if e.WatchFallback > 0 {
			return e.WatchFallback
		}
		return DefaultWatchFallback
	default:
		return e.pollInterval()
	}
}

// PollBackoff is the default poll backoff: DefaultPollBase before the first poll, doubling, at most
// DefaultPollMax.
func PollBackoff(n int32) time.Duration {
	d := DefaultPollBase
	for i := int32(1); i < n && d < DefaultPollMax; i++ {
		d *= 2
	}
	return min(d, DefaultPollMax)
}

func (e *Executor[E]) pollInterval() time.Duration {
	if e.PollInterval > 0 {
		return e.PollInterval
	}
	return DefaultPollInterval
}

func (e *Executor[E]) backoff(n int32) time.Duration {
	if e.Backoff != nil {
		return e.Backoff(n)
	}
	return min(DefaultBackoffBase*time.Duration(n), DefaultBackoffMax)
}

// FailureMessage describes why plan failed, naming the task and its error, for a condition message.
func FailureMessage(plan *seiv1alpha1.TaskPlan) string {
	if plan == nil || plan.FailedTask == nil {
		return ""
	}
	f := plan.FailedTask
	return fmt.Sprintf("task %s failed after %d of %d retries: %s", f.Type, f.RetryCount, f.MaxRetries, f.Error)
}

func truncate(s string) string {
	if len(s) <= maxErrorLen {
		return s
	}
	return s[:maxErrorLen-3] + "..."
}

func ptrTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}
