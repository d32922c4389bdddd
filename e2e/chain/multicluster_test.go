//go:build chain

package chain

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// TestMultiClusterCeremonyProducesBlocks runs a genesis ceremony for four validators over three member
// clusters (real kube-apiservers, the real hub and agents), then plays each validator's pod: a seid
// started from nothing but what the fleet produced — the keys the agent minted into Secrets on the
// member that runs the node, the genesis ConfigMap the hub distributed to that member, and the peers
// on the node's hub record. Each node listens on its own loopback address, the load-balancer IP of
// its P2P Service, which is also the address in its gentx memo and in the other nodes' peers. The four
// must produce blocks on one chain whose validators are the consensus keys from the Secrets, and no
// private key may have reached the hub, in any object, or the hub's and agents' logs.
func TestMultiClusterCeremonyProducesBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a fleet and four nodes; skipped with -short")
	}
	g := NewWithT(t)
	s := requireSeid(t)
	f := requireFleet(t)
	ns := f.namespace(t)

	began := time.Now()
	dep := f.ceremony(t, ns, "vals", 4, 15*time.Second)
	genesisTime := dep.Status.Genesis.GenesisTime.Time
	t.Logf("ceremony complete and distributed in %s; genesis %s; genesis_time %s from now",
		time.Since(began).Round(100*time.Millisecond), dep.Status.Genesis.SHA256[:12], time.Until(genesisTime).Round(100*time.Millisecond))
	nodes := f.fleetNodes(t, dep)

	procs := make([]*exec.Cmd, len(nodes))
	logPaths := make([]string, len(nodes))
	for i, n := range nodes {
		home := initHome(t, s, dep.Spec.ChainID)
		writeFile(t, home, "config/genesis.json", n.genesis, 0o644)
		writeFile(t, home, "config/node_key.json", n.nodeKeyJSON, 0o600)
		writeFile(t, home, "config/priv_validator_key.json", n.signingKeyJSON, 0o600)
		writeFile(t, home, "data/priv_validator_state.json", seikeys.InitialPrivValidatorStateJSON(), 0o600)
		configureOwnIP(t, home, n.ip, n.peers)
		logPaths[i] = filepath.Join(t.TempDir(), "seid.log")
		cmd, stop := startNodeCmd(t, s, home, logPaths[i], 5*time.Minute)
		t.Cleanup(stop)
		procs[i] = cmd
		t.Logf("%s (member %s) on %s, peers %v", n.name, n.cluster, n.ip, n.peers)
	}
	started := time.Now()
	if wait := time.Until(genesisTime); wait > 0 {
		t.Logf("genesis_time is %s ahead: the nodes wait for it", wait.Round(100*time.Millisecond))
	}

	// Every node reaches height 5, within two minutes of genesis_time (or of starting, if later).
	heights := make([]int64, len(nodes))
	deadline := genesisTime
	if started.After(deadline) {
		deadline = started
	}
	deadline = deadline.Add(2 * time.Minute)
	for slices.Min(heights) < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Second)
		for i, n := range nodes {
			heights[i] = latestHeight(t.Context(), rpcOf(n))
		}
	}
	if slices.Min(heights) < 5 {
		var tails []string
		for i, n := range nodes {
			tails = append(tails, fmt.Sprintf("--- %s:\n%s", n.name, tail(logPaths[i], 20)))
		}
		t.Fatalf("not every node reached height 5: %v\n%s", heights, strings.Join(tails, "\n"))
	}
	t.Logf("heights %v: all ≥ 5 %s after genesis_time, %s after the nodes started",
		heights, time.Since(genesisTime).Round(100*time.Millisecond), time.Since(started).Round(100*time.Millisecond))

	checkOneChain(t, dep, nodes)

	// Each process listens on its own address only, and only on P2P and RPC.
	for i, n := range nodes {
		ls, err := listeners(procs[i].Process.Pid)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(ls).To(ConsistOf("tcp "+n.ip+":26656", "tcp "+n.ip+":26657"), "listeners of %s", n.name)
	}

	f.assertNoKeyLeaks(t, ns, nodes)
}

func rpcOf(n fleetNode) string { return "http://" + n.ip + ":26657" }
