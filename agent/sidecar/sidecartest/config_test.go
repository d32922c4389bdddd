package sidecartest_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
)

// configCase is config tasks run in order on a node whose home seid init --mode made, each with the
// answer the real seictl v0.0.68 gave (sei-config v0.0.23, seid v0.0.29-fix). TestConfigTasks holds the
// fake to these answers; the chain-tagged TestFakeAnswersConfigTasksAsTheRealSidecar runs the same
// steps against the real binaries and the fake and asserts both answer alike.
type configCase struct {
	name  string
	mode  string // of seid init
	steps []configStep
}

type configStep struct {
	taskType, params string
	want             outcome
}

// outcome is what GET /v0/tasks/{id} says of a finished task.
type outcome struct {
	Status string          `json:"status"`
	Error  string          `json:"error,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
}

func completed() outcome        { return outcome{Status: sidecartest.StatusCompleted} }
func failed(msg string) outcome { return outcome{Status: sidecartest.StatusFailed, Error: msg} }

// freshHome is config-validate's answer on a home seid init made: sei-config finds no pruning strategy
// where it looks.
func freshHome(mode string) outcome {
	return failed(`config validation failed: {"valid":false,"version":2,"mode":"` + mode + `","diagnostics":[` +
		`{"severity":"ERROR","field":"storage.pruning","message":"unknown pruning strategy \"\"; valid: default, nothing, everything, custom"}]}`)
}

var configCases = []configCase{
	{"an unknown override key fails config-apply, and the config stays unresolved", "full", []configStep{
		{"config-apply", `{"mode":"full","overrides":{"p2p.max-num-inbound-peers":"80"}}`,
			failed(`config-apply: applying overrides: unknown override key "p2p.max-num-inbound-peers"`)},
		{"config-validate", `{}`, freshHome("full")},
	}},
	{"a validator's home", "validator", []configStep{
		{"config-validate", `{}`, freshHome("validator")},
		{"config-apply", `{"mode":"validator","overrides":{"p2p.max-connections":"80"}}`,
			failed(`config-apply: applying overrides: unknown override key "p2p.max-connections"`)},
		{"config-validate", `{}`, freshHome("validator")},
	}},
	{"a value sei-config cannot parse", "full", []configStep{
		{"config-apply", `{"mode":"full","overrides":{"network.p2p.max_connections":"lots"}}`,
			failed(`config-apply: applying overrides: applying override "network.p2p.max_connections"="lots": expected integer`)},
	}},
	{"a value sei-config's checks refuse", "full", []configStep{
		{"config-apply", `{"mode":"full","overrides":{"storage.pruning":"bogus"}}`,
			failed(`config validation failed: [{"severity":"ERROR","field":"storage.pruning","message":"unknown pruning strategy \"bogus\"; valid: default, nothing, everything, custom"}]`)},
	}},
	{"no mode", "full", []configStep{
		{"config-apply", `{}`, failed(`config-apply: mode is required for non-incremental config resolution`)},
	}},
	{"an unknown mode", "full", []configStep{
		{"config-apply", `{"mode":"light"}`, failed(`config-apply: invalid mode "light"`)},
	}},
	{"a number for a value", "full", []configStep{
		{"config-apply", `{"mode":"full","overrides":{"logging.level":1}}`,
			failed(`parsing params: json: cannot unmarshal number into Go struct field ConfigIntent.overrides of type string`)},
	}},
	{"valid overrides resolve; incremental ones patch them", "full", []configStep{
		{"config-apply", `{"mode":"full","overrides":{"network.p2p.max_connections":"80","logging.level":"debug"}}`, completed()},
		{"config-validate", `{}`, completed()},
		{"config-apply", `{"incremental":true,"overrides":{"logging.level":"info"}}`, completed()},
		{"config-apply", `{"incremental":true,"overrides":{"p2p.max-num-inbound-peers":"1"}}`,
			failed(`config-apply incremental: applying incremental overrides: unknown override key "p2p.max-num-inbound-peers"`)},
		{"config-validate", `{"ignored":1}`, completed()},
	}},
	{"incremental overrides on the home seid init made", "full", []configStep{
		{"config-apply", `{"incremental":true,"overrides":{"logging.level":"info"}}`,
			failed(`config validation failed: [{"severity":"ERROR","field":"storage.pruning","message":"unknown pruning strategy \"\"; valid: default, nothing, everything, custom"}]`)},
	}},
	{"what sei-config takes and the fleet refuses", "full", []configStep{
		{"config-apply", `{"mode":"seed","overrides":{"network.p2p.max_connections":"0x10","mode":"validator"}}`, completed()},
		{"config-validate", `{}`, completed()},
	}},
	{"another mode than the home's", "validator", []configStep{
		{"config-apply", `{"mode":"archive"}`, completed()},
		{"config-validate", `{}`, completed()},
	}},
}

func TestConfigTasks(t *testing.T) {
	for _, tc := range configCases {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			s.InitHome(tc.mode)
			for i, got := range runSteps(t, s.URL(), tc.steps) {
				NewWithT(t).Expect(got).To(Equal(tc.steps[i].want), "step %d: %s %s", i+1, tc.steps[i].taskType, tc.steps[i].params)
			}
		})
	}
}

func TestAScriptedFailureWritesNoConfig(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	s.FailTask("config-apply", 1, "disk full")
	steps := []configStep{{taskType: "config-apply", params: `{"mode":"full"}`}, {taskType: "config-validate", params: `{}`}}
	got := runSteps(t, s.URL(), steps)
	g.Expect(got[0]).To(Equal(failed("disk full")))
	g.Expect(got[1]).To(Equal(freshHome("full")))
}

func TestResetForgetsTheConfig(t *testing.T) {
	g := NewWithT(t)
	s := newServer(t)
	steps := []configStep{{taskType: "config-apply", params: `{"mode":"full"}`}, {taskType: "config-validate", params: `{}`}}
	g.Expect(runSteps(t, s.URL(), steps)).To(Equal([]outcome{completed(), completed()}))
	s.Reset()
	g.Expect(runSteps(t, s.URL(), steps[1:])).To(Equal([]outcome{freshHome("full")}))
}

// runSteps submits each step to the sidecar at base under a new id, with header (name, value, ...),
// waits for it to finish, and returns the outcomes in order.
func runSteps(t *testing.T, base string, steps []configStep, header ...string) []outcome {
	t.Helper()
	out := make([]outcome, len(steps))
	for i, st := range steps {
		id := uuid.NewString()
		a := call(t, http.MethodPost, base+"/v0/tasks", `{"id":"`+id+`","type":"`+st.taskType+`","params":`+st.params+`}`, header...)
		if a.status != http.StatusCreated {
			t.Fatalf("submit %s: %d %s", st.taskType, a.status, a.body)
		}
		out[i] = await(t, base, id, header)
	}
	return out
}

// await polls task id until it is no longer running.
func await(t *testing.T, base, id string, header []string) outcome {
	t.Helper()
	var o outcome
	NewWithT(t).Eventually(func(g Gomega) {
		a := call(t, http.MethodGet, base+"/v0/tasks/"+id, "", header...)
		g.Expect(a.status).To(Equal(http.StatusOK), a.body)
		o = outcome{}
		g.Expect(json.Unmarshal([]byte(a.body), &o)).To(Succeed())
		g.Expect(o.Status).NotTo(Equal(sidecartest.StatusRunning))
	}).WithTimeout(10 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
	return o
}
