package planner_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// waiting registers task type "w", which reports the results handed to it in order, then Done.
func waiting(results ...planner.Result) *planner.Registry[*script] {
	return planner.NewRegistry[*script]().Register("w", func(s *script, _ *seiv1alpha1.PlannedTask) (planner.Task, error) {
		return planner.TaskFunc(func(context.Context) (planner.Result, error) {
			i := s.runs["w"]
			s.runs["w"]++
			if i < len(results) {
				return results[i], nil
			}
			return planner.Done()
		}), nil
	})
}

func TestDefaultPollBackoffStartsInMillisecondsAndDoublesToItsCap(t *testing.T) {
	g := NewWithT(t)
	var got []time.Duration
	for n := int32(1); n <= 9; n++ {
		got = append(got, planner.PollBackoff(n))
	}
	ms := time.Millisecond
	g.Expect(got).To(Equal([]time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3 * time.Second, 3 * time.Second, 3 * time.Second}))
	g.Expect(planner.PollBackoff(1<<30)).To(Equal(planner.DefaultPollMax), "no overflow on a long wait")
}

func TestPollingTaskBacksOffPerTaskAndStartsAgainWhenDone(t *testing.T) {
	g := NewWithT(t)
	poll := planner.Result{Wait: planner.WaitPoll}
	e := &planner.Executor[*script]{Registry: waiting(poll, poll, poll), Now: (&clock{t: time.Unix(1000, 0)}).now,
		PollBackoff: func(n int32) time.Duration { return time.Duration(n) * time.Second }}
	p1, p2 := plan(t, planner.Step{Type: "w"}), plan(t, planner.Step{Type: "w"}, planner.Step{Type: "w"})
	p2.Tasks[0].ID, p2.Tasks[1].ID = "other-0", "other-1"
	s1, s2 := newScript(nil), newScript(nil)

	var waits []time.Duration
	for range 3 {
		out, err := e.Execute(t.Context(), p1, s1)
		g.Expect(err).NotTo(HaveOccurred())
		waits = append(waits, out.RequeueAfter)
	}
	g.Expect(waits).To(Equal([]time.Duration{time.Second, 2 * time.Second, 3 * time.Second}), "each poll of one task waits longer")

	out, err := e.Execute(t.Context(), p2, s2)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.RequeueAfter).To(Equal(time.Second), "another task's polls do not slow this one")
	g.Expect(planner.PolledTasks(e)).To(Equal(2))

	out, err = e.Execute(t.Context(), p1, s1)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.Finished).To(BeTrue())
	g.Expect(planner.PolledTasks(e)).To(Equal(1), "a finished task's count is dropped")
}

func TestPollCountIsDroppedOnAFailedAttempt(t *testing.T) {
	g := NewWithT(t)
	calls := 0
	r := planner.NewRegistry[*script]().Register("w", func(*script, *seiv1alpha1.PlannedTask) (planner.Task, error) {
		return planner.TaskFunc(func(context.Context) (planner.Result, error) {
			calls++
			if calls == 2 {
				return planner.Result{}, fmt.Errorf("flaky")
			}
			return planner.Polling()
		}), nil
	})
	c := &clock{t: time.Unix(1000, 0)}
	e := &planner.Executor[*script]{Registry: r, Now: c.now, Backoff: func(int32) time.Duration { return time.Second }}
	p := plan(t, planner.Step{Type: "w", MaxRetries: 3})

	out, _ := e.Execute(t.Context(), p, newScript(nil))
	g.Expect(out.RequeueAfter).To(Equal(planner.DefaultPollBase))
	out, _ = e.Execute(t.Context(), p, newScript(nil))
	g.Expect(out.RequeueAfter).To(Equal(time.Second), "a failed attempt waits for its retry backoff")
	g.Expect(planner.PolledTasks(e)).To(BeZero())
	c.advance(time.Second)
	out, _ = e.Execute(t.Context(), p, newScript(nil))
	g.Expect(out.RequeueAfter).To(Equal(planner.DefaultPollBase), "the retry polls quickly again")
}

func TestWatchingTaskWaitsForTheFallbackAndExplicitRequeueWins(t *testing.T) {
	g := NewWithT(t)
	e := &planner.Executor[*script]{Registry: waiting(planner.Result{Wait: planner.WaitWatch}, planner.Result{Wait: planner.WaitWatch, RequeueAfter: time.Second})}
	p, s := plan(t, planner.Step{Type: "w"}), newScript(nil)

	out, err := e.Execute(t.Context(), p, s)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.RequeueAfter).To(Equal(planner.DefaultWatchFallback))
	g.Expect(p.Tasks[0].Status).To(Equal(seiv1alpha1.TaskRunning))
	out, _ = e.Execute(t.Context(), p, s)
	g.Expect(out.RequeueAfter).To(Equal(time.Second), "a task's own requeue wins over its wait")

	e = &planner.Executor[*script]{Registry: waiting(planner.Result{Wait: planner.WaitWatch}), WatchFallback: time.Hour}
	out, _ = e.Execute(t.Context(), plan(t, planner.Step{Type: "w"}), newScript(nil))
	g.Expect(out.RequeueAfter).To(Equal(time.Hour))
	g.Expect(planner.PolledTasks(e)).To(BeZero(), "a watched wait is not counted as a poll")
}

func TestStalePollCountsAreSwept(t *testing.T) {
	g := NewWithT(t)
	c := &clock{t: time.Unix(1000, 0)}
	e := &planner.Executor[*script]{Registry: waiting(planner.Result{Wait: planner.WaitPoll}), Now: c.now}
	for i := range 1100 {
		p := plan(t, planner.Step{Type: "w"})
		p.Tasks[0].ID = fmt.Sprintf("abandoned-%d", i)
		_, err := e.Execute(t.Context(), p, newScript(nil))
		g.Expect(err).NotTo(HaveOccurred())
	}
	g.Expect(planner.PolledTasks(e)).To(Equal(1100))
	c.advance(2 * time.Hour)
	p := plan(t, planner.Step{Type: "w"})
	_, _ = e.Execute(t.Context(), p, newScript(nil))
	g.Expect(planner.PolledTasks(e)).To(Equal(1), "the counts of tasks nobody polls any more go")
}

// Run with -race: one executor serves the reconciles of many objects at once.
func TestPollCountsAreSafeForConcurrentExecutes(t *testing.T) {
	g := NewWithT(t)
	poll := planner.Result{Wait: planner.WaitPoll}
	e := &planner.Executor[*script]{Registry: waiting(poll, poll, poll, poll)}
	var wg sync.WaitGroup
	waits := make([][]time.Duration, 8)
	for w := range waits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, s := plan(t, planner.Step{Type: "w"}), newScript(nil)
			p.Tasks[0].ID = fmt.Sprintf("task-%d", w)
			for range 4 {
				out, _ := e.Execute(t.Context(), p, s)
				waits[w] = append(waits[w], out.RequeueAfter)
			}
		}()
	}
	wg.Wait()
	for _, w := range waits {
		g.Expect(w).To(Equal([]time.Duration{planner.PollBackoff(1), planner.PollBackoff(2), planner.PollBackoff(3), planner.PollBackoff(4)}))
	}
	g.Expect(planner.PolledTasks(e)).To(Equal(8))
}
