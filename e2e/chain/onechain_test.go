//go:build chain

package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// checkOneChain asks every node over RPC what it runs: its node ID and consensus address are those of
// its member's Secrets, all share one chain ID, one genesis and one block 1, the validator set at
// height 1 is exactly the consensus keys from the Secrets, and each node is connected to the three
// others.
func checkOneChain(t *testing.T, dep *seiv1alpha1.SeiNodeDeployment, nodes []fleetNode) {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	var wantVals []string
	for _, n := range nodes {
		wantVals = append(wantVals, n.cons.AddressHex())
	}
	genesisHashes := map[string]bool{}
	blockHashes := map[string]bool{}
	for _, n := range nodes {
		var st struct {
			NodeInfo struct {
				ID         string `json:"id"`
				Network    string `json:"network"`
				ListenAddr string `json:"listen_addr"`
			} `json:"node_info"`
			ValidatorInfo struct {
				Address string `json:"address"`
			} `json:"validator_info"`
		}
		g.Expect(getJSON(ctx, rpcOf(n)+"/status", &st)).To(Succeed())
		g.Expect(st.NodeInfo.ID).To(Equal(n.node.ID()), "%s runs the node key from its Secret", n.name)
		g.Expect(st.NodeInfo.Network).To(Equal(dep.Spec.ChainID), "%s chain ID", n.name)
		g.Expect(st.NodeInfo.ListenAddr).To(ContainSubstring(n.ip+":26656"), "%s advertises its own address", n.name)
		g.Expect(st.ValidatorInfo.Address).To(Equal(n.cons.AddressHex()), "%s signs with the consensus key from its Secret", n.name)

		var gen struct {
			Genesis json.RawMessage `json:"genesis"`
		}
		g.Expect(getJSON(ctx, rpcOf(n)+"/genesis", &gen)).To(Succeed())
		var doc struct {
			ChainID     string    `json:"chain_id"`
			GenesisTime time.Time `json:"genesis_time"`
		}
		g.Expect(json.Unmarshal(gen.Genesis, &doc)).To(Succeed())
		g.Expect(doc.ChainID).To(Equal(dep.Spec.ChainID))
		g.Expect(doc.GenesisTime.Equal(dep.Status.Genesis.GenesisTime.Time)).To(BeTrue(),
			"%s genesis_time %s is the hub's %s", n.name, doc.GenesisTime, dep.Status.Genesis.GenesisTime)
		sum := sha256.Sum256(gen.Genesis)
		genesisHashes[hex.EncodeToString(sum[:])] = true

		var block struct {
			BlockID struct {
				Hash string `json:"hash"`
			} `json:"block_id"`
		}
		g.Expect(getJSON(ctx, rpcOf(n)+"/block?height=1", &block)).To(Succeed())
		g.Expect(block.BlockID.Hash).NotTo(BeEmpty())
		blockHashes[block.BlockID.Hash] = true

		var vals struct {
			Validators []struct {
				Address     string `json:"address"`
				VotingPower string `json:"voting_power"`
			} `json:"validators"`
		}
		g.Expect(getJSON(ctx, rpcOf(n)+"/validators?height=1", &vals)).To(Succeed())
		var got []string
		for _, v := range vals.Validators {
			g.Expect(v.VotingPower).To(Equal("10"))
			got = append(got, v.Address)
		}
		g.Expect(got).To(ConsistOf(wantVals), "%s: validators at height 1 are the consensus keys from the Secrets", n.name)
	}
	g.Expect(genesisHashes).To(HaveLen(1), "every node reports the same genesis")
	g.Expect(blockHashes).To(HaveLen(1), "every node has the same block 1")

	// Connected through the peers on the records: each node to the three others.
	for _, n := range nodes {
		var others []string
		for _, o := range nodes {
			if o.name != n.name {
				others = append(others, o.node.ID())
			}
		}
		g.Eventually(func() []string {
			var ni struct {
				PeerConnections []struct {
					ID string `json:"node_id"`
				} `json:"peer_connections"`
			}
			if err := getJSON(ctx, rpcOf(n)+"/net_info", &ni); err != nil {
				return []string{err.Error()}
			}
			var ids []string
			for _, p := range ni.PeerConnections {
				ids = append(ids, p.ID)
			}
			return ids
		}).WithTimeout(30*time.Second).Should(ConsistOf(others), "%s is connected to the three other validators", n.name)
	}
}
