package agentsim_test

import (
	"context"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent"
	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/node"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/agentsim"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Two members: "real" runs the real agent (the Simulator plays kubelet, StatefulSet controller and
// load balancers, sidecartest the seictl sidecar, as in e2e), "sim" runs agentsim.
var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{Members: []string{"real", "sim"}, WithoutHub: true, Simulate: true}, &fleet))
}

const height = 42

// reads counts the real agent's height reads: the chain advances to height, and stays there (within
// the agent's stall window), so both agents end at the same status.
var reads atomic.Int64

func chainAt42(context.Context, *seiv1alpha1.SeiNode) (node.ChainStatus, error) {
	return node.ChainStatus{Height: min(height-2+reads.Add(1), height)}, nil
}

// startRealAgent runs the real agent wiring on member "real" until the test ends.
func startRealAgent(t *testing.T, writes *testfleet.WriteRecorder) {
	g := NewWithT(t)
	sidecars := sidecartest.NewFleet()
	t.Cleanup(sidecars.Close)
	opts := agent.NewOptions()
	opts.ClusterName = "real"
	opts.MetricsAddr, opts.ProbeAddr = "0", "0"
	opts.HeartbeatInterval = time.Second
	opts.HeightInterval = 200 * time.Millisecond
	opts.Hooks = agent.Hooks{
		Sidecar: func(n *seiv1alpha1.SeiNode) tasks.Sidecar {
			return sidecar.New(sidecars.Address(n.Namespace, n.Name), sidecar.ForValidator(n.Spec.Validator != nil))
		},
		Executor: &planner.Executor[*tasks.Env]{
			Registry: tasks.Registry(), PollInterval: 200 * time.Millisecond,
			Backoff: func(n int32) time.Duration { return time.Duration(n) * 200 * time.Millisecond },
		},
		Height: chainAt42, NewClient: writes.NewClient, SkipNameValidation: true,
	}
	ctx, cancel := context.WithCancel(t.Context())
	mgr, err := agent.NewManager(ctx, fleet.Member("real").Config, config.Default(), opts)
	g.Expect(err).NotTo(HaveOccurred())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = mgr.Start(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func fullNode(ns, cluster string) *seiv1alpha1.SeiNode {
	return &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "rpc-0"},
		Spec: seiv1alpha1.SeiNodeSpec{
			ChainID: "test-1", Image: "seid:v1", ClusterName: cluster, FullNode: &seiv1alpha1.FullNodeSpec{},
			Peers: []string{"0123456789abcdef0123456789abcdef01234567@peer.example.com:26656"},
		},
	}
}

// hubView is what the hub's mirror copies of a member node (its whole status) and what it waits for
// (the agent's finalizer), with the values that differ by nature normalised: times, node IDs and the
// P2P port (the real agent's comes from the NodePort the apiserver allocated).
func hubView(g Gomega, n *seiv1alpha1.SeiNode) (seiv1alpha1.SeiNodeStatus, []string) {
	s := *n.Status.DeepCopy()
	s.PhaseTransitionTime = nil
	if s.NodeID != "" {
		s.NodeID = "<node-id>"
	}
	host, port, err := net.SplitHostPort(s.P2PAddress)
	g.Expect(err).NotTo(HaveOccurred(), "p2p address %q", s.P2PAddress)
	g.Expect(port).To(MatchRegexp(`^[1-9][0-9]*$`))
	s.P2PAddress = net.JoinHostPort(host, "<port>")
	for i := range s.Conditions {
		c := &s.Conditions[i]
		c.LastTransitionTime = metav1.Time{}
		if c.Type == seiv1alpha1.NodeIdentityReady && c.Status == metav1.ConditionTrue {
			c.Message = "node ID <node-id>"
		}
	}
	return s, n.Finalizers
}

func TestAgentsimReachesWhatTheRealAgentReaches(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	realWrites := &testfleet.WriteRecorder{Scheme: fleet.Scheme}
	simWrites := &testfleet.WriteRecorder{Scheme: fleet.Scheme}
	for _, m := range fleet.Members {
		for _, ns := range []string{seiv1alpha1.DefaultSystemNamespace, "faithful"} {
			g.Expect(client.IgnoreAlreadyExists(m.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))).To(Succeed())
		}
	}
	startRealAgent(t, realWrites)
	sim, err := agentsim.Start(ctx, fleet.Member("sim").Config, fleet.Scheme, agentsim.Options{
		ClusterName: "sim", HeartbeatInterval: time.Second, NewClient: simWrites.NewClient,
		Height: func(*seiv1alpha1.SeiNode) int64 { return height }, HeightInterval: 200 * time.Millisecond,
	})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { g.Expect(sim.Stop()).To(Succeed()) })

	nodes := map[string]*seiv1alpha1.SeiNode{}
	for _, name := range []string{"real", "sim"} {
		n := fullNode("faithful", name)
		g.Expect(fleet.Member(name).Client.Create(ctx, n)).To(Succeed())
		nodes[name] = n
	}
	running := func(name string) func(Gomega) {
		return func(g Gomega) {
			n := nodes[name]
			g.Expect(fleet.Member(name).Client.Get(ctx, client.ObjectKeyFromObject(n), n)).To(Succeed())
			g.Expect(n.Status.Phase).To(Equal(seiv1alpha1.NodeRunning))
			g.Expect(n.Status.Height).To(BeEquivalentTo(height))
			g.Expect(meta.IsStatusConditionTrue(n.Status.Conditions, seiv1alpha1.NodeReady)).To(BeTrue())
		}
	}
	g.Eventually(running("real")).WithTimeout(60 * time.Second).Should(Succeed())
	g.Eventually(running("sim")).WithTimeout(30 * time.Second).Should(Succeed())

	realStatus, realFinalizers := hubView(g, nodes["real"])
	simStatus, simFinalizers := hubView(g, nodes["sim"])
	g.Expect(simStatus).To(Equal(realStatus), "agentsim (-) and the real agent (+):\n%s", cmp.Diff(simStatus, realStatus))
	g.Expect(simFinalizers).To(Equal(realFinalizers))
	g.Expect(nodes["sim"].Status.NodeID).To(MatchRegexp(`^[0-9a-f]{40}$`), "a node ID as a node key's")
	g.Expect(nodes["sim"].Status.PhaseTransitionTime).NotTo(BeNil())

	// The heartbeat is the real component on both: the same Lease, held by each cluster's name.
	for _, name := range []string{"real", "sim"} {
		lease := &coordinationv1.Lease{}
		g.Eventually(func() error {
			return fleet.Member(name).Client.Get(ctx, client.ObjectKey{Namespace: seiv1alpha1.DefaultSystemNamespace, Name: seiv1alpha1.AgentHeartbeatLease}, lease)
		}).WithTimeout(10 * time.Second).Should(Succeed())
		g.Expect(*lease.Spec.HolderIdentity).To(Equal(name))
		g.Expect(*lease.Spec.LeaseDurationSeconds).To(BeEquivalentTo(4))
	}

	// Deleting: both mark the node Terminating and release their finalizer.
	for name, n := range nodes {
		g.Expect(fleet.Member(name).Client.Delete(ctx, n)).To(Succeed())
	}
	for name, n := range nodes {
		g.Eventually(func() bool {
			return apierrors.IsNotFound(fleet.Member(name).Client.Get(ctx, client.ObjectKeyFromObject(n), &seiv1alpha1.SeiNode{}))
		}).WithTimeout(60*time.Second).Should(BeTrue(), name)
	}
	t.Logf("status writes for one node, create to deleted: real agent %d, agentsim %d",
		statusWrites(realWrites, "faithful"), statusWrites(simWrites, "faithful"))
}

func statusWrites(r *testfleet.WriteRecorder, ns string) int {
	n := 0
	for _, w := range r.Writes() {
		if w.Namespace == ns && w.Kind == "SeiNode" && w.Subresource == "status" {
			n++
		}
	}
	return n
}
