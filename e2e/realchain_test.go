//go:build dataplane

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// memberNode is one SeiNode as its member cluster runs it.
type memberNode struct {
	cluster string
	node    seiv1alpha1.SeiNode
	podIP   string
}

// memberNodes finds the member copies of a deployment's hub records, with their pods' addresses.
func memberNodes(g Gomega, t *testing.T, ns, dep string) []memberNode {
	var out []memberNode
	for _, rec := range records(t, ns, dep) {
		m := fleet.Member(rec.Spec.ClusterName)
		g.Expect(m).NotTo(BeNil(), "record %s is placed on %q", rec.Name, rec.Spec.ClusterName)
		var n seiv1alpha1.SeiNode
		g.Expect(m.Client.Get(t.Context(), client.ObjectKey{Namespace: rec.Namespace, Name: rec.Name}, &n)).To(Succeed())
		var pod corev1.Pod
		g.Expect(m.Client.Get(t.Context(), client.ObjectKey{Namespace: n.Namespace, Name: resources.PodName(&n)}, &pod)).To(Succeed())
		out = append(out, memberNode{cluster: m.Name, node: n, podIP: pod.Status.PodIP})
	}
	return out
}

// rpc reads a Tendermint RPC endpoint of the seid at ip into out.
func rpc(ip, path string, out any) error {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://%s:%d%s", ip, resources.PortRPC, path))
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// blockHash is the hash of the block at height as the seid at ip has it.
func blockHash(ip string, height int64) (string, error) {
	var b struct {
		BlockID struct {
			Hash string `json:"hash"`
		} `json:"block_id"`
	}
	if err := rpc(ip, fmt.Sprintf("/block?height=%d", height), &b); err != nil {
		return "", err
	}
	return b.BlockID.Hash, nil
}

// realNetwork creates four validators over us, eu and ap and one full node joining them, and waits for
// the ceremony.
func realNetwork(t *testing.T) (ns string, vals, full client.ObjectKey) {
	t.Helper()
	g := NewWithT(t)
	ns = hubNamespace(t)
	policy := "real-" + ns
	regionPolicy(t, policy, []string{"us", "eu", "ap"}, func(s *seiv1alpha1.SeiPlacementPolicySpec) { s.MaxVotingPowerFraction = "2/3" })
	v := validators(ns, "net", policy, 4)
	vals = create(t, v)
	dumpOnFailure(t, vals)
	f := fullNodes(ns, "rpc", policy, 1)
	f.Spec.ChainID = v.Spec.ChainID
	f.Spec.Joins = &seiv1alpha1.JoinSpec{Deployment: "net"}
	full = create(t, f)
	dumpOnFailure(t, full)
	g.Eventually(func() metav1.ConditionStatus {
		return condition(getDeployment(t, vals), seiv1alpha1.DeploymentGenesisCeremonyComplete).Status
	}).WithTimeout(5 * time.Minute).WithPolling(2 * time.Second).Should(Equal(metav1.ConditionTrue))
	return ns, vals, full
}

// (a) The ceremony over three clusters with real seid: blocks are made, a joined full node follows to a
// height of 10 and more, the hub shows every node's height, and every node is on one genesis and one
// chain (the same block hash at the same height everywhere).
func TestRealChainCeremonyAndJoinedFullNode(t *testing.T) {
	g := NewWithT(t)
	ns, vals, full := realNetwork(t)
	g.Eventually(func(g Gomega) {
		for _, key := range []client.ObjectKey{vals, full} {
			for _, rec := range records(t, ns, key.Name) {
				g.Expect(rec.Status.Height).To(BeNumerically(">=", 10), "hub record %s", rec.Name)
			}
		}
	}).WithTimeout(5 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	sha := getDeployment(t, vals).Status.Genesis.SHA256
	g.Expect(sha).NotTo(BeEmpty())
	nodes := append(memberNodes(g, t, ns, vals.Name), memberNodes(g, t, ns, full.Name)...)
	g.Expect(nodes).To(HaveLen(5))
	clusters := map[string]bool{}
	var want string
	for _, n := range nodes {
		clusters[n.cluster] = true
		g.Expect(n.node.Spec.Genesis).NotTo(BeNil(), n.node.Name)
		g.Expect(n.node.Spec.Genesis.SHA256).To(Equal(sha), "%s runs the genesis the ceremony made (its pod checked the copy)", n.node.Name)
		h, err := blockHash(n.podIP, 5)
		g.Expect(err).NotTo(HaveOccurred(), n.node.Name)
		if want == "" {
			want = h
		}
		g.Expect(h).To(Equal(want), "%s has the same block 5", n.node.Name)
	}
	g.Expect(clusters).To(HaveLen(3), "the network spans the three clusters")
}
