package sidecartest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
)

// These tests speak raw HTTP so that they check the fake against seictl's
// wire format (sidecar/server/server.go, sidecar/engine/types.go), not
// against package sidecar's reading of it.

type answer struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, method, url, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func newServer(t *testing.T) *sidecartest.Server {
	t.Helper()
	s := sidecartest.NewServer()
	t.Cleanup(s.Close)
	return s
}

func TestPostTaskAnswers201ForNewDuplicateAndRerun(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	id := uuid.NewString()
	body := `{"id":"` + id + `","type":"restart-seid"}`

	s.FailTask("restart-seid", 1, "boom")
	for _, want := range []string{"failed", "completed", "completed"} {
		a := call(t, http.MethodPost, s.URL()+"/v0/tasks", body)
		g.Expect(a.status).To(Equal(http.StatusCreated))
		g.Expect(a.header.Get("Content-Type")).To(Equal("application/json"))
		g.Expect(a.body).To(MatchJSON(`{"id":"` + id + `"}`))
		task, ok := s.Task(id)
		g.Expect(ok).To(BeTrue())
		g.Expect(task.Status).To(Equal(want))
	}
	g.Expect(s.Runs(id)).To(Equal(2))
	g.Expect(s.Submissions("restart-seid")).To(Equal(3))

	a := call(t, http.MethodPost, s.URL()+"/v0/tasks", `{"type":"mark-ready"}`)
	g.Expect(a.status).To(Equal(http.StatusCreated))
	var got struct{ ID string }
	g.Expect(json.Unmarshal([]byte(a.body), &got)).To(Succeed())
	g.Expect(uuid.Parse(got.ID)).Error().NotTo(HaveOccurred())
}

func TestPostTaskRejections(t *testing.T) {
	for _, tc := range []struct {
		name, body, message string
	}{
		{name: "not JSON", body: `type=mark-ready`, message: "invalid request body"},
		{name: "params is an array", body: `{"type":"config-apply","params":[1]}`, message: "invalid request body"},
		{name: "params is a string", body: `{"type":"config-apply","params":"x"}`, message: "invalid request body"},
		{name: "no type", body: `{"id":"` + uuid.NewString() + `"}`, message: "type is required"},
		{name: "unknown type", body: `{"type":"mark_ready"}`, message: "unknown task type: mark_ready"},
		{name: "unknown type wins over bad id", body: `{"id":"x","type":"nope"}`, message: "unknown task type: nope"},
		{name: "id not a UUID", body: `{"id":"plan-1","type":"mark-ready"}`, message: `task ID must be a valid UUID: "plan-1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			s := newServer(t)
			a := call(t, http.MethodPost, s.URL()+"/v0/tasks", tc.body)
			g.Expect(a.status).To(Equal(http.StatusBadRequest))
			g.Expect(a.body).To(MatchJSON(`{"error":` + quote(tc.message) + `}`))
			g.Expect(s.Tasks()).To(BeEmpty())
		})
	}
}

func quote(s string) string {
	raw, _ := json.Marshal(s)
	return string(raw)
}

func TestTaskRecordWireFormat(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	s.HangTask("restart-seid")
	running := uuid.NewString()
	call(t, http.MethodPost, s.URL()+"/v0/tasks", `{"id":"`+running+`","type":"restart-seid"}`)
	a := call(t, http.MethodGet, s.URL()+"/v0/tasks/"+running, "")
	g.Expect(a.status).To(Equal(http.StatusOK))
	var rec map[string]any
	g.Expect(json.Unmarshal([]byte(a.body), &rec)).To(Succeed())
	g.Expect(rec).To(HaveKeyWithValue("id", running))
	g.Expect(rec).To(HaveKeyWithValue("type", "restart-seid"))
	g.Expect(rec).To(HaveKeyWithValue("status", "running"))
	g.Expect(rec).To(HaveKeyWithValue("run", BeNumerically("==", 1)))
	g.Expect(rec).NotTo(HaveKey("completedAt"))
	g.Expect(rec).NotTo(HaveKey("params"), "absent params are omitted")
	g.Expect(rec).NotTo(HaveKey("error"))
	g.Expect(time.Parse(time.RFC3339Nano, rec["submittedAt"].(string))).Error().NotTo(HaveOccurred())

	s.FailTask("config-apply", 1, "config-apply: bad override")
	s.SetResult("config-apply", json.RawMessage(`{"ignored":"on failure"}`))
	failed := uuid.NewString()
	call(t, http.MethodPost, s.URL()+"/v0/tasks", `{"id":"`+failed+`","type":"config-apply","params":{"mode":"full"}}`)
	a = call(t, http.MethodGet, s.URL()+"/v0/tasks/"+failed, "")
	g.Expect(json.Unmarshal([]byte(a.body), &rec)).To(Succeed())
	g.Expect(rec).To(HaveKeyWithValue("status", "failed"))
	g.Expect(rec).To(HaveKeyWithValue("error", "config-apply: bad override"))
	g.Expect(rec).To(HaveKeyWithValue("params", map[string]any{"mode": "full"}))
	g.Expect(rec).To(HaveKey("completedAt"))
	g.Expect(rec).NotTo(HaveKey("result"))

	a = call(t, http.MethodGet, s.URL()+"/v0/tasks", "")
	g.Expect(a.status).To(Equal(http.StatusOK))
	var list []map[string]any
	g.Expect(json.Unmarshal([]byte(a.body), &list)).To(Succeed())
	g.Expect(list).To(HaveLen(2))
	g.Expect(list[0]).To(HaveKeyWithValue("id", failed))
}

func TestListIsEmptyArrayAndCappedAt100(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/tasks", "").body).To(MatchJSON(`[]`))

	var last string
	for range 105 {
		last = uuid.NewString()
		call(t, http.MethodPost, s.URL()+"/v0/tasks", `{"id":"`+last+`","type":"config-validate"}`)
	}
	var list []map[string]any
	g.Expect(json.Unmarshal([]byte(call(t, http.MethodGet, s.URL()+"/v0/tasks", "").body), &list)).To(Succeed())
	g.Expect(list).To(HaveLen(100))
	g.Expect(list[0]).To(HaveKeyWithValue("id", last))
	g.Expect(s.Tasks()).To(HaveLen(105))
}

func TestNotFoundDeleteAndRouting(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	id := uuid.NewString()
	notFound := `{"error":"task not found"}`

	a := call(t, http.MethodGet, s.URL()+"/v0/tasks/"+id, "")
	g.Expect(a.status).To(Equal(http.StatusNotFound))
	g.Expect(a.body).To(MatchJSON(notFound))
	a = call(t, http.MethodDelete, s.URL()+"/v0/tasks/"+id, "")
	g.Expect(a.status).To(Equal(http.StatusNotFound))
	g.Expect(a.body).To(MatchJSON(notFound))

	call(t, http.MethodPost, s.URL()+"/v0/tasks", `{"id":"`+id+`","type":"mark-ready"}`)
	a = call(t, http.MethodDelete, s.URL()+"/v0/tasks/"+id, "")
	g.Expect(a.status).To(Equal(http.StatusNoContent))
	g.Expect(a.body).To(BeEmpty())

	g.Expect(call(t, http.MethodPut, s.URL()+"/v0/tasks", "").status).To(Equal(http.StatusMethodNotAllowed))
	g.Expect(call(t, http.MethodPost, s.URL()+"/v0/healthz", "").status).To(Equal(http.StatusMethodNotAllowed))
	g.Expect(call(t, http.MethodGet, s.URL()+"/v1/tasks", "").status).To(Equal(http.StatusNotFound))
}

func TestProbesAndStatus(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	for _, p := range []string{"/v0/healthz", "/v0/startupz"} {
		a := call(t, http.MethodGet, s.URL()+p, "")
		g.Expect(a.status).To(Equal(http.StatusServiceUnavailable), p)
		g.Expect(a.body).To(BeEmpty())
	}
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/status", "").body).To(MatchJSON(`{"status":"Initializing"}`))
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/livez", "").status).To(Equal(http.StatusOK))
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/metrics", "").status).To(Equal(http.StatusOK))

	call(t, http.MethodPost, s.URL()+"/v0/tasks", `{"type":"mark-ready"}`)
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/healthz", "").status).To(Equal(http.StatusOK))
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/startupz", "").status).To(Equal(http.StatusOK))
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/status", "").body).To(MatchJSON(`{"status":"Ready"}`))
	g.Expect(s.Healthy()).To(BeTrue())
}

func TestNodeIDEndpoint(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	g.Expect(s.NodeID()).To(MatchRegexp(`^[0-9a-f]{40}$`))
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/node-id", "").body).To(MatchJSON(`{"nodeId":"` + s.NodeID() + `"}`))

	s.SetNodeID("")
	a := call(t, http.MethodGet, s.URL()+"/v0/node-id", "")
	g.Expect(a.status).To(Equal(http.StatusInternalServerError))
	g.Expect(a.body).To(ContainSubstring("generate-identity may not have run yet"))
}

func TestRequireToken(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	s.RequireToken("tok")
	for _, p := range []string{"/v0/healthz", "/v0/startupz", "/v0/livez", "/v0/metrics"} {
		g.Expect(call(t, http.MethodGet, s.URL()+p, "").status).NotTo(Equal(http.StatusUnauthorized), p)
	}
	for _, header := range [][]string{nil, {"Authorization", "Bearer other"}, {"Authorization", "tok"}} {
		a := call(t, http.MethodGet, s.URL()+"/v0/node-id", "", header...)
		g.Expect(a.status).To(Equal(http.StatusUnauthorized), "%v", header)
	}
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/node-id", "", "Authorization", "Bearer tok").status).To(Equal(http.StatusOK))

	s.RequireToken("")
	g.Expect(call(t, http.MethodGet, s.URL()+"/v0/node-id", "").status).To(Equal(http.StatusOK))
}
