package node_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/node"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestRunningNodeReportsItsBlockHeight(t *testing.T) {
	g := NewWithT(t)
	var height atomic.Int64
	height.Store(41)
	sidecars := sidecartest.NewFleet()
	t.Cleanup(sidecars.Close) // after the agent stops: cleanups run last-in first-out
	startAgent(t, agentOpts{sidecars: sidecars, height: func(context.Context, *seiv1alpha1.SeiNode) (node.ChainStatus, error) {
		return node.ChainStatus{Height: height.Add(1)}, nil
	}})
	ns := namespace(t)
	n := fullNode(ns, "tall")
	g.Expect(member().Client.Create(t.Context(), n)).To(Succeed())
	key := client.ObjectKeyFromObject(n)
	dumpOnFailure(t, key)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	g.Eventually(func() int64 { return get(t, key).Status.Height }).WithTimeout(10*time.Second).Should(BeNumerically(">=", 43),
		"the height is read on an interval")
}

func TestRPCHeightReadsTendermintStatus(t *testing.T) {
	g := NewWithT(t)
	for _, tc := range []struct {
		body string
		want node.ChainStatus
	}{
		{`{"jsonrpc":"2.0","id":-1,"result":{"node_info":{"id":"abc","network":"test-1"},"sync_info":{"latest_block_height":"1234","catching_up":false}}}`,
			node.ChainStatus{Height: 1234}},
		{`{"node_info":{"id":"abc","network":"test-1"},"sync_info":{"latest_block_height":"1234","catching_up":true}}`,
			node.ChainStatus{Height: 1234, CatchingUp: true}},
	} {
		st, err := heightFrom(t, tc.body, fullNode("ns", "n"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(st).To(Equal(tc.want))
	}
	_, err := node.RPCHeight(func(*seiv1alpha1.SeiNode) string { return "http://127.0.0.1:1" })(t.Context(), fullNode("ns", "n"))
	g.Expect(err).To(HaveOccurred())
}

// In PodIP mode a stale address may answer for another node, of this chain or another: its height is
// not this node's.
func TestRPCHeightRefusesAnotherChainOrNode(t *testing.T) {
	withID := fullNode("ns", "n")
	withID.Status.NodeID = "0123abcd"
	for _, tc := range []struct {
		name string
		node *seiv1alpha1.SeiNode
		body string
		want int64
		err  string
	}{
		{name: "another chain", node: fullNode("ns", "n"),
			body: `{"result":{"node_info":{"id":"abc","network":"other-1"},"sync_info":{"latest_block_height":"99"}}}`,
			err:  `answers for chain "other-1", not test-1`},
		{name: "no chain", node: fullNode("ns", "n"),
			body: `{"result":{"node_info":{},"sync_info":{"latest_block_height":"99"}}}`,
			err:  `answers for chain "", not test-1`},
		{name: "no node_info", node: fullNode("ns", "n"),
			body: `{"sync_info":{"latest_block_height":"99"}}`,
			err:  `answers for chain "", not test-1`},
		{name: "another node of the chain", node: withID,
			body: `{"result":{"node_info":{"id":"ffff0000","network":"test-1"},"sync_info":{"latest_block_height":"99"}}}`,
			err:  `answers as node "ffff0000", not 0123abcd`},
		{name: "this node", node: withID,
			body: `{"result":{"node_info":{"id":"0123ABCD","network":"test-1"},"sync_info":{"latest_block_height":"99"}}}`,
			want: 99},
		{name: "above the largest exact JSON integer", node: fullNode("ns", "n"),
			body: `{"result":{"node_info":{"id":"abc","network":"test-1"},"sync_info":{"latest_block_height":"9007199254740992"}}}`,
			err:  "height 9007199254740992 is above 9007199254740991"},
		{name: "the largest exact JSON integer", node: fullNode("ns", "n"),
			body: `{"result":{"node_info":{"id":"abc","network":"test-1"},"sync_info":{"latest_block_height":"9007199254740991"}}}`,
			want: 9007199254740991},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			st, err := heightFrom(t, tc.body, tc.node)
			if tc.err == "" {
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(st.Height).To(Equal(tc.want))
				return
			}
			g.Expect(err).To(MatchError(ContainSubstring(tc.err)))
			g.Expect(st).To(BeZero())
		})
	}
}

// heightFrom reads n's height from a seid RPC that answers /status with body.
func heightFrom(t *testing.T, body string, n *seiv1alpha1.SeiNode) (node.ChainStatus, error) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/status" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	return node.RPCHeight(func(*seiv1alpha1.SeiNode) string { return srv.URL })(t.Context(), n)
}
