//go:build chain

package chain

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/node"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/genesis"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// TestFourValidatorNetwork runs four seid nodes on 127.0.0.1 from one
// natively assembled genesis (keys, gentxs, genesis all made in Go), peered
// through the persistent peers Assemble derives from the gentx memos, and
// waits until every node has committed blocks.
func TestFourValidatorNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four nodes; skipped with -short")
	}
	g := NewWithT(t)
	s := requireSeid(t)
	const chainID = "net-4"
	const n = 4
	p2p, rpc := make([]int, n), make([]int, n)
	vals := make([]validator, n)
	in := genesis.Input{ChainID: chainID, GenesisTime: time.Now().UTC()}
	for i := range n {
		p2p[i], rpc[i] = freePort(t), freePort(t)
		vals[i] = mintValidator(t, i, chainID, p2p[i])
		in.Gentxs = append(in.Gentxs, vals[i].gentx)
		in.Accounts = append(in.Accounts, vals[i].account(false))
	}
	res, err := genesis.Assemble(in)
	g.Expect(err).NotTo(HaveOccurred())
	peers := res.PersistentPeers()
	g.Expect(peers).To(HaveLen(n))

	logs := make([]string, n)
	for i, v := range vals {
		home := initHome(t, s, chainID)
		writeFile(t, home, "config/genesis.json", res.Genesis, 0o644)
		writeFile(t, home, "config/priv_validator_key.json", v.cons.JSON(), 0o600)
		writeFile(t, home, "config/node_key.json", v.node.JSON(), 0o600)
		writeFile(t, home, "data/priv_validator_state.json", seikeys.InitialPrivValidatorStateJSON(), 0o600)
		self := fmt.Sprintf("%s@127.0.0.1:%d", v.node.ID(), p2p[i])
		g.Expect(peers).To(ContainElement(self), "the gentx memo is the node's P2P address")
		configureNode(t, home, p2p[i], rpc[i], slices.DeleteFunc(slices.Clone(peers), func(p string) bool { return p == self }))
		logs[i] = filepath.Join(t.TempDir(), "seid.log")
		stop := startNode(t, s, home, logs[i])
		defer stop()
	}

	heights := make([]int64, n)
	deadline := time.Now().Add(120 * time.Second)
	for slices.Min(heights) < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Second)
		for i := range n {
			heights[i] = latestHeight(t.Context(), fmt.Sprintf("http://127.0.0.1:%d", rpc[i]))
		}
	}
	if slices.Min(heights) < 3 {
		var tails []string
		for i, l := range logs {
			tails = append(tails, fmt.Sprintf("--- node %d:\n%s", i, tail(l, 15)))
		}
		t.Fatalf("not all nodes reached height 3: %v\n%s", heights, strings.Join(tails, "\n"))
	}
	t.Logf("heights %v", heights)

	// The agent's reader takes seid's own /status as it answers: this chain, this node, its height, and
	// not catching up on a network that makes blocks.
	for i, v := range vals {
		n := &seiv1alpha1.SeiNode{Spec: seiv1alpha1.SeiNodeSpec{ChainID: chainID}, Status: seiv1alpha1.SeiNodeStatus{NodeID: v.node.ID()}}
		base := fmt.Sprintf("http://127.0.0.1:%d", rpc[i])
		st, err := node.RPCHeight(func(*seiv1alpha1.SeiNode) string { return base })(t.Context(), n)
		g.Expect(err).NotTo(HaveOccurred(), "node %d", i)
		g.Expect(st.Height).To(BeNumerically(">=", heights[i]), "node %d", i)
		g.Expect(st.CatchingUp).To(BeFalse(), "node %d is not catching up", i)
	}
}
