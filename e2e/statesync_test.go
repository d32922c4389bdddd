//go:build dataplane

package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// syncInfo is what the state-sync test reads of seid's /status.
type syncInfo struct {
	SyncInfo struct {
		LatestBlockHeight   string `json:"latest_block_height"`
		EarliestBlockHeight string `json:"earliest_block_height"`
		CatchingUp          bool   `json:"catching_up"`
	} `json:"sync_info"`
}

func atoi(s string) int64 {
	var n int64
	_, _ = fmt.Sscan(s, &n)
	return n
}

// A running network of four validators over us, eu and ap, which take state-sync snapshots every 20
// blocks and serve as witnesses; then a full node in sa, a cluster none of them is in, joins it by
// state sync with the default witnesses: it restores a snapshot (its earliest block is above 1 and
// block 1 is not in its store), its witnesses are the validators' RPC addresses in other clusters, and
// it catches up with the network.
func TestRealChainFullNodeJoinsByStateSync(t *testing.T) {
	g := NewWithT(t)
	registerSA(t)
	ns := hubNamespace(t)
	policy := "real-" + ns
	regionPolicy(t, policy, []string{"us", "eu", "ap"}, func(s *seiv1alpha1.SeiPlacementPolicySpec) { s.MaxVotingPowerFraction = "2/3" })
	v := validators(ns, "net", policy, 4)
	// Snapshots must outlive the joiner's pick: it lists them for 15 s (seid's discovery time), then
	// fetches the newest. Kept 3 at 10 blocks (~15 s at this network's 2 blocks/s) the one picked was
	// pruned before its first chunk was asked for, and the joiner asked the same missing chunk again
	// for 10 minutes ("cannot add nil chunk", CI run of stop 19). 10 kept at 20 blocks last ~100 s.
	v.Spec.Template.ServeStateSync = &seiv1alpha1.ServeStateSyncSpec{SnapshotInterval: 20, SnapshotKeepRecent: 10}
	vals := create(t, v)
	dumpOnFailure(t, vals)
	g.Eventually(func(g Gomega) {
		recs := records(t, ns, vals.Name)
		g.Expect(recs).To(HaveLen(4))
		for _, rec := range recs {
			g.Expect(rec.Status.Height).To(BeNumerically(">=", 45), "validator %s: past two snapshots", rec.Name)
			g.Expect(rec.Status.RPCAddress).NotTo(BeEmpty(), "validator %s reports its RPC address", rec.Name)
		}
	}).WithTimeout(8 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	joinPolicy := "join-" + ns
	regionPolicy(t, joinPolicy, []string{"sa"}, nil)
	f := fullNodes(ns, "rpc", joinPolicy, 1)
	f.Spec.ChainID = v.Spec.ChainID
	f.Spec.Joins = &seiv1alpha1.JoinSpec{Deployment: vals.Name}
	f.Spec.Bootstrap = &seiv1alpha1.BootstrapSpec{StateSync: &seiv1alpha1.StateSyncBootstrap{}}
	seen := watchReadiness(t, "sa", ns, f.Name)
	full := create(t, f)
	dumpOnFailure(t, full)

	// The hub gave the joiner the validators' RPC addresses, all of them in other clusters.
	witnesses := map[string]string{}
	for _, rec := range records(t, ns, vals.Name) {
		witnesses[rec.Status.RPCAddress] = rec.Spec.ClusterName
	}
	g.Eventually(func(g Gomega) {
		recs := records(t, ns, full.Name)
		g.Expect(recs).To(HaveLen(1))
		rec := recs[0]
		g.Expect(rec.Spec.ClusterName).To(Equal("sa"))
		g.Expect(rec.Spec.FullNode).NotTo(BeNil())
		g.Expect(rec.Spec.FullNode.Bootstrap).NotTo(BeNil())
		g.Expect(rec.Spec.FullNode.Bootstrap.StateSync).NotTo(BeNil())
		servers := rec.Spec.FullNode.Bootstrap.StateSync.RPCServers
		g.Expect(len(servers)).To(BeNumerically(">=", 2))
		for _, s := range servers {
			g.Expect(witnesses).To(HaveKey(s), "witness %s is a validator's RPC address", s)
			g.Expect(witnesses[s]).NotTo(Equal("sa"))
		}
	}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	// It restored a snapshot and caught up with the network.
	var joiner memberNode
	g.Eventually(func(g Gomega) {
		nodes := memberNodes(g, t, ns, full.Name)
		g.Expect(nodes).To(HaveLen(1))
		joiner = nodes[0]
		g.Expect(joiner.podIP).NotTo(BeEmpty())
		var s syncInfo
		g.Expect(rpc(joiner.podIP, "/status", &s)).To(Succeed())
		g.Expect(s.SyncInfo.CatchingUp).To(BeFalse())
		g.Expect(atoi(s.SyncInfo.EarliestBlockHeight)).To(BeNumerically(">", 1), "the joiner's first block is a snapshot's, not genesis")
		top := networkHeight(g, t, ns, vals.Name)
		g.Expect(top).To(BeNumerically(">", 0))
		g.Expect(atoi(s.SyncInfo.LatestBlockHeight)).To(BeNumerically(">=", top-3), "the joiner is within 3 blocks of the network")
	}).WithTimeout(10 * time.Minute).WithPolling(3 * time.Second).Should(Succeed())

	var s syncInfo
	g.Expect(rpc(joiner.podIP, "/status", &s)).To(Succeed())
	t.Logf("joiner %s on %s: earliest block %s, latest %s", joiner.node.Name, joiner.cluster, s.SyncInfo.EarliestBlockHeight, s.SyncInfo.LatestBlockHeight)
	// seid answers a height below its base with an error or an empty block, depending on the path.
	first, err := blockHash(joiner.podIP, 1)
	g.Expect(err != nil || first == "").To(BeTrue(), "block 1 is below the restored snapshot: the joiner never had it (got hash %q)", first)
	// Its blocks are the network's.
	h := atoi(s.SyncInfo.LatestBlockHeight) - 1
	mine, err := blockHash(joiner.podIP, h)
	g.Expect(err).NotTo(HaveOccurred())
	theirs, err := blockHash(memberNodes(g, t, ns, vals.Name)[0].podIP, h)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(mine).To(Equal(theirs), "block %d", h)

	// The hub shows it Running, caught up and Ready with the network's height.
	g.Eventually(func(g Gomega) {
		rec := records(t, ns, full.Name)[0]
		g.Expect(rec.Status.Phase).To(Equal(seiv1alpha1.NodeRunning))
		g.Expect(meta.IsStatusConditionTrue(rec.Status.Conditions, seiv1alpha1.NodeCaughtUp)).To(BeTrue())
		g.Expect(meta.IsStatusConditionTrue(rec.Status.Conditions, seiv1alpha1.NodeReady)).To(BeTrue())
		g.Expect(rec.Status.Height).To(BeNumerically(">", atoi(s.SyncInfo.EarliestBlockHeight)))
	}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	// Its pod is deleted (an eviction, a drained host): the StatefulSet creates it again with the
	// sidecar's start gate shut, and the agent releases seid again (a resume plan); the node comes
	// back caught up on its own data.
	var pod corev1.Pod
	podKey := client.ObjectKey{Namespace: ns, Name: resources.PodName(&joiner.node)}
	member := fleet.Member(joiner.cluster).Client
	g.Expect(member.Get(t.Context(), podKey, &pod)).To(Succeed())
	g.Expect(member.Delete(t.Context(), &pod)).To(Succeed())
	before := atoi(s.SyncInfo.LatestBlockHeight)
	g.Eventually(func(g Gomega) {
		var now corev1.Pod
		g.Expect(member.Get(t.Context(), podKey, &now)).To(Succeed())
		g.Expect(now.UID).NotTo(Equal(pod.UID))
		g.Expect(now.Status.PodIP).NotTo(BeEmpty())
		var st syncInfo
		g.Expect(rpc(now.Status.PodIP, "/status", &st)).To(Succeed())
		g.Expect(st.SyncInfo.CatchingUp).To(BeFalse())
		g.Expect(atoi(st.SyncInfo.LatestBlockHeight)).To(BeNumerically(">", before))
		rec := records(t, ns, full.Name)[0]
		g.Expect(meta.IsStatusConditionTrue(rec.Status.Conditions, seiv1alpha1.NodeReady)).To(BeTrue())
	}).WithTimeout(3*time.Minute).WithPolling(2*time.Second).Should(Succeed(), "the joiner's new pod runs seid again")

	// Every status the agent wrote for the joiner while it restored and caught up: Ready was never
	// True without CaughtUp True.
	states := seen()
	t.Logf("joiner's (phase, CaughtUp, Ready) as written: %v", states)
	g.Expect(states).To(ContainElement(readiness{seiv1alpha1.NodeRunning, metav1.ConditionTrue, metav1.ConditionTrue}))
	for _, st := range states {
		if st.ready == metav1.ConditionTrue {
			g.Expect(st.caughtUp).To(Equal(metav1.ConditionTrue), "Ready while %v", states)
		}
	}
}

// readiness is what one status write of a node said about its phase, CaughtUp and Ready.
type readiness struct {
	phase           seiv1alpha1.NodePhase
	caughtUp, ready metav1.ConditionStatus
}

// watchReadiness watches the member copies of deployment dep in cluster (from before they exist)
// and returns, when called, every distinct readiness their status writes showed, in order.
func watchReadiness(t *testing.T, cluster, ns, dep string) func() []readiness {
	t.Helper()
	wc, err := client.NewWithWatch(fleet.Member(cluster).Config, client.Options{Scheme: fleet.Scheme})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(t.Context())
	var (
		mu  sync.Mutex
		out []readiness
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rv := ""
		for ctx.Err() == nil {
			w, err := wc.Watch(ctx, &seiv1alpha1.SeiNodeList{}, client.InNamespace(ns),
				client.MatchingLabels{seiv1alpha1.LabelDeployment: dep}, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})
			if err != nil {
				time.Sleep(time.Second)
				continue
			}
			for ev := range w.ResultChan() {
				n, ok := ev.Object.(*seiv1alpha1.SeiNode)
				if !ok { // a watch error (e.g. the version expired): start again from now
					rv = ""
					continue
				}
				rv = n.ResourceVersion
				st := readiness{phase: n.Status.Phase}
				if c := meta.FindStatusCondition(n.Status.Conditions, seiv1alpha1.NodeCaughtUp); c != nil {
					st.caughtUp = c.Status
				}
				if c := meta.FindStatusCondition(n.Status.Conditions, seiv1alpha1.NodeReady); c != nil {
					st.ready = c.Status
				}
				mu.Lock()
				if len(out) == 0 || out[len(out)-1] != st {
					out = append(out, st)
				}
				mu.Unlock()
			}
		}
	}()
	return func() []readiness {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return out
	}
}
