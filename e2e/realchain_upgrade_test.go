//go:build dataplane

package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
)

// heightOnImage is the highest height each node answered on each seid image, read from its RPC and
// its pod's spec at the same moment.
type heightOnImage struct {
	mu  sync.Mutex
	top map[string]map[string]int64 // node -> image -> height
}

func (h *heightOnImage) see(node, image string, height int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.top[node] == nil {
		h.top[node] = map[string]int64{}
	}
	h.top[node][image] = max(h.top[node][image], height)
}

// watchHeights reads every node of the deployments every 300 ms until stopped. A node is read through
// its pod (the image the pod runs) and its seid RPC (the height it has): the old image answering
// above the upgrade height is what the test refuses.
func watchHeights(t *testing.T, ns string, deps ...string) func() map[string]map[string]int64 {
	ctx, cancel := context.WithCancel(t.Context())
	h := &heightOnImage{top: map[string]map[string]int64{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			g := NewGomega(func(string, ...int) {})
			for _, dep := range deps {
				for _, n := range memberNodesOrNone(g, t, ns, dep) {
					var pod corev1.Pod
					if n.podIP == "" || fleet.Member(n.cluster).Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: resources.PodName(&n.node)}, &pod) != nil {
						continue
					}
					var s status
					if rpc(pod.Status.PodIP, "/status", &s) == nil {
						h.see(n.node.Name, containerImage(pod, resources.ContainerSeid), s.height())
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	return func() map[string]map[string]int64 {
		cancel()
		<-done
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.top
	}
}

// blockTime is the header time of the block at height as the seid at ip has it.
func blockTime(ip string, height int64) (time.Time, error) {
	var b struct {
		Block struct {
			Header struct {
				Time time.Time `json:"time"`
			} `json:"header"`
		} `json:"block"`
	}
	if err := rpc(ip, fmt.Sprintf("/block?height=%d", height), &b); err != nil {
		return time.Time{}, err
	}
	return b.Block.Header.Time, nil
}

// An upgrade at a height over three clusters with real seid and seictl: four validators (us, eu, ap)
// and a full node joined to them get seid's halt-height through the sidecar, every one of them stops
// at exactly that height on the old image, and only then do their pods restart on the new image; the
// chain then goes on from the height, and no key was ever held by two seid processes nor signed
// backwards. The new image is a second tag of the same seid (a chain without an upgrade handler).
func TestRealChainUpgradeAtHeight(t *testing.T) {
	g := NewWithT(t)
	ns, vals, full := realNetwork(t)
	g.Eventually(func(g Gomega) {
		for _, key := range []client.ObjectKey{vals, full} {
			for _, rec := range records(t, ns, key.Name) {
				g.Expect(rec.Status.Height).To(BeNumerically(">=", 5), rec.Name)
			}
		}
	}).WithTimeout(5 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	// The watch sees every seid on the machine; the verdict is on this network's four keys.
	ours := map[string]bool{}
	g.Eventually(func(g Gomega) {
		for _, n := range memberNodes(g, t, ns, vals.Name) {
			var s status
			g.Expect(rpc(n.podIP, "/status", &s)).To(Succeed())
			g.Expect(s.ValidatorInfo.Address).NotTo(BeEmpty())
			ours[s.ValidatorInfo.Address] = true
		}
		g.Expect(ours).To(HaveLen(4))
	}).WithTimeout(time.Minute).WithPolling(2 * time.Second).Should(Succeed())
	signers := framework.WatchSigners(100 * time.Millisecond)
	heights := watchHeights(t, ns, vals.Name, full.Name)
	old, next := seidImage(), dataPlane.Seid[seidTagNext]
	g.Expect(next).NotTo(Equal(old))

	// A height far enough ahead to restart every node once with the halt height: the block rate over
	// 20 s, times 90 s (arming took 17 s and 43 s on a loaded data plane).
	h0, t0 := networkHeight(g, t, ns, vals.Name), time.Now()
	time.Sleep(20 * time.Second)
	h1 := networkHeight(g, t, ns, vals.Name)
	rate := float64(h1-h0) / time.Since(t0).Seconds()
	height := h1 + max(60, int64(rate*90))
	t.Logf("chain at %d, %.2f blocks/s: upgrade at %d", h1, rate, height)
	armStart := time.Now()
	update(t, vals, func(d *seiv1alpha1.SeiNodeDeployment) {
		d.Spec.Upgrade = &seiv1alpha1.UpgradeSpec{Name: "next", Height: height, Image: next}
	})

	// Before the height: the image switch is refused, and every node carries the halt height.
	g.Expect(switchImage(t, vals, next)).To(MatchError(ContainSubstring("spec.image cannot change while spec.upgrade is set")))
	g.Eventually(func(g Gomega) {
		for _, key := range []client.ObjectKey{vals, full} {
			d := getDeployment(t, key)
			g.Expect(d.Status.Upgrade).NotTo(BeNil(), key.Name)
			g.Expect(d.Status.Upgrade.Phase).To(Equal(seiv1alpha1.UpgradeScheduled), key.Name)
			g.Expect(d.Status.Plan).To(BeNil(), "%s: the halt height is rolled out", key.Name)
			for _, rec := range records(t, ns, key.Name) {
				g.Expect(rec.Spec.HaltHeight).To(Equal(height), rec.Name)
				g.Expect(rec.Spec.Image).To(Equal(old), rec.Name)
			}
		}
	}).WithTimeout(10 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
	armed := networkHeight(g, t, ns, vals.Name)
	t.Logf("every node armed after %s, chain at %d", time.Since(armStart).Round(time.Second), armed)
	g.Expect(armed).To(BeNumerically("<", height), "armed before the height")

	// Nodes stop at the height (a validator that had not received the commit for it stays below it
	// until the switched ones send it), and each is switched once it halted there.
	// firstHalt is when the test first saw the validators switching: the hub saw a validator halted at
	// the height (the full nodes' deployment follows later: its node is a straggler that needs the
	// switched validators' commit for the height).
	var firstHalt time.Time
	g.Eventually(func(g Gomega) {
		for _, key := range []client.ObjectKey{vals, full} {
			u := getDeployment(t, key).Status.Upgrade
			g.Expect(u).NotTo(BeNil())
			g.Expect(u.Phase).To(BeElementOf(seiv1alpha1.UpgradeSwitching, seiv1alpha1.UpgradeComplete), key.Name)
			if key == vals && firstHalt.IsZero() {
				firstHalt = time.Now()
			}
		}
	}).WithTimeout(15 * time.Minute).WithPolling(time.Second).Should(Succeed())
	t.Logf("every node halted at %d; switching", height)

	// The chain goes on from the height on the new image.
	g.Eventually(func(g Gomega) {
		for _, key := range []client.ObjectKey{vals, full} {
			d := getDeployment(t, key)
			g.Expect(d.Status.Upgrade.Phase).To(Equal(seiv1alpha1.UpgradeComplete), key.Name)
			for _, rec := range records(t, ns, key.Name) {
				g.Expect(rec.Spec.HaltHeight).To(BeZero(), rec.Name)
				g.Expect(rec.Status.CurrentImage).To(Equal(next), rec.Name)
			}
		}
		g.Expect(networkHeight(g, t, ns, vals.Name)).To(BeNumerically(">", height+10))
	}).WithTimeout(10 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
	time.Sleep(3 * time.Second)
	seen := heights()
	report := signers.Stop()

	nodes := append(memberNodes(g, t, ns, vals.Name), memberNodes(g, t, ns, full.Name)...)
	g.Expect(nodes).To(HaveLen(5))
	var hash string
	for _, n := range nodes {
		var pod corev1.Pod
		g.Expect(fleet.Member(n.cluster).Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: resources.PodName(&n.node)}, &pod)).To(Succeed())
		g.Expect(containerImage(pod, resources.ContainerSeid)).To(Equal(next), "%s's pod runs the new image", n.node.Name)
		// Seen on the old image at the height at most, and on the new one above it.
		t.Logf("%s: highest height on %s %d, on %s %d", n.node.Name, old, seen[n.node.Name][old], next, seen[n.node.Name][next])
		g.Expect(seen[n.node.Name][old]).To(BeNumerically("<=", height), "%s never answered above the height on the old image", n.node.Name)
		g.Expect(seen[n.node.Name][next]).To(BeNumerically(">", height), "%s follows the chain on the new image", n.node.Name)
		// One chain: the same block at the height everywhere.
		h, err := blockHash(n.podIP, height)
		g.Expect(err).NotTo(HaveOccurred(), n.node.Name)
		if hash == "" {
			hash = h
		}
		g.Expect(h).To(Equal(hash), "%s has the same block %d", n.node.Name, height)
	}
	// Block height+2 carries the time its validators voted on block height+1 (BFT time): that vote
	// happened after the hub saw the first validator halted, i.e. on the new binaries. (The test polls
	// every second, hence the slack.)
	voted, err := blockTime(nodes[0].podIP, height+2)
	g.Expect(err).NotTo(HaveOccurred())
	t.Logf("block %d agreed at %s; first validator seen halted at %s", height+1, voted.Format(time.RFC3339Nano), firstHalt.Format(time.RFC3339Nano))
	g.Expect(voted).To(BeTemporally(">", firstHalt.Add(-2*time.Second)), "block %d was agreed on after a validator halted at %d", height+1, height)

	t.Logf("signer watch: %d samples, %d failed scans, most at once %v, highest signed %v", report.Samples, report.Errors, report.MostAtOnce, report.HighestSigned)
	g.Expect(report.Samples).To(BeNumerically(">", 100))
	var violations []string
	for _, v := range report.Violations {
		t.Logf("signer watch: %s", v)
		for a := range ours {
			if strings.Contains(v, " key "+a+" ") || strings.Contains(v, " key "+a+":") {
				violations = append(violations, v)
			}
		}
	}
	g.Expect(violations).To(BeEmpty(), "one seid process per key at every instant, and no signed height ever went back")
	for a := range ours {
		g.Expect(report.MostAtOnce).To(HaveKeyWithValue(a, 1), "%s's key was seen signing, by one process at a time", a)
		g.Expect(report.HighestSigned[a]).To(BeNumerically(">", height), "%s signs past the height, on the new image", a)
	}
}
