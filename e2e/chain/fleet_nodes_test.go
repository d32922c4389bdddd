//go:build chain

package chain

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"slices"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// fleetNode is one validator of a ceremony, read where the fleet keeps it: its keys from the Secrets
// on the member that runs it, its genesis from that member's ConfigMap, its peers from its hub record.
type fleetNode struct {
	name, cluster string
	// ip is the host of the node's P2P address: the load-balancer IP of its P2P Service.
	ip string
	// Secret data, as the agent minted it.
	nodeKeyJSON, signingKeyJSON, mnemonic []byte
	node                                  seikeys.NodeKey
	cons                                  seikeys.ConsensusKey
	op                                    seikeys.OperatorKey
	genesis                               []byte
	peers                                 []string
}

// fleetNodes reads every validator of dep and checks that keys, addresses, peers and genesis agree:
// with each other, with the hub's records and status, and across members.
func (s *sharedFleet) fleetNodes(t *testing.T, dep *seiv1alpha1.SeiNodeDeployment) []fleetNode {
	t.Helper()
	g := NewWithT(t)
	want := dep.Status.Genesis.SHA256
	genesisOn := map[string][]byte{}
	for _, m := range s.fleet.Members {
		cm := &corev1.ConfigMap{}
		g.Expect(m.Client.Get(t.Context(), client.ObjectKey{Namespace: dep.Namespace, Name: dep.Status.Genesis.ConfigMapName}, cm)).To(Succeed())
		data := []byte(cm.Data["genesis.json"])
		sum := sha256.Sum256(data)
		g.Expect(hex.EncodeToString(sum[:])).To(Equal(want), "genesis.json on %s hashes to the hub's status.genesis.sha256", m.Name)
		genesisOn[m.Name] = data
	}

	var nodes []fleetNode
	perCluster := map[string]int{}
	for _, rec := range s.records(t, dep) {
		m := s.fleet.Member(rec.Spec.ClusterName)
		g.Expect(m).NotTo(BeNil(), "record %s is placed on a member", rec.Name)
		perCluster[m.Name]++
		secret := func(name, key string) []byte {
			sec := &corev1.Secret{}
			g.Expect(m.Client.Get(t.Context(), client.ObjectKey{Namespace: dep.Namespace, Name: name}, sec)).To(Succeed(), "Secret %s on %s", name, m.Name)
			g.Expect(sec.Data).To(HaveKey(key), "Secret %s on %s", name, m.Name)
			return sec.Data[key]
		}
		n := fleetNode{
			name: rec.Name, cluster: m.Name, genesis: genesisOn[m.Name], peers: rec.Spec.Peers,
			nodeKeyJSON:    secret(rec.Name+"-node-key", "node_key.json"),
			signingKeyJSON: secret(rec.Name+"-signing-key", "priv_validator_key.json"),
			mnemonic:       secret(rec.Name+"-operator-key", "mnemonic"),
		}
		var err error
		n.node, err = seikeys.ParseNodeKey(n.nodeKeyJSON)
		g.Expect(err).NotTo(HaveOccurred())
		n.cons, err = seikeys.ParseConsensusKey(n.signingKeyJSON)
		g.Expect(err).NotTo(HaveOccurred())
		n.op, err = seikeys.OperatorKeyFromMnemonic(string(n.mnemonic))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(rec.Status.NodeID).To(Equal(n.node.ID()), "record %s: node ID of the member's node key", rec.Name)
		g.Expect(rec.Status.OperatorAddress).To(Equal(n.op.ValoperAddress()), "record %s: operator of the member's mnemonic", rec.Name)

		host, port, err := net.SplitHostPort(rec.Status.P2PAddress)
		g.Expect(err).NotTo(HaveOccurred(), "record %s p2pAddress", rec.Name)
		g.Expect(port).To(Equal("26656"))
		g.Expect(s.ips[m.Name].owns(host)).To(BeTrue(), "record %s: %s is the load-balancer IP of its P2P Service on %s", rec.Name, host, m.Name)
		n.ip = host
		nodes = append(nodes, n)
	}
	g.Expect(nodes).To(HaveLen(int(dep.Spec.Replicas)))
	g.Expect(perCluster).To(HaveLen(len(members)), "every member runs a validator")
	for c, k := range perCluster {
		g.Expect(2*k).To(BeNumerically("<=", len(nodes)), "no region holds more than half: %s has %d", c, k)
	}
	slices.SortFunc(nodes, func(a, b fleetNode) int { return cmp.Compare(a.name, b.name) })

	// Every node's peers are exactly the other validators, by the node ID of their member's key.
	for _, n := range nodes {
		var others []string
		for _, o := range nodes {
			if o.name != n.name {
				others = append(others, o.node.ID()+"@"+net.JoinHostPort(o.ip, "26656"))
			}
		}
		g.Expect(n.peers).To(ConsistOf(others), "peers of %s", n.name)
	}

	// The genesis names exactly these consensus keys, with equal power.
	var doc struct {
		ChainID    string `json:"chain_id"`
		Validators []struct {
			Address string `json:"address"`
			PubKey  struct {
				Value string `json:"value"`
			} `json:"pub_key"`
			Power string `json:"power"`
		} `json:"validators"`
	}
	g.Expect(json.Unmarshal(nodes[0].genesis, &doc)).To(Succeed())
	g.Expect(doc.ChainID).To(Equal(dep.Spec.ChainID))
	var inGenesis, fromSecrets []string
	for _, v := range doc.Validators {
		g.Expect(v.Power).To(Equal(strconv.Itoa(10)), "10 SEI self-bond is power 10")
		inGenesis = append(inGenesis, v.Address+" "+v.PubKey.Value)
	}
	for _, n := range nodes {
		fromSecrets = append(fromSecrets, n.cons.AddressHex()+" "+n.cons.PubKeyBase64())
	}
	g.Expect(inGenesis).To(ConsistOf(fromSecrets), "genesis validators are the consensus keys in the member Secrets")
	return nodes
}
