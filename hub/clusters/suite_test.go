package clusters_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	mcbuilder "sigs.k8s.io/multicluster-runtime/pkg/builder"
	mcmanager "sigs.k8s.io/multicluster-runtime/pkg/manager"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"
	mcreconcile "sigs.k8s.io/multicluster-runtime/pkg/reconcile"

	"github.com/sei-protocol/sei-fleet/agent/heartbeat"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// One hub and three members for the whole package; every test gets its own hub namespace (the
// provider's), the same namespace on each member (heartbeat Leases, SeiNodes), and ManagedCluster
// names ending in its own number.
var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{Members: []string{"us", "eu", "ap"}}, &fleet))
}

// Short intervals keep the package fast; Resync is long so tests prove the watches, not the resync.
const (
	probeInterval = 300 * time.Millisecond
	probeTimeout  = time.Second
	wait          = 15 * time.Second
	poll          = 50 * time.Millisecond
)

var testNumber atomic.Int32

// hubEnv is one test's hub: a provider, a monitor and a SeiNode controller in a running mcmanager.
type hubEnv struct {
	ns       string
	n        int32
	provider *clusters.Provider
	monitor  *clusters.Monitor
	events   <-chan event.GenericEvent
	// reqs logs the SeiNode recorder's reconciles as "cluster/name".
	reqs *requestLog
	// changes logs the provider's OnChange calls as "cluster=instance".
	changes *requestLog
}

// requestLog is a goroutine-safe record of strings ("cluster/name" reconciles, or cluster names).
type requestLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *requestLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, s)
}

func (l *requestLog) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.seen, s)
}

func (l *requestLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.seen)
}

// hubOptions shape a test's hub; zero values take the package defaults.
type hubOptions struct {
	clientTimeout time.Duration // default 2s
	probeInterval time.Duration // default probeInterval
	qps           float64       // member rate limit; default none
	burst         int
}

// startHub runs a hub manager for the test until the test ends.
func startHub(t *testing.T, o hubOptions) *hubEnv {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	e := &hubEnv{n: testNumber.Add(1), reqs: &requestLog{}, changes: &requestLog{}}
	e.ns = fmt.Sprintf("fleet-%d", e.n)
	if o.clientTimeout == 0 {
		o.clientTimeout = 2 * time.Second
	}
	if o.probeInterval == 0 {
		o.probeInterval = probeInterval
	}
	for _, cp := range fleet.All() {
		g.Expect(cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}})).To(Succeed(), cp.Name)
	}

	e.provider = clusters.New(clusters.Options{
		Namespace: e.ns, Scheme: fleet.Scheme, ClientTimeout: o.clientTimeout, Resync: time.Minute, HeartbeatNamespace: e.ns,
		QPS: o.qps, Burst: o.burst,
	})
	// Each change is logged with what Get returns at that moment: the instance, or "gone".
	e.provider.OnChange(func(name string) { e.changes.add(name + "=" + e.instance(ctx, name)) })
	mgr, err := mcmanager.New(fleet.Hub.Config, e.provider, mcmanager.Options{
		Scheme:                 fleet.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Every test builds controllers with the same names.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Namespaces: map[string]cache.Config{e.ns: {}}},
		}},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.provider.SetupWithManager(ctx, mgr)).To(Succeed())

	e.monitor = &clusters.Monitor{
		Provider: e.provider, Hub: mgr.GetLocalManager().GetClient(),
		Interval: o.probeInterval, ProbeTimeout: probeTimeout, HeartbeatNamespace: e.ns,
	}
	e.events = e.monitor.Subscribe()
	g.Expect(mgr.GetLocalManager().Add(e.monitor)).To(Succeed())

	// mcbuilder ignores the manager's controller options: skip the name check here too.
	err = mcbuilder.ControllerManagedBy(mgr).Named("seinode-recorder").For(&seiv1alpha1.SeiNode{}).
		WithOptions(controller.TypedOptions[mcreconcile.Request]{SkipNameValidation: ptr.To(true)}).
		Complete(mcreconcile.Func(func(_ context.Context, req mcreconcile.Request) (reconcile.Result, error) {
			e.reqs.add(req.ClusterName.String() + "/" + req.Name)
			return reconcile.Result{}, nil
		}))
	g.Expect(err).NotTo(HaveOccurred())

	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("hub manager: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("hub manager did not stop within 30s")
		}
	})
	return e
}

// instance names the cluster engaged as name ("gone" when there is none).
func (e *hubEnv) instance(ctx context.Context, name string) string {
	cl, err := e.provider.Get(ctx, multicluster.ClusterName(name))
	if err != nil {
		return "gone"
	}
	return fmt.Sprintf("%p", cl)
}

// name returns a ManagedCluster name unique to this test.
func (e *hubEnv) name(base string) string { return fmt.Sprintf("%s-%d", base, e.n) }

// register creates a ManagedCluster and, when kubeconfig is not nil, its kubeconfig Secret. The
// ManagedCluster is deleted when the test ends.
func (e *hubEnv) register(t *testing.T, name string, accept bool, kubeconfig []byte) {
	t.Helper()
	mc := &clusterv1.ManagedCluster{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       clusterv1.ManagedClusterSpec{HubAcceptsClient: accept},
	}
	NewWithT(t).Expect(fleet.Hub.Client.Create(t.Context(), mc)).To(Succeed())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 10*time.Second)
		defer cancel()
		if err := client.IgnoreNotFound(fleet.Hub.Client.Delete(ctx, mc)); err != nil {
			t.Errorf("delete ManagedCluster %s: %v", name, err)
		}
	})
	if kubeconfig != nil {
		e.putSecret(t, name, map[string][]byte{seiv1alpha1.KubeconfigSecretKey: kubeconfig})
	}
}

// putSecret creates or replaces the kubeconfig Secret of cluster name.
func (e *hubEnv) putSecret(t *testing.T, name string, data map[string][]byte) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: clusters.KubeconfigSecretName(name)}}
	_, err := controllerutil.CreateOrUpdate(t.Context(), fleet.Hub.Client, s, func() error {
		s.Data = data
		return nil
	})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
}

// engaged waits until name is engaged and returns its cluster.
func (e *hubEnv) engaged(t *testing.T, name string) cluster.Cluster {
	t.Helper()
	var cl cluster.Cluster
	NewWithT(t).Eventually(func() error {
		var err error
		cl, err = e.provider.Get(t.Context(), multicluster.ClusterName(name))
		return err
	}).WithTimeout(wait).WithPolling(poll).Should(Succeed(), "cluster %s engaged", name)
	return cl
}

// seiNode creates a SeiNode in the test's namespace on cp.
func (e *hubEnv) seiNode(t *testing.T, cp *testfleet.ControlPlane, name string) {
	t.Helper()
	node := &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: name},
		Spec:       seiv1alpha1.SeiNodeSpec{ChainID: "test-1", Image: "seid:test", FullNode: &seiv1alpha1.FullNodeSpec{}},
	}
	NewWithT(t).Expect(cp.Client.Create(t.Context(), node)).To(Succeed())
}

// heartbeat writes cp's agent heartbeat Lease in the test's namespace, naming holder, renewed at
// renewed with a 40s duration.
func (e *hubEnv) heartbeat(t *testing.T, cp *testfleet.ControlPlane, holder string, renewed time.Time) {
	t.Helper()
	hb := &heartbeat.Heartbeat{
		Client: cp.Client, Namespace: e.ns, ClusterName: holder, Interval: 10 * time.Second,
		Now: func() time.Time { return renewed },
	}
	NewWithT(t).Expect(hb.Renew(t.Context())).To(Succeed(), "heartbeat on %s", cp.Name)
}

// health waits until the monitor reports reason for name and returns that report.
func (e *hubEnv) health(t *testing.T, name, reason string) clusters.Health {
	t.Helper()
	var h clusters.Health
	NewWithT(t).Eventually(func() string {
		h, _ = e.monitor.Get(name)
		return h.Reason
	}).WithTimeout(wait).WithPolling(poll).Should(Equal(reason), "health of %s", name)
	return h
}

// changed returns the cluster names of the monitor's events received within d.
func (e *hubEnv) changed(d time.Duration) []string {
	var names []string
	timeout := time.After(d)
	for {
		select {
		case ev := <-e.events:
			names = append(names, ev.Object.GetName())
		case <-timeout:
			return names
		}
	}
}
