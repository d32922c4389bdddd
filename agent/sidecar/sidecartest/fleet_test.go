package sidecartest_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
)

func newFleet(t *testing.T) *sidecartest.Fleet {
	t.Helper()
	f := sidecartest.NewFleet()
	t.Cleanup(f.Close)
	return f
}

func TestFleetRoutesEachNodeToItsOwnSidecar(t *testing.T) {
	g := NewWithT(t)
	f := newFleet(t)
	address := f.Address

	a := sidecar.New(address("chain-a", "val-0"))
	b := sidecar.New(address("chain-b", "val-0"))
	g.Expect(sidecar.Run(t.Context(), a, sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeMarkReady})).To(BeTrue())

	g.Expect(a.Healthz(t.Context())).To(BeTrue())
	g.Expect(b.Healthz(t.Context())).To(BeFalse())
	g.Expect(a.NodeID(t.Context())).To(Equal(sidecartest.NodeIDFor("chain-a", "val-0")))
	g.Expect(b.NodeID(t.Context())).To(Equal(sidecartest.NodeIDFor("chain-b", "val-0")))
	g.Expect(sidecartest.NodeIDFor("chain-a", "val-0")).To(MatchRegexp(`^[0-9a-f]{40}$`))
	g.Expect(f.Nodes()).To(Equal([]string{"chain-a/val-0", "chain-b/val-0"}))

	node := f.Node("chain-a", "val-0")
	g.Expect(f.Node("chain-a", "val-0")).To(BeIdenticalTo(node))
	g.Expect(node.URL()).To(Equal(address("chain-a", "val-0")))
	g.Expect(node.Submissions(sidecar.TaskTypeMarkReady)).To(Equal(1))
	g.Expect(f.Node("chain-b", "val-0").Tasks()).To(BeEmpty())
}

func TestFleetNodeScriptsApply(t *testing.T) {
	g := NewWithT(t)
	f := newFleet(t)
	node := f.Node("ns", "n")
	node.SetNodeID("")
	node.FailTask(sidecar.TaskTypeRestartSeid, 1, "seid did not restart")
	node.RequireToken("tok")
	c := sidecar.New(f.Address("ns", "n"), sidecar.WithTokenSource(sidecar.StaticTokenSource("tok")))

	_, err := c.NodeID(t.Context())
	g.Expect(err).To(MatchError(ContainSubstring("node_key.json not found")))
	_, err = sidecar.Run(t.Context(), c, sidecar.Task{ID: uuid.NewString(), Type: sidecar.TaskTypeRestartSeid})
	g.Expect(err).To(MatchError(ContainSubstring("seid did not restart")))

	node.SetUnreachable(true)
	_, err = c.Healthz(t.Context())
	g.Expect(err).To(HaveOccurred())
	g.Expect(sidecar.New(f.Address("ns", "other")).Healthz(t.Context())).To(BeFalse(), "only that node is down")
}

func TestFleetPaths(t *testing.T) {
	g := NewWithT(t)
	f := newFleet(t)
	g.Expect(call(t, http.MethodGet, f.Address("ns", "n")+"/v0/nope", "").status).To(Equal(http.StatusNotFound))
	g.Expect(call(t, http.MethodPut, f.Address("ns", "n")+"/v0/tasks", "").status).To(Equal(http.StatusMethodNotAllowed))
	a := call(t, http.MethodGet, f.Address("ns", "n")+"/v0/tasks/"+uuid.NewString(), "")
	g.Expect(a.status).To(Equal(http.StatusNotFound))
	g.Expect(a.body).To(MatchJSON(`{"error":"task not found"}`))
}
