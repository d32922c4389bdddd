//go:build dataplane

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
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

// status is what the tests read of seid's /status.
type status struct {
	NodeInfo struct {
		ID string `json:"id"`
	} `json:"node_info"`
	SyncInfo struct {
		LatestBlockHeight string `json:"latest_block_height"`
	} `json:"sync_info"`
	ValidatorInfo struct {
		Address string `json:"address"`
	} `json:"validator_info"`
}

func (s status) height() int64 {
	var h int64
	_, _ = fmt.Sscan(s.SyncInfo.LatestBlockHeight, &h)
	return h
}

// heightSample is the highest block any of a deployment's nodes had at a moment.
type heightSample struct {
	at     time.Time
	height int64
}

// sampleChain reads every node's latest height every second until stopped, and returns the chain's
// height over time (the highest any node reported).
func sampleChain(t *testing.T, ns, dep string) func() []heightSample {
	ctx, cancel := context.WithCancel(t.Context())
	var (
		mu      sync.Mutex
		samples []heightSample
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			var top int64
			g := NewGomega(func(string, ...int) {}) // a failed lookup is a node being restarted
			for _, n := range memberNodesOrNone(g, t, ns, dep) {
				var s status
				if n.podIP != "" && rpc(n.podIP, "/status", &s) == nil {
					top = max(top, s.height())
				}
			}
			mu.Lock()
			samples = append(samples, heightSample{at: time.Now(), height: top})
			mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	return func() []heightSample {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return samples
	}
}

// networkHeight is the highest latest height any node of dep answers with now (0 when none answers).
func networkHeight(g Gomega, t *testing.T, ns, dep string) int64 {
	var top int64
	for _, n := range memberNodes(g, t, ns, dep) {
		var s status
		if rpc(n.podIP, "/status", &s) == nil {
			top = max(top, s.height())
		}
	}
	return top
}

// memberNodesOrNone is memberNodes that skips what it cannot read (pods between restarts).
func memberNodesOrNone(g Gomega, t *testing.T, ns, dep string) []memberNode {
	var out []memberNode
	_ = InterceptGomegaFailure(func() { out = memberNodes(g, t, ns, dep) })
	return out
}

// longestStall is the longest time the chain's height did not rise.
func longestStall(samples []heightSample) time.Duration {
	var worst time.Duration
	var since heightSample
	for i, s := range samples {
		if i == 0 || s.height > since.height {
			since = s
			continue
		}
		worst = max(worst, s.at.Sub(since.at))
	}
	return worst
}

// (b) Rolling the validators to another seid image goes one region at a time, and the chain never
// stops: its height keeps rising all through the rollout. A slow node holds it: one validator's seid
// is frozen (cgroup freezer) before the rollout, so it falls behind and its height stalls; the
// rollout restarts that one first (it is down already) and takes no other node down until it has
// caught up again on the new image. At no moment does the hub move a record while another is not
// caught up.
func TestRealChainRolloutKeepsProducingBlocks(t *testing.T) {
	g := NewWithT(t)
	ns, vals, _ := realNetwork(t)
	g.Eventually(func(g Gomega) {
		for _, rec := range records(t, ns, vals.Name) {
			g.Expect(rec.Status.Height).To(BeNumerically(">=", 5), rec.Name)
			g.Expect(meta.IsStatusConditionTrue(rec.Status.Conditions, seiv1alpha1.NodeCaughtUp)).To(BeTrue(), "%s caught up", rec.Name)
		}
	}).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	// The slow node: the first the rollout would take (its domain comes first by name), frozen.
	slow := slowestFirst(g, t, ns, vals.Name)
	thaw := freezeSeid(g, t, slow)
	g.Eventually(func() string {
		return caughtUpReason(t, ns, slow.node.Name)
	}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Equal(seiv1alpha1.ReasonHeightStalled),
		"the frozen node's height stalls, as the hub sees it")

	chain := sampleChain(t, ns, vals.Name)
	watch := watchRollout(t, ns, vals.Name)
	gate := watchCatchUpGate(t, ns, vals.Name)
	next := dataPlane.Seid[seidTagNext]
	update(t, vals, func(d *seiv1alpha1.SeiNodeDeployment) { d.Spec.Image = next })
	// The rollout takes the frozen node first; the kubelet can stop its seid only once it is thawed.
	g.Eventually(func() string {
		for _, rec := range records(t, ns, vals.Name) {
			if rec.Name == slow.node.Name {
				return rec.Spec.Image
			}
		}
		return ""
	}).WithTimeout(time.Minute).WithPolling(200*time.Millisecond).Should(Equal(next), "the node already down is updated first")
	thaw()
	g.Eventually(func(g Gomega) {
		g.Expect(updatedReplicas(t, vals)()).To(Equal(int32(4)))
		for _, rec := range records(t, ns, vals.Name) {
			g.Expect(rec.Status.CurrentImage).To(Equal(next), rec.Name)
		}
	}).WithTimeout(10 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
	g.Eventually(readyCount(t, vals)).WithTimeout(3 * time.Minute).Should(Equal("4/4"))
	order, maxDown := watch()
	// A little past the rollout: the last node back must not have stalled the chain either.
	time.Sleep(10 * time.Second)
	samples := chain()

	g.Expect(order).To(HaveLen(4))
	g.Expect(maxDown).To(BeNumerically("<=", 1), "one validator at a time")
	seen := map[string]bool{}
	for i, c := range order {
		g.Expect(seen[c] && order[i-1] != c).To(BeFalse(), "regions are rolled one after another: %v", order)
		seen[c] = true
	}
	for _, n := range memberNodes(g, t, ns, vals.Name) {
		var pod corev1.Pod
		g.Expect(fleet.Member(n.cluster).Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: resources.PodName(&n.node)}, &pod)).To(Succeed())
		g.Expect(containerImage(pod, resources.ContainerSeid)).To(Equal(next), "%s's pod runs the new image", n.node.Name)
	}
	g.Expect(samples).NotTo(BeEmpty())
	g.Expect(samples[len(samples)-1].height).To(BeNumerically(">", samples[0].height+20), "the chain moved on during the rollout")
	g.Expect(longestStall(samples)).To(BeNumerically("<", 30*time.Second), "the chain never stopped: %v", samples)

	moves, slowReasons := gate()
	g.Expect(moves).To(HaveLen(4), "every record moved once")
	g.Expect(moves[0].name).To(Equal(slow.node.Name))
	for _, m := range moves {
		g.Expect(m.notCaughtUp).To(BeEmpty(), "when %s was moved to the new image, no other node may be behind", m.name)
	}
	g.Expect(slowReasons).To(ContainElement(Not(Equal(seiv1alpha1.ReasonCaughtUp))),
		"the slow node was seen not caught up on the new image before the rollout went on")
	t.Logf("rollout order %v; the slow node on the new image went through %v", order, slowReasons)
}

// slowestFirst is the member node of dep the rollout takes first: in the first topology domain by
// name, the lowest ordinal.
func slowestFirst(g Gomega, t *testing.T, ns, dep string) memberNode {
	nodes := memberNodes(g, t, ns, dep)
	g.Expect(nodes).NotTo(BeEmpty())
	sort.Slice(nodes, func(i, j int) bool {
		if nodes[i].cluster != nodes[j].cluster {
			return nodes[i].cluster < nodes[j].cluster
		}
		return nodes[i].node.Name < nodes[j].node.Name
	})
	return nodes[0]
}

// freezeSeid freezes n's seid container in its cgroup (the runtime's pause) and returns what thaws
// it; the test's end thaws it too, so no frozen process outlives it.
func freezeSeid(g Gomega, t *testing.T, n memberNode) func() {
	var pod corev1.Pod
	g.Expect(fleet.Member(n.cluster).Client.Get(t.Context(), client.ObjectKey{Namespace: n.node.Namespace, Name: resources.PodName(&n.node)}, &pod)).To(Succeed())
	id, _ := seidContainer(pod)
	g.Expect(id).NotTo(BeEmpty())
	ctr := func(verb string) ([]byte, error) {
		return exec.CommandContext(context.WithoutCancel(t.Context()), "ctr", "-a", dataPlane.Clusters[n.cluster].Node.Socket, "-n", "k8s.io",
			"tasks", verb, id).CombinedOutput()
	}
	// runc gives up on a cgroup v1 freeze that does not settle at once ("unable to freeze"), and
	// thaws the container again; under load that happens: try again.
	g.Eventually(func() error {
		if out, err := ctr("pause"); err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
	var once sync.Once
	thaw := func() {
		once.Do(func() {
			if out, err := ctr("resume"); err != nil {
				t.Logf("resume %s: %v: %s", n.node.Name, err, out)
			}
		})
	}
	t.Cleanup(thaw)
	return thaw
}

// caughtUpReason is the reason of the CaughtUp condition on the hub record ns/name.
func caughtUpReason(t *testing.T, ns, name string) string {
	rec := &seiv1alpha1.SeiNode{}
	if err := fleet.Hub.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, rec); err != nil {
		return ""
	}
	if c := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeCaughtUp); c != nil {
		return c.Reason
	}
	return ""
}

// recordMove is a hub record moved to a new template, and the other records that were not caught up
// in the first sample that shows the move. That sample is taken after the hub moved the record, from
// the status the hub had then or newer; a node that is behind stays behind for seconds, far longer than
// the 100ms between samples, while the sample before may predate a status the hub already acted on.
type recordMove struct {
	name        string
	notCaughtUp []string
}

// watchCatchUpGate samples dep's hub records every 100ms until stopped. It returns each record's move
// to a new template (in order) with the other records not caught up just before it, and the CaughtUp
// reasons the first moved record went through once it ran the new image.
func watchCatchUpGate(t *testing.T, ns, dep string) func() ([]recordMove, []string) {
	ctx, cancel := context.WithCancel(t.Context())
	var moves []recordMove
	var firstReasons []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		hashes := map[string]string{}
		for ctx.Err() == nil {
			list := &seiv1alpha1.SeiNodeList{}
			if err := fleet.Hub.Client.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{seiv1alpha1.LabelDeployment: dep}); err == nil {
				var behind []string
				for _, r := range list.Items {
					if !meta.IsStatusConditionTrue(r.Status.Conditions, seiv1alpha1.NodeCaughtUp) {
						behind = append(behind, r.Name)
					}
				}
				for _, r := range list.Items {
					hash := r.Annotations[seiv1alpha1.AnnotationTemplateHash]
					if prev, ok := hashes[r.Name]; ok && prev != hash {
						moves = append(moves, recordMove{name: r.Name, notCaughtUp: slices.DeleteFunc(slices.Clone(behind), func(s string) bool { return s == r.Name })})
					}
					hashes[r.Name] = hash
					if len(moves) > 0 && r.Name == moves[0].name && r.Status.CurrentImage == r.Spec.Image {
						if c := meta.FindStatusCondition(r.Status.Conditions, seiv1alpha1.NodeCaughtUp); c != nil &&
							(len(firstReasons) == 0 || firstReasons[len(firstReasons)-1] != c.Reason) {
							firstReasons = append(firstReasons, c.Reason)
						}
					}
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() ([]recordMove, []string) {
		cancel()
		<-done
		return moves, firstReasons
	}
}

// containerImage is the image of the named container in pod's spec.
func containerImage(pod corev1.Pod, name string) string {
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return c.Image
		}
	}
	return ""
}

// seidContainer is the runtime's ID of the pod's seid container ("" before it started) and its restarts.
func seidContainer(pod corev1.Pod) (id string, restarts int32) {
	for _, s := range pod.Status.ContainerStatuses {
		if s.Name == resources.ContainerSeid {
			_, id, _ = strings.Cut(s.ContainerID, "://")
			return id, s.RestartCount
		}
	}
	return "", 0
}

// dataDir is the directory of a node's data volume on its Kubernetes node.
func dataDir(g Gomega, t *testing.T, n memberNode) string {
	m := fleet.Member(n.cluster)
	var pvc corev1.PersistentVolumeClaim
	g.Expect(m.Client.Get(t.Context(), client.ObjectKey{Namespace: n.node.Namespace, Name: resources.DataPVCName(&n.node)}, &pvc)).To(Succeed())
	var pv corev1.PersistentVolume
	g.Expect(m.Client.Get(t.Context(), client.ObjectKey{Name: pvc.Spec.VolumeName}, &pv)).To(Succeed())
	dir := ""
	switch {
	case pv.Spec.Local != nil:
		dir = pv.Spec.Local.Path
	case pv.Spec.HostPath != nil:
		dir = pv.Spec.HostPath.Path
	}
	g.Expect(dir).NotTo(BeEmpty(), "the data volume is a directory on the node")
	return dir
}

// signedHeight reads the last height a validator signed from priv_validator_state.json on its data
// volume on the node.
func signedHeight(g Gomega, t *testing.T, n memberNode) int64 {
	raw, err := os.ReadFile(filepath.Join(dataDir(g, t, n), "data", "priv_validator_state.json"))
	g.Expect(err).NotTo(HaveOccurred())
	var s struct {
		Height string `json:"height"`
	}
	g.Expect(json.Unmarshal(raw, &s)).To(Succeed(), string(raw))
	var height int64
	_, err = fmt.Sscan(s.Height, &height)
	g.Expect(err).NotTo(HaveOccurred(), string(raw))
	return height
}

// (c) seid killed by the runtime (SIGKILL to the container's process, as the OOM killer would) comes
// back in the same pod with the same node ID, the same validator key and a signing state that went on
// from where it was, and signs again.
func TestRealChainKilledValidatorRecoversItsIdentity(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, vals, _ := realNetwork(t)
	var victim memberNode
	g.Eventually(func(g Gomega) {
		nodes := memberNodes(g, t, ns, vals.Name)
		g.Expect(nodes).To(HaveLen(4))
		for _, n := range nodes {
			var s status
			g.Expect(rpc(n.podIP, "/status", &s)).To(Succeed())
			g.Expect(s.height()).To(BeNumerically(">=", 5))
		}
		victim = nodes[0]
	}).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	var before status
	g.Expect(rpc(victim.podIP, "/status", &before)).To(Succeed())
	signedBefore := signedHeight(g, t, victim)
	g.Expect(signedBefore).To(BeNumerically(">", 0), "the validator has signed")
	m := fleet.Member(victim.cluster)
	var pod corev1.Pod
	g.Expect(m.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: resources.PodName(&victim.node)}, &pod)).To(Succeed())
	id, restarts := seidContainer(pod)
	g.Expect(id).NotTo(BeEmpty())
	out, err := exec.CommandContext(ctx, "ctr", "-a", dataPlane.Clusters[victim.cluster].Node.Socket, "-n", "k8s.io",
		"tasks", "kill", "-s", "SIGKILL", id).CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))

	g.Eventually(func(g Gomega) {
		var p corev1.Pod
		g.Expect(m.Client.Get(ctx, client.ObjectKeyFromObject(&pod), &p)).To(Succeed())
		g.Expect(p.UID).To(Equal(pod.UID), "the same pod: the kubelet restarted the container")
		_, r := seidContainer(p)
		g.Expect(r).To(BeNumerically(">", restarts))
		var after status
		g.Expect(rpc(p.Status.PodIP, "/status", &after)).To(Succeed())
		g.Expect(after.NodeInfo.ID).To(Equal(before.NodeInfo.ID), "same node ID")
		g.Expect(after.ValidatorInfo.Address).To(Equal(before.ValidatorInfo.Address), "same validator key")
		g.Expect(after.height()).To(BeNumerically(">", before.height()+5), "caught up and following the chain")
		signed := signedHeight(g, t, victim)
		g.Expect(signed).To(BeNumerically(">", before.height()+5), "signing again, past where it was killed")
	}).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	// The signing state never went back: it is at least where it was before the kill.
	signedAfter := signedHeight(g, t, victim)
	g.Expect(signedAfter).To(BeNumerically(">=", signedBefore))
	var rec seiv1alpha1.SeiNode
	g.Expect(m.Client.Get(ctx, client.ObjectKeyFromObject(&victim.node), &rec)).To(Succeed())
	g.Expect(rec.Status.NodeID).To(Equal(victim.node.Status.NodeID))
}

// (d) A genesis ConfigMap changed on a member makes that node's pod refuse to start (seid-init checks
// the copy against spec.genesis.sha256), and the node says so on the member and on the hub; nothing
// else is touched: no other pod restarts, the ConfigMap is left as found, and the chain goes on.
func TestRealChainTamperedGenesisIsRefused(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, vals, full := realNetwork(t)
	var nodes []memberNode
	g.Eventually(func(g Gomega) {
		nodes = append(memberNodes(g, t, ns, vals.Name), memberNodes(g, t, ns, full.Name)...)
		g.Expect(nodes).To(HaveLen(5))
		for _, n := range nodes {
			var s status
			g.Expect(rpc(n.podIP, "/status", &s)).To(Succeed())
			g.Expect(s.height()).To(BeNumerically(">=", 3))
		}
	}).WithTimeout(3 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	// The validator alone in its region.
	var victim memberNode
	perCluster := map[string]int{}
	for _, n := range nodes {
		perCluster[n.cluster]++
	}
	for _, n := range nodes {
		if n.node.Spec.Validator != nil && perCluster[n.cluster] == 1 {
			victim = n
		}
	}
	g.Expect(victim.node.Name).NotTo(BeEmpty())
	m := fleet.Member(victim.cluster)
	pods := map[string]corev1.Pod{}
	for _, n := range nodes {
		var p corev1.Pod
		g.Expect(fleet.Member(n.cluster).Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: resources.PodName(&n.node)}, &p)).To(Succeed())
		pods[n.node.Name] = p
	}

	var cm corev1.ConfigMap
	g.Expect(m.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: victim.node.Spec.Genesis.ConfigMapName}, &cm)).To(Succeed())
	tampered := strings.Replace(cm.Data["genesis.json"], `"chain_id"`, ` "chain_id"`, 1)
	g.Expect(tampered).NotTo(Equal(cm.Data["genesis.json"]))
	// The ConfigMap is immutable: an admin replaces it (delete, create). The hub may copy the real one
	// back in between; then replace it again.
	g.Eventually(func() error {
		if err := m.Client.Delete(ctx, &cm); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		fake := cm.DeepCopy()
		fake.ResourceVersion, fake.UID, fake.CreationTimestamp = "", "", metav1.Time{}
		fake.Data["genesis.json"] = tampered
		return m.Client.Create(ctx, fake)
	}).WithTimeout(30 * time.Second).Should(Succeed())
	// seid-init checks on every start of the pod.
	victimPod := pods[victim.node.Name]
	g.Expect(m.Client.Delete(ctx, &victimPod)).To(Succeed())

	key := client.ObjectKeyFromObject(&victim.node)
	g.Eventually(func(g Gomega) {
		var p corev1.Pod
		g.Expect(m.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: resources.PodName(&victim.node)}, &p)).To(Succeed())
		g.Expect(p.UID).NotTo(Equal(victimPod.UID))
		failing, code := podInitFailure(p)
		g.Expect(failing).To(ContainSubstring("refusing to start"), "seid-init refused the genesis")
		g.Expect(code).To(BeEquivalentTo(resources.ExitGenesisMismatch))
		g.Expect(p.Status.ContainerStatuses).To(HaveEach(HaveField("State.Running", BeNil())), "seid never started")

		var n seiv1alpha1.SeiNode
		g.Expect(m.Client.Get(ctx, key, &n)).To(Succeed())
		c := meta.FindStatusCondition(n.Status.Conditions, seiv1alpha1.NodeGenesisVerified)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(seiv1alpha1.ReasonGenesisMismatch), c.Message)
		g.Expect(meta.IsStatusConditionTrue(n.Status.Conditions, seiv1alpha1.NodeReady)).To(BeFalse())

		var rec seiv1alpha1.SeiNode
		g.Expect(fleet.Hub.Client.Get(ctx, key, &rec)).To(Succeed())
		hc := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeGenesisVerified)
		g.Expect(hc).NotTo(BeNil())
		g.Expect(hc.Reason).To(Equal(seiv1alpha1.ReasonGenesisMismatch), "the hub shows it too")
	}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())

	// Nothing else was touched.
	g.Expect(m.Client.Get(ctx, client.ObjectKeyFromObject(&cm), &cm)).To(Succeed())
	g.Expect(cm.Data["genesis.json"]).To(Equal(tampered), "the agent does not rewrite what it found")
	for _, n := range nodes {
		if n.node.Name == victim.node.Name {
			continue
		}
		var p corev1.Pod
		g.Expect(fleet.Member(n.cluster).Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: resources.PodName(&n.node)}, &p)).To(Succeed())
		before := pods[n.node.Name]
		g.Expect(p.UID).To(Equal(before.UID), "%s's pod was not replaced", n.node.Name)
		_, r := seidContainer(p)
		_, rBefore := seidContainer(before)
		g.Expect(r).To(Equal(rBefore), "%s's seid did not restart", n.node.Name)
	}
	var s1, s2 status
	g.Expect(rpc(nodes[0].podIP, "/status", &s1)).To(Succeed())
	g.Eventually(func() int64 {
		_ = rpc(nodes[0].podIP, "/status", &s2)
		return s2.height()
	}).WithTimeout(time.Minute).Should(BeNumerically(">", s1.height()+3), "the chain goes on with three validators of four")
}

// podInitFailure is why seid-init last failed, from the pod's status ("" when it did not).
func podInitFailure(p corev1.Pod) (string, int32) {
	for _, s := range p.Status.InitContainerStatuses {
		if s.Name != resources.ContainerSeidInit {
			continue
		}
		for _, t := range []*corev1.ContainerStateTerminated{s.State.Terminated, s.LastTerminationState.Terminated} {
			if t != nil && t.ExitCode != 0 {
				return t.Message, t.ExitCode
			}
		}
	}
	return "", 0
}
