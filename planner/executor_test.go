package planner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// script is the environment of the test tasks: what each task type does on each of its runs.
type script struct {
	// results per task type, consumed one per run; the last one repeats.
	results map[string][]outcome
	runs    map[string]int
	// seen records the status the factory saw for each run, to check fresh-attempt signalling.
	seen map[string][]seiv1alpha1.TaskStatus
}

type outcome struct {
	done bool
	err  error
}

var (
	done     = outcome{done: true}
	running  = outcome{}
	failing  = outcome{err: errors.New("boom")}
	terminal = outcome{err: planner.Terminalf("bad params")}
)

func newScript(results map[string][]outcome) *script {
	return &script{results: results, runs: map[string]int{}, seen: map[string][]seiv1alpha1.TaskStatus{}}
}

func registry() *planner.Registry[*script] {
	r := planner.NewRegistry[*script]()
	for _, typ := range []string{"a", "b", "c"} {
		r.Register(typ, func(s *script, p *seiv1alpha1.PlannedTask) (planner.Task, error) {
			s.seen[p.Type] = append(s.seen[p.Type], p.Status)
			return planner.TaskFunc(func(context.Context) (planner.Result, error) {
				rs := s.results[p.Type]
				o := rs[min(s.runs[p.Type], len(rs)-1)]
				s.runs[p.Type]++
				if o.err != nil {
					return planner.Result{}, o.err
				}
				return planner.Result{Done: o.done}, nil
			}), nil
		})
	}
	return r
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newExecutor(c *clock) *planner.Executor[*script] {
	return &planner.Executor[*script]{
		Registry:     registry(),
		PollInterval: 3 * time.Second,
		Backoff:      func(n int32) time.Duration { return time.Duration(n) * 10 * time.Second },
		Now:          c.now,
	}
}

func plan(t *testing.T, steps ...planner.Step) *seiv1alpha1.TaskPlan {
	t.Helper()
	p, err := planner.NewPlan("plan-1", "test", steps, "Running", "Failed")
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return p
}

func statuses(p *seiv1alpha1.TaskPlan) []seiv1alpha1.TaskStatus {
	var out []seiv1alpha1.TaskStatus
	for _, t := range p.Tasks {
		out = append(out, t.Status)
	}
	return out
}

func TestExecuteRunsSynchronousTasksBackToBack(t *testing.T) {
	g := NewWithT(t)
	c := &clock{t: time.Unix(1000, 0)}
	s := newScript(map[string][]outcome{"a": {done}, "b": {done}, "c": {done}})
	p := plan(t, planner.Step{Type: "a"}, planner.Step{Type: "b"}, planner.Step{Type: "c"})

	out, err := newExecutor(c).Execute(t.Context(), p, s)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.Finished).To(BeTrue())
	g.Expect(out.Ran).To(Equal(3))
	g.Expect(p.Phase).To(Equal(seiv1alpha1.PlanComplete))
	g.Expect(statuses(p)).To(HaveEach(seiv1alpha1.TaskComplete))
	g.Expect(p.Tasks[0].StartedAt.Time).To(Equal(c.t))
}

func TestExecuteStopsAtFirstRunningTask(t *testing.T) {
	g := NewWithT(t)
	c := &clock{t: time.Unix(1000, 0)}
	s := newScript(map[string][]outcome{"a": {done}, "b": {running, running, done}, "c": {done}})
	p := plan(t, planner.Step{Type: "a"}, planner.Step{Type: "b"}, planner.Step{Type: "c"})
	e := newExecutor(c)

	out, err := e.Execute(t.Context(), p, s)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal(planner.Outcome{RequeueAfter: 3 * time.Second, Ran: 2}))
	g.Expect(statuses(p)).To(Equal([]seiv1alpha1.TaskStatus{seiv1alpha1.TaskComplete, seiv1alpha1.TaskRunning, seiv1alpha1.TaskPending}))

	_, _ = e.Execute(t.Context(), p, s) // b still running
	out, err = e.Execute(t.Context(), p, s)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.Finished).To(BeTrue())
	g.Expect(s.runs).To(Equal(map[string]int{"a": 1, "b": 3, "c": 1}), "a completed task never runs again")
	// The factory saw a fresh attempt first, then polls of the running one.
	g.Expect(s.seen["b"]).To(Equal([]seiv1alpha1.TaskStatus{seiv1alpha1.TaskPending, seiv1alpha1.TaskRunning, seiv1alpha1.TaskRunning}))
}

func TestExecuteUsesTheTasksOwnRequeue(t *testing.T) {
	g := NewWithT(t)
	r := planner.NewRegistry[*script]().Register("a", func(*script, *seiv1alpha1.PlannedTask) (planner.Task, error) {
		return planner.TaskFunc(func(context.Context) (planner.Result, error) { return planner.Running(42 * time.Millisecond) }), nil
	})
	e := &planner.Executor[*script]{Registry: r}
	out, err := e.Execute(t.Context(), plan(t, planner.Step{Type: "a"}), newScript(nil))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.RequeueAfter).To(Equal(42 * time.Millisecond))
}

func TestExecuteRetriesWithBackoffThenSucceeds(t *testing.T) {
	g := NewWithT(t)
	c := &clock{t: time.Unix(1000, 0)}
	s := newScript(map[string][]outcome{"a": {failing, failing, done}, "b": {done}})
	p := plan(t, planner.Step{Type: "a", MaxRetries: 3}, planner.Step{Type: "b"})
	e := newExecutor(c)

	out, err := e.Execute(t.Context(), p, s)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.RequeueAfter).To(Equal(10 * time.Second))
	task := p.Tasks[0]
	g.Expect(task.Status).To(Equal(seiv1alpha1.TaskPending), "a failed attempt waits for its retry as Pending")
	g.Expect(task.RetryCount).To(Equal(int32(1)))
	g.Expect(task.Error).To(Equal("boom"))
	g.Expect(task.LastFailureAt.Time).To(Equal(c.t))

	// Before the backoff has passed nothing runs.
	c.advance(4 * time.Second)
	out, err = e.Execute(t.Context(), p, s)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal(planner.Outcome{RequeueAfter: 6 * time.Second}))
	g.Expect(s.runs["a"]).To(Equal(1))

	c.advance(6 * time.Second)
	out, _ = e.Execute(t.Context(), p, s)
	g.Expect(out.RequeueAfter).To(Equal(20*time.Second), "the second retry backs off longer")
	g.Expect(p.Tasks[0].RetryCount).To(Equal(int32(2)))

	c.advance(20 * time.Second)
	out, err = e.Execute(t.Context(), p, s)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.Finished).To(BeTrue())
	g.Expect(p.Phase).To(Equal(seiv1alpha1.PlanComplete))
	g.Expect(p.Tasks[0].Error).To(BeEmpty(), "success clears the last error")
	g.Expect(s.seen["a"]).To(HaveEach(seiv1alpha1.TaskPending), "every retry is a fresh attempt")
}

func TestExecuteFailsPlanWhenBudgetIsSpent(t *testing.T) {
	for _, tc := range []struct {
		name       string
		maxRetries int32
		results    []outcome
		wantRuns   int
	}{
		{name: "no budget: first failure is final", maxRetries: 0, results: []outcome{failing}, wantRuns: 1},
		{name: "budget of two retries", maxRetries: 2, results: []outcome{failing}, wantRuns: 3},
		{name: "terminal error ignores the budget", maxRetries: 5, results: []outcome{terminal}, wantRuns: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			c := &clock{t: time.Unix(1000, 0)}
			s := newScript(map[string][]outcome{"a": tc.results, "b": {done}})
			p := plan(t, planner.Step{Type: "a", MaxRetries: tc.maxRetries}, planner.Step{Type: "b"})
			e := newExecutor(c)
			var out planner.Outcome
			for i := 0; i < 10 && !out.Finished; i++ {
				var err error
				out, err = e.Execute(t.Context(), p, s)
				g.Expect(err).NotTo(HaveOccurred())
				c.advance(time.Hour)
			}
			g.Expect(out.Finished).To(BeTrue())
			g.Expect(p.Phase).To(Equal(seiv1alpha1.PlanFailed))
			g.Expect(s.runs["a"]).To(Equal(tc.wantRuns))
			g.Expect(s.runs["b"]).To(BeZero(), "nothing runs after the failed task")
			g.Expect(p.Tasks[0].Status).To(Equal(seiv1alpha1.TaskFailed))
			g.Expect(p.FailedTask).NotTo(BeNil())
			g.Expect(p.FailedTask.Type).To(Equal("a"))
			g.Expect(p.FailedTask.ID).To(Equal(p.Tasks[0].ID))
			g.Expect(p.FailedTask.Error).To(Equal(tc.results[0].err.Error()))
			g.Expect(planner.FailureMessage(p)).To(ContainSubstring("task a failed"))
			g.Expect(planner.FailureMessage(p)).To(ContainSubstring(tc.results[0].err.Error()))
		})
	}
}

func TestExecuteFailsPlanOnUnknownTaskType(t *testing.T) {
	g := NewWithT(t)
	p := plan(t, planner.Step{Type: "nope", MaxRetries: 3})
	out, err := newExecutor(&clock{}).Execute(t.Context(), p, newScript(nil))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.Finished).To(BeTrue())
	g.Expect(p.Phase).To(Equal(seiv1alpha1.PlanFailed))
	g.Expect(p.FailedTask.Error).To(ContainSubstring(`unknown task type "nope"`))
}

func TestExecuteLeavesFinishedPlansAlone(t *testing.T) {
	g := NewWithT(t)
	s := newScript(map[string][]outcome{"a": {done}})
	p := plan(t, planner.Step{Type: "a"})
	p.Phase = seiv1alpha1.PlanFailed
	out, err := newExecutor(&clock{}).Execute(t.Context(), p, s)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.Finished).To(BeTrue())
	g.Expect(s.runs).To(BeEmpty())

	out, err = newExecutor(&clock{}).Execute(t.Context(), nil, s)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.Finished).To(BeTrue())
}

func TestExecuteStopsOnCancelledContext(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s := newScript(map[string][]outcome{"a": {done}})
	_, err := newExecutor(&clock{}).Execute(ctx, plan(t, planner.Step{Type: "a"}), s)
	g.Expect(err).To(MatchError(context.Canceled))
	g.Expect(s.runs).To(BeEmpty())
}

func TestExecuteTruncatesLongErrors(t *testing.T) {
	g := NewWithT(t)
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'x'
	}
	r := planner.NewRegistry[*script]().Register("a", func(*script, *seiv1alpha1.PlannedTask) (planner.Task, error) {
		return planner.TaskFunc(func(context.Context) (planner.Result, error) { return planner.Result{}, errors.New(string(long)) }), nil
	})
	p := plan(t, planner.Step{Type: "a"})
	_, err := (&planner.Executor[*script]{Registry: r}).Execute(t.Context(), p, newScript(nil))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(len(p.FailedTask.Error)).To(BeNumerically("<=", 1024))
}
