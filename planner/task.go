package planner

import (
	"context"
	"errors"
	"fmt"
	"time"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Task knows how to advance one step of a plan. Run is called on every reconcile until the task
// reports done, including after a controller restart, so it must be idempotent: it inspects the world
// and does only what is still missing.
type Task interface {
	Run(ctx context.Context) (Result, error)
}

// Result is what one Run of a task reports.
type Result struct {
	// Done is true when the task finished; the executor moves on to the next task at once.
	Done bool
	// RequeueAfter, when the task is not done, is when to look again (default: as Wait says).
	RequeueAfter time.Duration
	// Wait, when the task is not done and sets no RequeueAfter, says what it waits for, and so when
	// the executor has it looked at again.
	Wait Wait
}

// Wait is what a running task waits for.
type Wait int

const (
	// WaitInterval: look again after the executor's poll interval.
	WaitInterval Wait = iota
	// WaitPoll: something nobody reports a change of (a task on a sidecar, over HTTP): look again
	// after the executor's poll backoff, short at first and longer with each poll of the same task.
	WaitPoll
	// WaitWatch: an object the controller watches; its change wakes the controller, so look again
	// only after the executor's watch fallback, a safety net for a missed event.
	WaitWatch
)

// Done is the Result of a finished task.
func Done() (Result, error) { return Result{Done: true}, nil }

// Running is the Result of a task that is still in progress; after is when to look again (0: default).
func Running(after time.Duration) (Result, error) { return Result{RequeueAfter: after}, nil }

// Polling is the Result of a task that waits for something it must poll (WaitPoll).
func Polling() (Result, error) { return Result{Wait: WaitPoll}, nil }

// Watching is the Result of a task that waits for a change of a watched object (WaitWatch).
func Watching() (Result, error) { return Result{Wait: WaitWatch}, nil }

// TaskFunc adapts a function to a Task.
type TaskFunc func(ctx context.Context) (Result, error)

// Run calls f.
func (f TaskFunc) Run(ctx context.Context) (Result, error) { return f(ctx) }

type terminalError struct{ err error }

func (e terminalError) Error() string { return e.err.Error() }
func (e terminalError) Unwrap() error { return e.err }

// Terminal marks err as not worth retrying: the task fails the plan at once, whatever its budget.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	return terminalError{err: err}
}

// Terminalf is Terminal(fmt.Errorf(format, args...)).
func Terminalf(format string, args ...any) error { return Terminal(fmt.Errorf(format, args...)) }

// IsTerminal reports whether err, or an error it wraps, was marked Terminal.
func IsTerminal(err error) bool {
	var t terminalError
	return errors.As(err, &t)
}

// Factory builds the Task that runs a planned task. E is the environment a controller hands its
// tasks on each reconcile: the object, clients, configuration.
type Factory[E any] func(env E, planned *seiv1alpha1.PlannedTask) (Task, error)

// Func makes the Factory of a task that is one function of the environment and its planned task (its
// ID, attempt, start time, params).
func Func[E any](run func(ctx context.Context, env E, planned *seiv1alpha1.PlannedTask) (Result, error)) Factory[E] {
	return func(env E, planned *seiv1alpha1.PlannedTask) (Task, error) {
		return TaskFunc(func(ctx context.Context) (Result, error) { return run(ctx, env, planned) }), nil
	}
}

// FuncWithParams is Func for a task whose params decode into P: building the task fails, terminally,
// when they do not.
func FuncWithParams[E, P any](run func(ctx context.Context, env E, planned *seiv1alpha1.PlannedTask, params P) (Result, error)) Factory[E] {
	return func(env E, planned *seiv1alpha1.PlannedTask) (Task, error) {
		var params P
		if err := DecodeParams(planned, &params); err != nil {
			return nil, err
		}
		return TaskFunc(func(ctx context.Context) (Result, error) { return run(ctx, env, planned, params) }), nil
	}
}

// Registry maps task types to the factories that build them.
type Registry[E any] struct {
	factories map[string]Factory[E]
}

// NewRegistry returns an empty registry.
func NewRegistry[E any]() *Registry[E] {
	return &Registry[E]{factories: map[string]Factory[E]{}}
}

// Register adds a task type. Registering a type twice is a programming error reported by Types'
// callers in tests; the later factory wins.
func (r *Registry[E]) Register(taskType string, f Factory[E]) *Registry[E] {
	r.factories[taskType] = f
	return r
}

// Has reports whether taskType is registered.
func (r *Registry[E]) Has(taskType string) bool {
	_, ok := r.factories[taskType]
	return ok
}

// Build returns the Task for a planned task, or a terminal error for an unknown type.
func (r *Registry[E]) Build(env E, planned *seiv1alpha1.PlannedTask) (Task, error) {
	f, ok := r.factories[planned.Type]
	if !ok {
		return nil, Terminalf("unknown task type %q", planned.Type)
	}
	t, err := f(env, planned)
	if err != nil {
		return nil, fmt.Errorf("build task %s: %w", planned.Type, err)
	}
	return t, nil
}
