package sidecar_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
)

func TestRunSubmitsOnceAndReportsCompletion(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	task := sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeRestartSeid}

	for range 3 {
		done, err := sidecar.Run(t.Context(), c, task)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(done).To(BeTrue())
	}
	g.Expect(srv.Submissions(sidecar.TaskTypeRestartSeid)).To(Equal(1), "known tasks are polled, not resubmitted")
	g.Expect(srv.Runs(task.ID)).To(Equal(1))
}

func TestRunReportsRunningUntilDelayElapses(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	srv.SetDelay(200 * time.Millisecond)
	task := sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeConfigApply, Params: json.RawMessage(`{"mode":"validator"}`)}

	done, err := sidecar.Run(t.Context(), c, task)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(done).To(BeFalse())
	g.Eventually(func() (bool, error) { return sidecar.Run(t.Context(), c, task) }).
		WithTimeout(5 * time.Second).WithPolling(20 * time.Millisecond).Should(BeTrue())
	g.Expect(srv.Runs(task.ID)).To(Equal(1))
}

func TestRunHangAndRelease(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	srv.HangTask(sidecar.TaskTypeRestartSeid)
	task := sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeRestartSeid}

	for range 3 {
		done, err := sidecar.Run(t.Context(), c, task)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(done).To(BeFalse())
	}
	res, err := c.GetTask(t.Context(), task.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Status).To(Equal(sidecar.StatusRunning))
	g.Expect(res.CompletedAt).To(BeNil())

	srv.ReleaseTask(sidecar.TaskTypeRestartSeid)
	g.Expect(sidecar.Run(t.Context(), c, task)).To(BeTrue())
	g.Expect(srv.Runs(task.ID)).To(Equal(1))
}

func TestRunFailThenRetry(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	srv.FailTask(sidecar.TaskTypeConfigureGenesis, 2, "configure-genesis: genesis.json not yet published")
	task := sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeConfigureGenesis}

	done, err := sidecar.Run(t.Context(), c, task)
	g.Expect(done).To(BeTrue())
	var failed *sidecar.TaskFailedError
	g.Expect(errors.As(err, &failed)).To(BeTrue())
	g.Expect(failed.ID).To(Equal(task.ID))
	g.Expect(failed.Type).To(Equal(sidecar.TaskTypeConfigureGenesis))
	g.Expect(failed.Run).To(Equal(1))
	g.Expect(failed.Message).To(Equal("configure-genesis: genesis.json not yet published"))
	g.Expect(sidecar.IsPermanent(err)).To(BeTrue())

	// Polling a failed task never re-runs it.
	_, err = sidecar.Run(t.Context(), c, task)
	g.Expect(err).To(BeAssignableToTypeOf(&sidecar.TaskFailedError{}))
	g.Expect(srv.Runs(task.ID)).To(Equal(1))

	// Retry re-runs it, once, however often it is called for the same run.
	for range 2 {
		_, err := sidecar.Retry(t.Context(), c, task, failed.Run)
		g.Expect(err).NotTo(HaveOccurred())
	}
	g.Expect(srv.Runs(task.ID)).To(Equal(2))
	_, err = sidecar.Run(t.Context(), c, task)
	g.Expect(errors.As(err, &failed)).To(BeTrue())
	g.Expect(failed.Run).To(Equal(2))

	resubmitted, err := sidecar.Retry(t.Context(), c, task, failed.Run)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(resubmitted).To(BeTrue())
	g.Expect(sidecar.Run(t.Context(), c, task)).To(BeTrue())
	g.Expect(srv.Runs(task.ID)).To(Equal(3))

	// Retrying a completed task does nothing.
	g.Expect(sidecar.Retry(t.Context(), c, task, 0)).To(BeFalse())
	g.Expect(srv.Runs(task.ID)).To(Equal(3))
}

func TestRetryCarriesNewParams(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	bad := sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeConfigApply, Params: json.RawMessage(`{}`)}
	_, err := sidecar.Run(t.Context(), c, bad)
	var failed *sidecar.TaskFailedError
	g.Expect(errors.As(err, &failed)).To(BeTrue())
	g.Expect(failed.Message).To(ContainSubstring("mode is required"))

	fixed := bad
	fixed.Params = json.RawMessage(`{"mode":"seed"}`)
	g.Expect(sidecar.Retry(t.Context(), c, fixed, failed.Run)).To(BeTrue())
	g.Expect(sidecar.Run(t.Context(), c, fixed)).To(BeTrue())
	rec, _ := srv.Task(fixed.ID)
	g.Expect(rec.Params).To(HaveKeyWithValue("mode", "seed"))
}

func TestRetryOfDeletedTaskSubmitsAfresh(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	task := sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeStopSeid}
	g.Expect(sidecar.Retry(t.Context(), c, task, 1)).To(BeTrue())
	g.Expect(srv.Runs(task.ID)).To(Equal(1))
}

func TestRunRefusesUnsafeTasks(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)

	_, err := sidecar.Run(t.Context(), c, sidecar.Task{Type: sidecar.TaskTypeMarkReady})
	g.Expect(err).To(MatchError(sidecar.ErrInvalidTask))
	_, err = sidecar.Retry(t.Context(), c, sidecar.Task{Type: sidecar.TaskTypeMarkReady}, 0)
	g.Expect(err).To(MatchError(sidecar.ErrInvalidTask))

	id := uuid.NewString()
	g.Expect(sidecar.Run(t.Context(), c, sidecar.Task{ID: id, Type: sidecar.TaskTypeRestartSeid})).To(BeTrue())
	_, err = sidecar.Run(t.Context(), c, sidecar.Task{ID: id, Type: sidecar.TaskTypeMarkReady})
	g.Expect(err).To(MatchError(ContainSubstring("run mark-ready task " + id + ": invalid task: the sidecar holds it as a restart-seid task")))
	g.Expect(sidecar.IsPermanent(err)).To(BeTrue())
	g.Expect(srv.Submissions(sidecar.TaskTypeMarkReady)).To(BeZero())
}

func TestRunPassesTransportErrorsThrough(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	srv.SetUnreachable(true)
	done, err := sidecar.Run(t.Context(), c, sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeMarkReady})
	g.Expect(done).To(BeFalse())
	g.Expect(err).To(HaveOccurred())
	g.Expect(sidecar.IsPermanent(err)).To(BeFalse())
}

func TestFailedTaskKeepsResult(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	srv.SetResult(sidecar.TaskTypeRestartSeid, json.RawMessage(`{"valid":true}`))
	task := sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeRestartSeid}
	g.Expect(sidecar.Run(t.Context(), c, task)).To(BeTrue())
	res, err := c.GetTask(t.Context(), task.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Result).To(MatchJSON(`{"valid":true}`))
}
