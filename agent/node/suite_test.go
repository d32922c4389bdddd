package node_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/sei-protocol/sei-fleet/agent"
	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/node"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
	"github.com/sei-protocol/sei-fleet/planner"
)

// The agent runs in-process against a real member apiserver; envtest's missing StatefulSet
// controller, kubelet and load balancers are simulated, and the seictl sidecar is a faithful fake.

const clusterName = "member"

var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{Members: []string{clusterName}, WithoutHub: true, Simulate: true}, &fleet))
}

func member() *testfleet.ControlPlane { return fleet.Member(clusterName) }

var nsCounter atomic.Int32

// namespace creates a fresh namespace for one test.
func namespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%d", time.Now().UnixNano()%100000, nsCounter.Add(1))
	NewWithT(t).Expect(member().Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	return name
}

// agentRun is one running agent.
type agentRun struct {
	writes *testfleet.WriteRecorder
	stop   func()
}

type agentOpts struct {
	sidecars   *sidecartest.Fleet
	syncPeriod time.Duration
	// restConfig is the identity the agent runs with (default: cluster admin).
	restConfig *rest.Config
	// production turns on the heartbeat and leader election.
	production bool
	// height, when set, reads block heights every 200ms.
	height node.HeightReader
	// stallAfter is the agent's stall window (default: production's).
	stallAfter time.Duration
}

// startAgent runs the real agent wiring (agent.NewManager) in-process until the test ends or stop.
func startAgent(t *testing.T, o agentOpts) *agentRun {
	t.Helper()
	g := NewWithT(t)
	rec := &testfleet.WriteRecorder{Scheme: fleet.Scheme}
	opts := agent.NewOptions()
	opts.ClusterName = clusterName
	opts.MetricsAddr, opts.ProbeAddr = "0", "0"
	opts.Hooks = agent.Hooks{
		Sidecar: func(n *seiv1alpha1.SeiNode) tasks.Sidecar {
			return sidecar.New(o.sidecars.Address(n.Namespace, n.Name), sidecar.ForValidator(n.Spec.Validator != nil))
		},
		// Production timings, but seconds where production waits minutes. A task waiting on an object
		// is looked at again only when a watch reports a change: an hour's fallback would time every
		// test out, so each wait the suite passes shows that a watch woke the node.
		Executor: &planner.Executor[*tasks.Env]{
			Registry:      tasks.Registry(),
			PollInterval:  200 * time.Millisecond,
			Backoff:       func(n int32) time.Duration { return time.Duration(n) * 200 * time.Millisecond },
			WatchFallback: time.Hour,
		},
		NewClient:          rec.NewClient,
		NoHeartbeat:        !o.production,
		SkipNameValidation: true,
	}
	opts.LeaderElect = o.production
	// Without a chain to read, the agent reads no heights (and Ready does not wait for CaughtUp).
	opts.HeightInterval = 0
	if o.height != nil {
		opts.Hooks.Height, opts.HeightInterval = o.height, 200*time.Millisecond
	}
	if o.stallAfter > 0 {
		opts.StallAfter = o.stallAfter
	}
	opts.HeartbeatInterval = time.Second
	cfg := member().Config
	if o.restConfig != nil {
		cfg = o.restConfig
	}
	if o.syncPeriod > 0 {
		opts.Hooks.SyncPeriod = &o.syncPeriod
	}
	ctx, cancel := context.WithCancel(t.Context())
	mgr, err := agent.NewManager(ctx, cfg, config.Default(), opts)
	g.Expect(err).NotTo(HaveOccurred())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			// A runnable that outlives the grace period is a bug; its stack says which.
			buf := make([]byte, 1<<22)
			t.Errorf("agent manager: %v\n%s", err, buf[:runtime.Stack(buf, true)])
		}
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return &agentRun{writes: rec, stop: stop}
}

// startAgentWithSidecars starts the agent with a fake sidecar for every node; both stop when the test
// ends, the agent first.
func startAgentWithSidecars(t *testing.T) *sidecartest.Fleet {
	t.Helper()
	sidecars := sidecartest.NewFleet()
	t.Cleanup(sidecars.Close)
	startAgent(t, agentOpts{sidecars: sidecars})
	return sidecars
}

func fullNode(ns, name string) *seiv1alpha1.SeiNode {
	return &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: seiv1alpha1.SeiNodeSpec{
			ChainID:     "test-1",
			Image:       "seid:v1",
			ClusterName: clusterName,
			FullNode:    &seiv1alpha1.FullNodeSpec{},
			Peers:       []string{"0123456789abcdef0123456789abcdef01234567@peer.example.com:26656"},
		},
	}
}

func get(t *testing.T, key client.ObjectKey) *seiv1alpha1.SeiNode {
	t.Helper()
	n := &seiv1alpha1.SeiNode{}
	NewWithT(t).Expect(member().Client.Get(t.Context(), key, n)).To(Succeed())
	return n
}

// create creates node on the member, has its status dumped if the test fails, and returns its key.
func create(t *testing.T, node *seiv1alpha1.SeiNode) client.ObjectKey {
	t.Helper()
	NewWithT(t).Expect(member().Client.Create(t.Context(), node)).To(Succeed())
	key := client.ObjectKeyFromObject(node)
	dumpOnFailure(t, key)
	return key
}

// dumpOnFailure prints a node's status when the test fails, to show where a plan stopped.
func dumpOnFailure(t *testing.T, key client.ObjectKey) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		n := &seiv1alpha1.SeiNode{}
		if err := member().Client.Get(context.WithoutCancel(t.Context()), key, n); err == nil {
			out, _ := yaml.Marshal(n.Status)
			t.Logf("status of %s:\n%s", key, out)
		}
	})
}

// phaseOf polls a node's phase for Eventually.
func phaseOf(t *testing.T, key client.ObjectKey) func() seiv1alpha1.NodePhase {
	return func() seiv1alpha1.NodePhase {
		n := &seiv1alpha1.SeiNode{}
		if err := member().Client.Get(t.Context(), key, n); err != nil {
			return ""
		}
		return n.Status.Phase
	}
}
