package scale

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/agentsim"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
	"github.com/sei-protocol/sei-fleet/internal/clusterview"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// config is one run of the harness.
type config struct {
	// apiservers is how many real kube-apiservers host the member views; clusters how many views.
	apiservers, clusters int
	// nodes is how many full nodes, in deployments of perDeployment.
	nodes, perDeployment int
	// resync is the hub's --resync; toleration the policy's full-node failover toleration.
	resync, toleration time.Duration
	// timeout bounds each wait (all placed, all Running, failover).
	timeout time.Duration
	// hubArgs are passed to the hub after the harness's own (SCALE_HUB_ARGS).
	hubArgs []string
	// heightInterval is how often each agent-equivalent reads a running node's height (the agent's
	// --height-interval; 0: no heights). steady is how long the converged fleet runs on a moving
	// chain while the hub's writes and CPU are counted (0: not at all).
	heightInterval, steady time.Duration
}

// result is what a run measured.
type result struct {
	engage, placed, running     time.Duration // engage: hub start to every cluster healthy
	cpuSeconds, peakRSSMiB      float64
	hubRequests, hubWrites      int64 // to the hub apiserver and every member, start to all Running
	resyncWrites                int64 // by the hub, over two resync periods of the converged fleet
	steadyWrites                int64 // by the hub, over the steady window on a moving chain
	steadyCPUSeconds            float64
	steady                      time.Duration // the steady window's length
	failoverNodes               int
	failover, failoverFromTol   time.Duration // down to re-placed and Running; and from the toleration's expiry
	clustersUsed, maxPerCluster int           // how the nodes spread once all Running
}

// fleetUnderTest is everything one run starts; close stops it in reverse.
type fleetUnderTest struct {
	fleet    *testfleet.Fleet
	views    []*clusterview.View
	proxies  []*countingProxy // [0] is the hub apiserver's; then one per view
	agents   []*agentsim.Agent
	chain    chain
	hub      *hubProcess
	closers  []func()
	hubProxy *countingProxy
	// watched holds the hub's records and deployments from a watch: the waits read it, not lists. A
	// list of every record each second weighed on the hub apiserver and, once that was busy, timed
	// out (15 s) for minutes, so the waits saw nothing new and the times came out too long.
	watched  cache.Cache
	logf     func(format string, args ...any)
	progress string // what the last poll of a wait saw, logged every 30 s
}

func (f *fleetUnderTest) close() {
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
}

func (f *fleetUnderTest) hubCounts() (requests, writes int64) {
	for _, p := range f.proxies {
		requests += p.requests()
		writes += p.writes.Load()
	}
	return requests, writes
}

// uses sums the hub's requests by method and resource: to the hub apiserver, and to all members.
func (f *fleetUnderTest) uses() (hub, members map[string]int64) {
	hub, members = f.hubProxy.uses(), map[string]int64{}
	for _, p := range f.proxies {
		if p == f.hubProxy {
			continue
		}
		for use, n := range p.uses() {
			members[use] += n
		}
	}
	return hub, members
}

// perNode says, most frequent first, how many requests of each kind were made per node between two
// counts.
func perNode(before, after map[string]int64, nodes int) string {
	type use struct {
		name string
		n    int64
	}
	var all []use
	for name, n := range after {
		if d := n - before[name]; d > 0 {
			all = append(all, use{name, d})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].name < all[j].name })
	parts := make([]string, 0, len(all))
	for _, u := range all {
		parts = append(parts, fmt.Sprintf("%s %.2f", u.name, float64(u.n)/float64(nodes)))
	}
	return strings.Join(parts, ", ")
}

const namespace = "scale"

func clusterName(i int) string { return fmt.Sprintf("c%03d", i) }

// run starts the fleet, applies the nodes and measures; it fails tb on any error.
func run(tb testing.TB, cfg config) result {
	if _, err := testfleet.AssetsDir(); err != nil {
		tb.Skipf("needs the test binaries (make test-bins): %v", err)
	}
	ctx := tb.Context()
	f := &fleetUnderTest{logf: tb.Logf}
	tb.Cleanup(f.close)
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	members := make([]string, cfg.apiservers)
	for i := range members {
		members[i] = fmt.Sprintf("m%d", i)
	}
	fleet, err := testfleet.Start(testfleet.Options{Members: members})
	must(err)
	f.fleet = fleet
	f.closers = append(f.closers, func() { _ = fleet.Stop() })
	hc := fleet.Hub.Client
	f.watched, err = watchHub(ctx, fleet)
	must(err)

	for _, ns := range []string{seiv1alpha1.DefaultSystemNamespace, namespace} {
		must(hc.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	// The hub runs with exactly its generated RBAC, as a deployed hub does, behind a counting proxy.
	const hubUser = "sei-fleet-hub-scale"
	must(fleet.Hub.Grant(ctx, hubUser, filepath.Join(repoRoot(), "deploy", "hub", "rbac", "role.yaml")))
	_, hubCfg, err := fleet.Hub.UserKubeconfig(hubUser)
	must(err)
	f.hubProxy, err = startCountingProxy(hubCfg)
	must(err)
	f.proxies = append(f.proxies, f.hubProxy)
	f.closers = append(f.closers, f.hubProxy.close)

	// The members: views spread over the apiservers, each with its agent-equivalent, registered on
	// the hub as a cluster admin registers a member (ManagedCluster, kubeconfig Secret).
	regions := min(10, cfg.clusters)
	for i := range cfg.clusters {
		name := clusterName(i)
		v, err := clusterview.Start(ctx, fleet.Members[i%cfg.apiservers].Config, name)
		must(err)
		f.views = append(f.views, v)
		f.closers = append(f.closers, v.Close)
		vc, err := client.New(v.RESTConfig(), client.Options{Scheme: fleet.Scheme})
		must(err)
		must(client.IgnoreAlreadyExists(vc.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: seiv1alpha1.DefaultSystemNamespace}})))
		a, err := agentsim.Start(ctx, v.RESTConfig(), fleet.Scheme, agentsim.Options{
			ClusterName: name, HeartbeatInterval: agent.NewOptions().HeartbeatInterval,
			Height: f.chain.height, HeightInterval: cfg.heightInterval,
		})
		must(err)
		f.agents = append(f.agents, a)
		f.closers = append(f.closers, func() { _ = a.Stop() })
		p, err := startCountingProxy(v.RESTConfig())
		must(err)
		f.proxies = append(f.proxies, p)
		f.closers = append(f.closers, p.close)
		kc, err := p.kubeconfig(name)
		must(err)
		must(hc.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: seiv1alpha1.DefaultSystemNamespace, Name: name + seiv1alpha1.KubeconfigSecretSuffix},
			Data:       map[string][]byte{seiv1alpha1.KubeconfigSecretKey: kc},
		}))
		must(hc.Create(ctx, &clusterv1.ManagedCluster{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
				"region": fmt.Sprintf("r%d", i%regions), "zone": fmt.Sprintf("r%d-z%d", i%regions, i/regions)}},
			Spec: clusterv1.ManagedClusterSpec{HubAcceptsClient: true},
		}))
	}
	must(hc.Create(ctx, &seiv1alpha1.SeiPlacementPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: namespace},
		Spec: seiv1alpha1.SeiPlacementPolicySpec{
			TopologyKey: "region",
			ClusterSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "region", Operator: metav1.LabelSelectorOpExists}}},
			Failover: seiv1alpha1.FailoverSpec{FullNodes: seiv1alpha1.FullNodeFailover{
				TolerationSeconds: ptr.To(int64(cfg.toleration / time.Second))}},
		},
	}))

	// The real hub binary: this tree's cmd/hub, or SCALE_HUB_BIN (another build to compare).
	dir := tb.TempDir()
	bin := os.Getenv("SCALE_HUB_BIN")
	if bin == "" {
		bin, err = buildHub(ctx, dir)
		must(err)
	}
	kc, err := f.hubProxy.kubeconfig("hub")
	must(err)
	kcPath := filepath.Join(dir, "hub.kubeconfig")
	must(os.WriteFile(kcPath, kc, 0o600))
	args := append([]string{
		"--kubeconfig", kcPath, "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
		"--resync", cfg.resync.String(),
	}, cfg.hubArgs...)
	hubStart := time.Now()
	f.hub, err = startHub(bin, filepath.Join(dir, "hub.log"), args)
	must(err)
	f.closers = append(f.closers, f.hub.stop)
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("hub log tail:\n%s", f.hub.logTail(60))
		}
	})

	var res result
	must(f.waitFor(ctx, cfg.timeout, "every cluster engaged and healthy", f.allHealthy))
	res.engage = time.Since(hubStart)

	// Apply, and time it.
	cpu0, err := f.hub.cpuSeconds()
	must(err)
	req0, writes0 := f.hubCounts()
	hubUses0, memberUses0 := f.uses()
	start := time.Now()
	for d := 0; d*cfg.perDeployment < cfg.nodes; d++ {
		must(hc.Create(ctx, fullNodes(fmt.Sprintf("d%03d", d), min(cfg.perDeployment, cfg.nodes-d*cfg.perDeployment))))
	}
	must(f.waitFor(ctx, cfg.timeout, "every node placed", func(ctx context.Context) (bool, error) { return f.allPlaced(ctx, cfg.nodes) }))
	res.placed = time.Since(start)
	must(f.waitFor(ctx, cfg.timeout, "every node Running", f.allReady))
	res.running = time.Since(start)
	req1, writes1 := f.hubCounts()
	res.hubRequests, res.hubWrites = req1-req0, writes1-writes0
	hubUses1, memberUses1 := f.uses()
	tb.Logf("the hub's requests per node, apply to all Running, to the hub apiserver: %s; to members: %s",
		perNode(hubUses0, hubUses1, cfg.nodes), perNode(memberUses0, memberUses1, cfg.nodes))
	cpu1, err := f.hub.cpuSeconds()
	must(err)
	res.cpuSeconds = cpu1 - cpu0

	nodes, err := f.records(ctx)
	must(err)
	perCluster := map[string]int{}
	for _, n := range nodes {
		perCluster[n.Spec.ClusterName]++
	}
	res.clustersUsed = len(perCluster)
	for _, c := range perCluster {
		res.maxPerCluster = max(res.maxPerCluster, c)
	}

	// A resync of the converged fleet writes nothing.
	_, before := f.hubCounts()
	time.Sleep(2*cfg.resync + cfg.resync/2)
	must(f.hub.running())
	_, after := f.hubCounts()
	res.resyncWrites = after - before

	// The chain moves: every running node's height changes on each of its agent's reads.
	if cfg.steady > 0 {
		f.chain.advance()
		cpu0, err := f.hub.cpuSeconds()
		must(err)
		_, before := f.hubCounts()
		time.Sleep(cfg.steady)
		must(f.hub.running())
		_, after := f.hubCounts()
		cpu1, err := f.hub.cpuSeconds()
		must(err)
		res.steady, res.steadyWrites, res.steadyCPUSeconds = cfg.steady, after-before, cpu1-cpu0
	}

	// One member fails: its nodes move after the toleration.
	res.failoverNodes, res.failover = f.failover(tb, ctx, cfg)
	res.failoverFromTol = res.failover - cfg.toleration
	res.peakRSSMiB, err = f.hub.peakRSSMiB()
	must(err)
	return res
}

// failover takes down the cluster that holds the most nodes (its view fails every request, its
// heartbeat stops) and waits until every node it held is placed elsewhere and every deployment is whole
// again.
func (f *fleetUnderTest) failover(tb testing.TB, ctx context.Context, cfg config) (int, time.Duration) {
	nodes, err := f.records(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	perCluster := map[string]int{}
	for _, n := range nodes {
		perCluster[n.Spec.ClusterName]++
	}
	victim := 0
	for i := range f.views {
		if perCluster[clusterName(i)] > perCluster[clusterName(victim)] {
			victim = i
		}
	}
	lost, held := clusterName(victim), perCluster[clusterName(victim)]
	if held == 0 {
		tb.Fatal("no cluster holds a node")
	}
	down := time.Now()
	f.agents[victim].StopHeartbeat()
	f.views[victim].SetDown(true)
	err = f.waitFor(ctx, cfg.timeout+cfg.toleration, "the lost cluster's nodes re-placed and Running", func(ctx context.Context) (bool, error) {
		nodes, err := f.records(ctx)
		if err != nil {
			return false, err
		}
		for _, n := range nodes {
			if n.Spec.ClusterName == lost {
				return false, nil
			}
		}
		return f.allReady(ctx)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return held, time.Since(down)
}

// watchHub starts a cache of the hub's SeiNodes and SeiNodeDeployments in the harness's namespace, as
// the harness's admin (its requests are not the hub's, and are not counted).
func watchHub(ctx context.Context, fleet *testfleet.Fleet) (cache.Cache, error) {
	c, err := cache.New(fleet.Hub.Config, cache.Options{Scheme: fleet.Scheme, DefaultNamespaces: map[string]cache.Config{namespace: {}}})
	if err != nil {
		return nil, fmt.Errorf("hub cache: %w", err)
	}
	for _, o := range []client.Object{&seiv1alpha1.SeiNode{}, &seiv1alpha1.SeiNodeDeployment{}} {
		if _, err := c.GetInformer(ctx, o); err != nil {
			return nil, fmt.Errorf("hub cache: %w", err)
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, errors.New("hub cache did not sync")
	}
	return c, nil
}

func (f *fleetUnderTest) records(ctx context.Context) ([]seiv1alpha1.SeiNode, error) {
	var l seiv1alpha1.SeiNodeList
	if err := f.watched.List(ctx, &l, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list hub SeiNodes: %w", err)
	}
	return l.Items, nil
}

func (f *fleetUnderTest) allPlaced(ctx context.Context, want int) (bool, error) {
	nodes, err := f.records(ctx)
	if err != nil {
		return false, err
	}
	placed := 0
	for _, n := range nodes {
		if n.Spec.ClusterName != "" {
			placed++
		}
	}
	f.progress = fmt.Sprintf("%d/%d placed", placed, want)
	return placed >= want, nil
}

func (f *fleetUnderTest) allReady(ctx context.Context) (bool, error) {
	var l seiv1alpha1.SeiNodeDeploymentList
	if err := f.watched.List(ctx, &l, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return false, fmt.Errorf("list SeiNodeDeployments: %w", err)
	}
	var ready, replicas int32
	for _, d := range l.Items {
		ready, replicas = ready+min(d.Status.ReadyReplicas, d.Spec.Replicas), replicas+d.Spec.Replicas
	}
	f.progress = fmt.Sprintf("%d/%d ready", ready, replicas)
	return len(l.Items) > 0 && ready == replicas, nil
}

// allHealthy: the hub pinned every cluster's identity and the policy counts every cluster healthy, so
// that placement starts with the whole fleet (a cluster not yet probed gets no new node, and placement
// is sticky).
func (f *fleetUnderTest) allHealthy(ctx context.Context) (bool, error) {
	var l clusterv1.ManagedClusterList
	if err := f.fleet.Hub.Client.List(ctx, &l); err != nil {
		return false, fmt.Errorf("list ManagedClusters: %w", err)
	}
	for _, mc := range l.Items {
		if mc.Annotations[seiv1alpha1.AnnotationClusterIdentity] == "" {
			return false, nil
		}
	}
	p := &seiv1alpha1.SeiPlacementPolicy{}
	if err := f.fleet.Hub.Client.Get(ctx, client.ObjectKey{Name: namespace}, p); err != nil {
		return false, fmt.Errorf("get SeiPlacementPolicy: %w", err)
	}
	return len(l.Items) == len(f.views) && int(p.Status.HealthyClusters) == len(f.views), nil
}

// waitPoll is how often a wait looks (at the watched cache, not the apiserver).
const waitPoll = 250 * time.Millisecond

// waitFor polls done until it holds, the hub exits, or timeout, every waitPoll.
func (f *fleetUnderTest) waitFor(ctx context.Context, timeout time.Duration, what string, done func(context.Context) (bool, error)) error {
	start := time.Now()
	deadline, nextLog := start.Add(timeout), start.Add(30*time.Second)
	var last error
	f.progress = ""
	for time.Now().Before(deadline) {
		if now := time.Now(); now.After(nextLog) && f.progress != "" && f.logf != nil {
			// A failed look leaves the progress of the last good one: say so, and why.
			stale := ""
			if last != nil {
				stale = fmt.Sprintf(" (as of the last good look; the last failed: %v)", last)
			}
			f.logf("waiting for %s, %s: %s%s", what, now.Sub(start).Round(time.Second), f.progress, stale)
			nextLog = now.Add(30 * time.Second)
		}
		if err := f.hub.running(); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		ok, err := done(ctx)
		if ok {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(waitPoll):
		}
	}
	return aggregate.Join(fmt.Errorf("%s: not within %s", what, timeout), last)
}

func fullNodes(name string, replicas int) *seiv1alpha1.SeiNodeDeployment {
	return &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{
			ChainID: "pacific-1", Image: "ghcr.io/sei-protocol/seid:scale", Replicas: int32(replicas), Role: seiv1alpha1.RoleFullNode,
			Placement: seiv1alpha1.PlacementSpec{PolicyName: namespace},
		},
	}
}

// hubArgs are the extra hub arguments in SCALE_HUB_ARGS (space-separated).
func hubArgs() []string { return strings.Fields(os.Getenv("SCALE_HUB_ARGS")) }
