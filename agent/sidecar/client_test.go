package sidecar_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
)

// newPair starts a fake sidecar and a client for it.
func newPair(t *testing.T) (*sidecartest.Server, *sidecar.Client) {
	t.Helper()
	srv := sidecartest.NewServer()
	t.Cleanup(srv.Close)
	return srv, sidecar.New(srv.URL())
}

// newRawServer serves h on loopback, for answers the fake never gives.
func newRawServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestSubmitTaskAndGetTask(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	task, err := sidecar.NewTask(uuid.NewString(), sidecar.TaskTypeConfigApply,
		sidecar.ConfigIntent{Mode: sidecar.ModeFull, Overrides: map[string]string{"logging.level": "error"}})
	g.Expect(err).NotTo(HaveOccurred())

	id, err := c.SubmitTask(t.Context(), task)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(id).To(Equal(task.ID))

	res, err := c.GetTask(t.Context(), id)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.ID).To(Equal(id))
	g.Expect(res.Type).To(Equal(sidecar.TaskTypeConfigApply))
	g.Expect(res.Status).To(Equal(sidecar.StatusCompleted))
	g.Expect(res.Terminal()).To(BeTrue())
	g.Expect(res.Run).To(Equal(1))
	g.Expect(res.Params).To(MatchJSON(`{"mode":"full","overrides":{"logging.level":"error"}}`))
	g.Expect(res.SubmittedAt).NotTo(BeZero())
	g.Expect(res.CompletedAt).NotTo(BeNil())
	g.Expect(srv.Runs(id)).To(Equal(1))
}

func TestSubmitTaskWithoutIDGetsOneAssigned(t *testing.T) {
	g := NewWithT(t)
	_, c := newPair(t)
	id, err := c.SubmitTask(t.Context(), sidecar.Task{Type: sidecar.TaskTypeConfigValidate})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(uuid.Parse(id)).Error().NotTo(HaveOccurred())
}

func TestSubmitTaskIsIdempotent(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	task := sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeRestartSeid}
	for range 3 {
		id, err := c.SubmitTask(t.Context(), task)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(id).To(Equal(task.ID))
	}
	g.Expect(srv.Submissions(sidecar.TaskTypeRestartSeid)).To(Equal(3))
	g.Expect(srv.Runs(task.ID)).To(Equal(1))
}

func TestSubmitTaskRejections(t *testing.T) {
	for _, tc := range []struct {
		name    string
		task    sidecar.Task
		local   bool // rejected before sending
		message string
	}{
		{name: "no type", task: sidecar.Task{ID: uuid.NewString()}, local: true},
		{name: "params not an object", task: sidecar.Task{Type: sidecar.TaskTypeMarkReady, Params: json.RawMessage(`[1]`)}, local: true},
		{name: "params not JSON", task: sidecar.Task{Type: sidecar.TaskTypeMarkReady, Params: json.RawMessage(`{`)}, local: true},
		{name: "unknown type", task: sidecar.Task{Type: "config-aply"}, message: "unknown task type: config-aply"},
		{name: "id not a UUID", task: sidecar.Task{ID: "plan-1-config-apply", Type: sidecar.TaskTypeConfigApply}, message: `task ID must be a valid UUID: "plan-1-config-apply"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			srv, c := newPair(t)
			_, err := c.SubmitTask(t.Context(), tc.task)
			g.Expect(err).To(HaveOccurred())
			g.Expect(sidecar.IsPermanent(err)).To(BeTrue())
			if tc.local {
				g.Expect(err).To(MatchError(sidecar.ErrInvalidTask))
				g.Expect(srv.Tasks()).To(BeEmpty())
				return
			}
			var httpErr *sidecar.HTTPError
			g.Expect(errors.As(err, &httpErr)).To(BeTrue())
			g.Expect(httpErr.StatusCode).To(Equal(http.StatusBadRequest))
			g.Expect(httpErr.Message).To(Equal(tc.message))
		})
	}
}

func TestEveryTaskTypeConstantIsAccepted(t *testing.T) {
	g := NewWithT(t)
	_, c := newPair(t)
	for _, typ := range []string{
		sidecar.TaskTypeSnapshotRestore, sidecar.TaskTypeConfigureGenesis, sidecar.TaskTypeConfigApply,
		sidecar.TaskTypeConfigPatch, sidecar.TaskTypeConfigValidate, sidecar.TaskTypeConfigReload,
		sidecar.TaskTypeConfigureStateSync, sidecar.TaskTypeMarkReady, sidecar.TaskTypeMarkNotReady,
		sidecar.TaskTypeRestartSeid, sidecar.TaskTypeStopSeid, sidecar.TaskTypeResetData,
		sidecar.TaskTypeSnapshotUpload, sidecar.TaskTypeSnapshotUploadOnce, sidecar.TaskTypeResultExport,
		sidecar.TaskTypeAwaitCondition, sidecar.TaskTypeEvmLogicalDigest, sidecar.TaskTypeGenerateIdentity,
		sidecar.TaskTypeGenerateGentx, sidecar.TaskTypeUploadGenesisArtifacts,
		sidecar.TaskTypeAssembleAndUploadGenesis, sidecar.TaskTypeSetGenesisPeers, sidecar.TaskTypeGovVote,
		sidecar.TaskTypeGovSoftwareUpgrade, sidecar.TaskTypeGovParamChange,
	} {
		_, err := c.SubmitTask(t.Context(), sidecar.Task{ID: uuid.NewString(), Type: typ})
		g.Expect(err).NotTo(HaveOccurred(), typ)
	}
}

func TestGetTaskNotFound(t *testing.T) {
	g := NewWithT(t)
	_, c := newPair(t)
	_, err := c.GetTask(t.Context(), uuid.NewString())
	g.Expect(err).To(MatchError(sidecar.ErrNotFound))
	g.Expect(sidecar.IsPermanent(err)).To(BeFalse())
	var httpErr *sidecar.HTTPError
	g.Expect(errors.As(err, &httpErr)).To(BeTrue())
	g.Expect(httpErr.Message).To(Equal("task not found"))

	_, err = c.GetTask(t.Context(), "")
	g.Expect(err).To(MatchError(sidecar.ErrInvalidTask))
}

func TestListTasksNewestFirst(t *testing.T) {
	g := NewWithT(t)
	_, c := newPair(t)
	list, err := c.ListTasks(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(BeEmpty())

	first, second := uuid.NewString(), uuid.NewString()
	for _, id := range []string{first, second} {
		_, err := c.SubmitTask(t.Context(), sidecar.Task{ID: id, Type: sidecar.TaskTypeConfigValidate})
		g.Expect(err).NotTo(HaveOccurred())
	}
	list, err = c.ListTasks(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(HaveLen(2))
	g.Expect(list[0].ID).To(Equal(second))
	g.Expect(list[1].ID).To(Equal(first))
}

func TestDeleteTask(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	id := uuid.NewString()
	_, err := c.SubmitTask(t.Context(), sidecar.Task{ID: id, Type: sidecar.TaskTypeConfigValidate})
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(c.DeleteTask(t.Context(), id)).To(Succeed())
	_, err = c.GetTask(t.Context(), id)
	g.Expect(err).To(MatchError(sidecar.ErrNotFound))
	g.Expect(c.DeleteTask(t.Context(), id)).To(MatchError(sidecar.ErrNotFound))

	// A deleted id is new again: submitting it runs it a second time.
	_, err = c.SubmitTask(t.Context(), sidecar.Task{ID: id, Type: sidecar.TaskTypeConfigValidate})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(srv.Runs(id)).To(Equal(2))
}

func TestHealthzFlipsWithMarkReadyAndMarkNotReady(t *testing.T) {
	g := NewWithT(t)
	_, c := newPair(t)
	expectReady := func(want bool) {
		t.Helper()
		ok, err := c.Healthz(t.Context())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ok).To(Equal(want))
		status, err := c.Status(t.Context())
		g.Expect(err).NotTo(HaveOccurred())
		if want {
			g.Expect(status).To(Equal(sidecar.SidecarReady))
		} else {
			g.Expect(status).To(Equal(sidecar.SidecarInitializing))
		}
	}
	expectReady(false)

	ready := sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeMarkReady}
	_, err := c.SubmitTask(t.Context(), ready)
	g.Expect(err).NotTo(HaveOccurred())
	expectReady(true)

	done, err := sidecar.Run(t.Context(), c, sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeMarkNotReady})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(done).To(BeTrue())
	expectReady(false)
	// The hold purged the mark-ready record, so releasing again runs it anew.
	_, err = c.GetTask(t.Context(), ready.ID)
	g.Expect(err).To(MatchError(sidecar.ErrNotFound))
}

func TestHealthzOverrideAndProxyBypass(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	srv.SetHealthy(true)
	g.Expect(c.Healthz(t.Context())).To(BeTrue())

	// A proxy answering 401 is not "not ready": the caller cannot tell.
	srv.RequireToken("secret")
	_, err := c.Status(t.Context())
	g.Expect(err).To(HaveOccurred())
	g.Expect(c.Healthz(t.Context())).To(BeTrue(), "healthz bypasses the proxy")
}

func TestNodeID(t *testing.T) {
	g := NewWithT(t)
	srv, c := newPair(t)
	id, err := c.NodeID(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(id).To(MatchRegexp(`^[0-9a-f]{40}$`))

	srv.SetNodeID("0123456789abcdef0123456789abcdef01234567")
	g.Expect(c.NodeID(t.Context())).To(Equal("0123456789abcdef0123456789abcdef01234567"))

	srv.SetNodeID("")
	_, err = c.NodeID(t.Context())
	var httpErr *sidecar.HTTPError
	g.Expect(errors.As(err, &httpErr)).To(BeTrue())
	g.Expect(httpErr.StatusCode).To(Equal(http.StatusInternalServerError))
	g.Expect(httpErr.Message).To(ContainSubstring("node_key.json not found"))
	g.Expect(sidecar.IsPermanent(err)).To(BeFalse())
}

func TestBearerToken(t *testing.T) {
	g := NewWithT(t)
	srv := sidecartest.NewServer()
	t.Cleanup(srv.Close)
	srv.RequireToken("projected-token")

	_, err := sidecar.New(srv.URL()).NodeID(t.Context())
	var httpErr *sidecar.HTTPError
	g.Expect(errors.As(err, &httpErr)).To(BeTrue())
	g.Expect(httpErr.StatusCode).To(Equal(http.StatusUnauthorized))
	g.Expect(httpErr.Message).To(Equal("Unauthorized"))
	g.Expect(sidecar.IsPermanent(err)).To(BeFalse(), "a rotating token is a moment, not a verdict")

	c := sidecar.New(srv.URL(), sidecar.WithTokenSource(sidecar.StaticTokenSource("projected-token")))
	g.Expect(c.NodeID(t.Context())).NotTo(BeEmpty())
	_, err = c.SubmitTask(t.Context(), sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeMarkReady})
	g.Expect(err).NotTo(HaveOccurred())

	failing := sidecar.New(srv.URL(), sidecar.WithTokenSource(func(context.Context) (string, error) {
		return "", errors.New("no token yet")
	}))
	_, err = failing.NodeID(t.Context())
	g.Expect(err).To(MatchError(ContainSubstring("get bearer token: no token yet")))
}

func TestTimeoutAndUnreachable(t *testing.T) {
	g := NewWithT(t)
	srv, _ := newPair(t)
	srv.SetLatency(time.Minute)
	c := sidecar.New(srv.URL(), sidecar.WithTimeout(50*time.Millisecond))
	start := time.Now()
	_, err := c.Healthz(t.Context())
	g.Expect(err).To(MatchError(context.DeadlineExceeded))
	g.Expect(time.Since(start)).To(BeNumerically("<", 5*time.Second))
	g.Expect(sidecar.IsPermanent(err)).To(BeFalse())

	srv.SetLatency(0)
	srv.SetUnreachable(true)
	_, err = c.GetTask(t.Context(), uuid.NewString())
	g.Expect(err).To(HaveOccurred())
	g.Expect(err).NotTo(MatchError(sidecar.ErrNotFound))
	g.Expect(sidecar.IsPermanent(err)).To(BeFalse())

	srv.SetUnreachable(false)
	g.Expect(c.Healthz(t.Context())).To(BeFalse())
}
