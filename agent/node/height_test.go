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
	defer sidecars.Close()
	startAgent(t, agentOpts{sidecars: sidecars, height: func(context.Context, *seiv1alpha1.SeiNode) (int64, error) {
		return height.Add(1), nil
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
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":-1,"result":{"node_info":{},"sync_info":{"latest_block_height":"1234"}}}`,
		`{"node_info":{},"sync_info":{"latest_block_height":"1234"}}`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			g.Expect(r.URL.Path).To(Equal("/status"))
			_, _ = w.Write([]byte(body))
		}))
		h, err := node.RPCHeight(func(*seiv1alpha1.SeiNode) string { return srv.URL })(t.Context(), fullNode("ns", "n"))
		srv.Close()
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(h).To(Equal(int64(1234)))
	}
	_, err := node.RPCHeight(func(*seiv1alpha1.SeiNode) string { return "http://127.0.0.1:1" })(t.Context(), fullNode("ns", "n"))
	g.Expect(err).To(HaveOccurred())
}
