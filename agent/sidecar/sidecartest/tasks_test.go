package sidecartest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
)

// submit posts a task and returns its id.
func submit(t *testing.T, s *sidecartest.Server, id, taskType, params string) string {
	t.Helper()
	body := `{"id":"` + id + `","type":"` + taskType + `"`
	if params != "" {
		body += `,"params":` + params
	}
	if a := call(t, http.MethodPost, s.URL()+"/v0/tasks", body+"}"); a.status != http.StatusCreated {
		t.Fatalf("submit %s: %d %s", taskType, a.status, a.body)
	}
	return id
}

func status(s *sidecartest.Server, id string) string {
	task, ok := s.Task(id)
	if !ok {
		return "absent"
	}
	return task.Status
}

func TestFailTask(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	s.FailTask("configure-genesis", 2, "not yet")
	id := uuid.NewString()

	for run, want := range []string{"failed", "failed", "completed", "completed"} {
		submit(t, s, id, "configure-genesis", "")
		task, _ := s.Task(id)
		g.Expect(task.Status).To(Equal(want), "submission %d", run+1)
		if want == "failed" {
			g.Expect(task.Error).To(Equal("not yet"))
		} else {
			g.Expect(task.Error).To(BeEmpty(), "a re-run clears the old error")
		}
	}
	g.Expect(s.Runs(id)).To(Equal(3))
	task, _ := s.Task(id)
	g.Expect(task.Run).To(Equal(3))

	other := submit(t, s, uuid.NewString(), "restart-seid", "")
	g.Expect(status(s, other)).To(Equal("completed"), "other types are unaffected")
}

func TestFailTaskForeverUntilCleared(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	s.FailTask("stop-seid", -1, "")
	id := uuid.NewString()
	for range 3 {
		submit(t, s, id, "stop-seid", "")
		g.Expect(status(s, id)).To(Equal("failed"))
	}
	task, _ := s.Task(id)
	g.Expect(task.Error).To(Equal("stop-seid: injected failure"))
	s.FailTask("stop-seid", 0, "")
	submit(t, s, id, "stop-seid", "")
	g.Expect(status(s, id)).To(Equal("completed"))
}

func TestHangCatchesRunningTasksAndReleaseFinishesThem(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	s.SetDelay(30 * time.Millisecond)
	delayed := submit(t, s, uuid.NewString(), "restart-seid", "")
	s.HangTask("restart-seid")
	later := submit(t, s, uuid.NewString(), "restart-seid", "")
	s.FailTask("restart-seid", 1, "seid did not come back")

	g.Consistently(func() string { return status(s, delayed) }).
		WithTimeout(150 * time.Millisecond).Should(Equal("running"))
	g.Expect(status(s, later)).To(Equal("running"))

	s.ReleaseTask("restart-seid")
	g.Expect([]string{status(s, delayed), status(s, later)}).To(ConsistOf("completed", "failed"))
	g.Expect(submit(t, s, uuid.NewString(), "restart-seid", "")).NotTo(BeEmpty())
}

func TestDelayAndDelete(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	s.SetDelay(50 * time.Millisecond)
	kept := submit(t, s, uuid.NewString(), "restart-seid", "")
	dropped := submit(t, s, uuid.NewString(), "restart-seid", "")
	g.Expect(status(s, kept)).To(Equal("running"))

	g.Expect(call(t, http.MethodDelete, s.URL()+"/v0/tasks/"+dropped, "").status).To(Equal(http.StatusNoContent))
	g.Eventually(func() string { return status(s, kept) }).Should(Equal("completed"))
	g.Consistently(func() string { return status(s, dropped) }).
		WithTimeout(100*time.Millisecond).Should(Equal("absent"), "a cancelled run must not come back")

	s.SetDelay(0)
	submit(t, s, dropped, "restart-seid", "")
	task, _ := s.Task(dropped)
	g.Expect(task.Run).To(Equal(1), "the run number restarts with the record")
	g.Expect(s.Runs(dropped)).To(Equal(2), "the counter does not")
}

func TestMarkNotReadyPurgesMarkReady(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	ready := submit(t, s, uuid.NewString(), "mark-ready", "")
	other := submit(t, s, uuid.NewString(), "restart-seid", "")
	g.Expect(s.Healthy()).To(BeTrue())

	submit(t, s, uuid.NewString(), "mark-not-ready", "")
	g.Expect(s.Healthy()).To(BeFalse())
	g.Expect(status(s, ready)).To(Equal("absent"))
	g.Expect(status(s, other)).To(Equal("completed"))

	submit(t, s, ready, "mark-ready", "")
	g.Expect(s.Healthy()).To(BeTrue())
	g.Expect(s.Runs(ready)).To(Equal(2))
}

func TestGenesisHashCheck(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	s.SetGenesisHash("aa11")
	for _, tc := range []struct{ params, want string }{
		{params: `{"expectedGenesisHash":"bb22"}`, want: "failed"},
		{params: `{"expectedGenesisHash":"aa11"}`, want: "completed"},
		{params: ``, want: "completed"},
	} {
		id := submit(t, s, uuid.NewString(), "configure-genesis", tc.params)
		task, _ := s.Task(id)
		g.Expect(task.Status).To(Equal(tc.want), tc.params)
		if tc.want == "failed" {
			g.Expect(task.Error).To(ContainSubstring("has SHA-256 aa11, expected bb22"))
		}
	}
}

func TestSnapshotsAreCopies(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	id := submit(t, s, uuid.NewString(), "config-apply", `{"mode":"full"}`)
	task, _ := s.Task(id)
	task.Params["mode"] = "seed"
	task.Status = "failed"
	again, _ := s.Task(id)
	g.Expect(again.Params).To(HaveKeyWithValue("mode", "full"))
	g.Expect(again.Status).To(Equal("completed"))
}

func TestResetKeepsIdentityAndToken(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	nodeID := s.NodeID()
	s.SetDelay(time.Hour)
	s.FailTask("mark-ready", -1, "x")
	s.HangTask("config-validate")
	id := submit(t, s, uuid.NewString(), "config-validate", "")
	s.SetHealthy(true)
	s.RequireToken("tok")

	s.Reset()
	g.Expect(s.Tasks()).To(BeEmpty())
	g.Expect(s.Submissions("config-validate")).To(BeZero())
	g.Expect(s.Runs(id)).To(BeZero())
	g.Expect(s.Healthy()).To(BeFalse())
	g.Expect(s.NodeID()).To(Equal(nodeID))
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/tasks", "").status).To(Equal(http.StatusUnauthorized))

	s.RequireToken("")
	ready := submit(t, s, uuid.NewString(), "mark-ready", "")
	g.Expect(status(s, ready)).To(Equal("completed"), "delay, failures and hangs are gone")
}

func TestCloseStopsPendingRuns(t *testing.T) {
	g := NewWithT(t)
	s := sidecartest.NewServer()
	s.SetDelay(20 * time.Millisecond)
	id := submit(t, s, uuid.NewString(), "config-validate", "")
	s.Close()
	g.Consistently(func() string { return status(s, id) }).
		WithTimeout(80 * time.Millisecond).Should(Equal("running"))
	s.Close() // idempotent
}
