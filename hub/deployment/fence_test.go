package deployment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	mcmanager "sigs.k8s.io/multicluster-runtime/pkg/manager"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	"github.com/sei-protocol/sei-fleet/agent/heartbeat"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// The fence on real apiservers: a hub and two members, us and eu, started by the test itself (this
// package's other tests need none). The member copy of the validator carries the agent's finalizer,
// which the test releases where the agent would: the copy is then gone for real.
//
// A kubeconfig that reaches another cluster than the one that runs the validator answers "not found"
// for its copy; the fence must never take that for the copy's removal.
func TestFenceTrustsOnlyTheVerifiedMember(t *testing.T) {
	f := startFleet(t, "us", "eu")
	us, eu := f.Member("us"), f.Member("eu")

	t.Run("a swapped kubeconfig Secret", func(t *testing.T) {
		g := NewWithT(t)
		h := startFenceHub(t, f)
		a := h.register(t, "a", us)
		rec := h.validator(t, a, us)

		h.putSecret(t, a, eu.Kubeconfig)
		h.heartbeat(t, eu, a) // eu's agent naming A does not make eu A
		h.awaitUnverified(t, a)
		h.fenceRounds(t, rec, a, 10)
		g.Expect(rec.Annotations).NotTo(HaveKey(seiv1alpha1.AnnotationFencedCluster), "not fenced through eu")
		g.Expect(h.copyOn(t, us, rec)).To(HaveField("DeletionTimestamp", BeNil()), "the copy on us was not even touched")

		// The Secret is put back: the fence runs on us, and completes once the agent let the copy go.
		h.putSecret(t, a, us.Kubeconfig)
		h.fenceUntilDeleted(t, rec, a, us)
		h.releaseAgentFinalizer(t, us, rec)
		h.fenceRounds(t, rec, a, 1)
		g.Expect(rec.Annotations).To(HaveKeyWithValue(seiv1alpha1.AnnotationFencedCluster, a))
	})

	t.Run("an address that now reaches another cluster", func(t *testing.T) {
		g := NewWithT(t)
		h := startFenceHub(t, f)
		proxy, err := testfleet.StartProxy(us)
		g.Expect(err).NotTo(HaveOccurred())
		t.Cleanup(proxy.Close)
		kubeconfig, err := proxy.Kubeconfig()
		g.Expect(err).NotTo(HaveOccurred())
		a := h.registerWith(t, "a", kubeconfig, us)
		rec := h.validator(t, a, us)

		// No health probe runs here: the fence's own check is all that stands between it and eu.
		h.heartbeat(t, eu, a)
		g.Expect(proxy.Switch(eu)).To(Succeed())
		h.fenceRounds(t, rec, a, 10)
		g.Expect(rec.Annotations).NotTo(HaveKey(seiv1alpha1.AnnotationFencedCluster), "not fenced through eu")
		g.Expect(h.copyOn(t, us, rec)).To(HaveField("DeletionTimestamp", BeNil()))
	})

	t.Run("a member rebuilt under the same name", func(t *testing.T) {
		g := NewWithT(t)
		h := startFenceHub(t, f)
		a := h.register(t, "a", us)
		rec := h.validator(t, a, us)

		rebuilt := startMember(t, "rebuilt")
		g.Expect(rebuilt.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: h.ns}})).To(Succeed())
		h.heartbeat(t, rebuilt, a) // its agent, installed afresh, has the same cluster name
		h.putSecret(t, a, rebuilt.Kubeconfig)
		h.awaitUnverified(t, a)
		h.fenceRounds(t, rec, a, 10)
		g.Expect(rec.Annotations).NotTo(HaveKey(seiv1alpha1.AnnotationFencedCluster), "not fenced through the rebuilt cluster")
		g.Expect(h.copyOn(t, us, rec)).To(HaveField("DeletionTimestamp", BeNil()))
	})

	t.Run("a copy back on the cluster a validator leaves", func(t *testing.T) {
		// A mirror that read the record before the fence mark can create its copy after the fence's
		// "not found", and die before taking it back: the move itself must find it.
		g := NewWithT(t)
		ctx := t.Context()
		h := startFenceHub(t, f)
		a, b := h.register(t, "a", us), h.register(t, "b", eu)
		dep := &seiv1alpha1.SeiNodeDeployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "vals"},
			Spec: seiv1alpha1.SeiNodeDeploymentSpec{
				ChainID: "test-1", Image: "seid:v1", Replicas: 1, Role: seiv1alpha1.RoleValidator,
				Placement: seiv1alpha1.PlacementSpec{PolicyName: "p"},
				Genesis: &seiv1alpha1.GenesisCeremonySpec{StakingAmount: "10000000usei", AccountBalance: "1000000000000usei",
					StartDelay: metav1.Duration{Duration: 5 * time.Second}, Deadline: metav1.Duration{Duration: 5 * time.Minute}},
			},
		}
		g.Expect(h.fleet.Hub.Client.Create(ctx, dep)).To(Succeed())
		h.env.Deployment, h.env.Policy = dep, "p"
		rec := h.validator(t, a, us)
		h.fenceUntilDeleted(t, rec, a, us)
		h.releaseAgentFinalizer(t, us, rec)
		h.fenceRounds(t, rec, a, 1)
		g.Expect(rec.Annotations).To(HaveKeyWithValue(seiv1alpha1.AnnotationFencedCluster, a))

		back := &seiv1alpha1.SeiNode{
			ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: rec.Name, Finalizers: []string{"sei.io/agent"}},
			Spec:       *rec.Spec.DeepCopy(),
		}
		g.Expect(us.Client.Create(ctx, back)).To(Succeed())
		move := Placement{Place: map[int]string{0: b}, From: map[int]string{0: a}, Leaving: map[int]string{0: a}}
		pt := &seiv1alpha1.PlannedTask{StartedAt: ptr.To(metav1.Now())}
		res, err := writeRecords(ctx, h.env, pt, move)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Done).To(BeFalse(), "the move waits")
		g.Expect(h.fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(rec), rec)).To(Succeed())
		g.Expect(rec.Spec.ClusterName).To(Equal(a), "not moved while a copy is on the cluster it leaves")
		g.Expect(h.copyOn(t, us, rec).DeletionTimestamp).NotTo(BeNil(), "the copy found there is deleted")

		h.releaseAgentFinalizer(t, us, rec)
		res, err = writeRecords(ctx, h.env, pt, move)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Done).To(BeTrue())
		g.Expect(h.fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(rec), rec)).To(Succeed())
		g.Expect(rec.Spec.ClusterName).To(Equal(b), "moved once the agent confirmed it gone")
	})

	t.Run("another copy than the one the hub saw", func(t *testing.T) {
		g := NewWithT(t)
		h := startFenceHub(t, f)
		a := h.register(t, "a", us)
		rec := h.validator(t, a, us)
		h.annotate(t, rec, seiv1alpha1.AnnotationMemberCopyUID, "uid-of-an-earlier-copy")

		h.fenceUntilDeleted(t, rec, a, us)
		g.Expect(rec.Annotations).NotTo(HaveKey(seiv1alpha1.AnnotationFencedCluster))
		g.Expect(h.logs.String()).To(ContainSubstring("Fence found another member copy than the one the hub saw"))
		h.releaseAgentFinalizer(t, us, rec)
		h.fenceRounds(t, rec, a, 1)
		g.Expect(rec.Annotations).To(HaveKeyWithValue(seiv1alpha1.AnnotationFencedCluster, a))
	})
}

// startFleet starts a hub and members for the test, stopped when it ends. Without the test binaries
// it skips, except in CI.
func startFleet(t *testing.T, members ...string) *testfleet.Fleet {
	t.Helper()
	return start(t, testfleet.Options{Members: members})
}

// startMember starts one more member control plane for the test.
func startMember(t *testing.T, name string) *testfleet.ControlPlane {
	t.Helper()
	return start(t, testfleet.Options{Members: []string{name}, WithoutHub: true}).Members[0]
}

func start(t *testing.T, opts testfleet.Options) *testfleet.Fleet {
	t.Helper()
	if _, err := testfleet.AssetsDir(); err != nil {
		if errors.Is(err, testfleet.ErrAssetsMissing) && !testfleet.InCI() {
			t.Skipf("integration test: %v", err)
		}
		t.Fatal(err)
	}
	f, err := testfleet.Start(opts)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() {
		if err := f.Stop(); err != nil {
			t.Errorf("stop control planes: %v", err)
		}
	})
	return f
}

// fenceHub is a hub for one subtest: a cluster provider in a running manager, and an Env for the
// fence with the subtest's namespace.
type fenceHub struct {
	fleet    *testfleet.Fleet
	ns       string
	provider *clusters.Provider
	env      *Env
	logs     *logBuffer
}

var fenceHubs int

func startFenceHub(t *testing.T, f *testfleet.Fleet) *fenceHub {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	fenceHubs++
	h := &fenceHub{fleet: f, ns: fmt.Sprintf("fence-%d", fenceHubs), logs: &logBuffer{}}
	for _, cp := range f.All() {
		g.Expect(cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: h.ns}})).To(Succeed())
	}
	h.provider = clusters.New(clusters.Options{
		Namespace: h.ns, Scheme: f.Scheme, ClientTimeout: 2 * time.Second, Resync: time.Minute, HeartbeatNamespace: h.ns,
	})
	mgr, err := mcmanager.New(f.Hub.Config, h.provider, mcmanager.Options{
		Scheme: f.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Namespaces: map[string]cache.Config{h.ns: {}}},
		}},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.provider.SetupWithManager(ctx, mgr)).To(Succeed())
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
	h.env = &Env{
		Hub: f.Hub.Client, HubReader: f.Hub.Client, Scheme: f.Scheme,
		Members: verifiedMembers{Manager: mgr, provider: h.provider},
	}
	return h
}

// verifiedMembers is what hub.NewManager hands the deployment controller.
type verifiedMembers struct {
	mcmanager.Manager
	provider *clusters.Provider
}

func (m verifiedMembers) GetCluster(ctx context.Context, name multicluster.ClusterName) (cluster.Cluster, error) {
	return m.Manager.GetCluster(ctx, name)
}

func (m verifiedMembers) VerifyIdentity(ctx context.Context, name string) error {
	return m.provider.VerifyIdentity(ctx, name)
}

// register registers cp as a cluster named base-<namespace>, with its agent heartbeat, and waits until
// it is engaged.
func (h *fenceHub) register(t *testing.T, base string, cp *testfleet.ControlPlane) string {
	t.Helper()
	return h.registerWith(t, base, cp.Kubeconfig, cp)
}

// registerWith registers a cluster reached through kubeconfig, whose agent runs on cp.
func (h *fenceHub) registerWith(t *testing.T, base string, kubeconfig []byte, cp *testfleet.ControlPlane) string {
	t.Helper()
	g := NewWithT(t)
	name := base + "-" + h.ns
	mc := &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ManagedClusterSpec{HubAcceptsClient: true}}
	g.Expect(h.fleet.Hub.Client.Create(t.Context(), mc)).To(Succeed())
	t.Cleanup(func() { _ = h.fleet.Hub.Client.Delete(context.WithoutCancel(t.Context()), mc) })
	h.heartbeat(t, cp, name)
	h.putSecret(t, name, kubeconfig)
	g.Eventually(func() error { return h.provider.VerifyIdentity(t.Context(), name) }).
		WithTimeout(15*time.Second).WithPolling(50*time.Millisecond).Should(Succeed(), "%s engaged", name)
	return name
}

func (h *fenceHub) putSecret(t *testing.T, cluster string, kubeconfig []byte) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: clusters.KubeconfigSecretName(cluster)}}
	err := h.fleet.Hub.Client.Get(t.Context(), client.ObjectKeyFromObject(s), s)
	s.Data = map[string][]byte{seiv1alpha1.KubeconfigSecretKey: kubeconfig}
	if err == nil {
		err = h.fleet.Hub.Client.Update(t.Context(), s)
	} else {
		err = h.fleet.Hub.Client.Create(t.Context(), s)
	}
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
}

// awaitUnverified waits until the hub no longer verifies cluster: the provider has seen the Secret
// change. Until then the fence rightly acts on the cluster it still reaches (the real one), which is
// not what these cases are about.
func (h *fenceHub) awaitUnverified(t *testing.T, cluster string) {
	t.Helper()
	NewWithT(t).Eventually(func() error { return h.provider.VerifyIdentity(t.Context(), cluster) }).
		WithTimeout(15 * time.Second).WithPolling(50 * time.Millisecond).ShouldNot(Succeed())
}

func (h *fenceHub) heartbeat(t *testing.T, cp *testfleet.ControlPlane, holder string) {
	t.Helper()
	hb := &heartbeat.Heartbeat{Client: cp.Client, Namespace: h.ns, ClusterName: holder}
	NewWithT(t).Expect(hb.Renew(t.Context())).To(Succeed())
}

// validator creates validator record 0 on the hub, placed on cluster, and its member copy on cp with
// the agent's finalizer; it becomes the Env's only record.
func (h *fenceHub) validator(t *testing.T, cluster string, cp *testfleet.ControlPlane) *seiv1alpha1.SeiNode {
	t.Helper()
	g := NewWithT(t)
	node := func() *seiv1alpha1.SeiNode {
		return &seiv1alpha1.SeiNode{
			ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "vals-0", Labels: map[string]string{seiv1alpha1.LabelOrdinal: "0"}},
			Spec: seiv1alpha1.SeiNodeSpec{ChainID: "test-1", Image: "seid:v1", ClusterName: cluster,
				Validator: &seiv1alpha1.ValidatorSpec{Identity: seiv1alpha1.ValidatorIdentity{Mint: true}}},
		}
	}
	memberCopy := node()
	memberCopy.Finalizers = []string{"sei.io/agent"}
	g.Expect(cp.Client.Create(t.Context(), memberCopy)).To(Succeed())
	rec := node()
	g.Expect(h.fleet.Hub.Client.Create(t.Context(), rec)).To(Succeed())
	h.env.Records = []seiv1alpha1.SeiNode{*rec}
	return &h.env.Records[0]
}

func (h *fenceHub) annotate(t *testing.T, rec *seiv1alpha1.SeiNode, key, value string) {
	t.Helper()
	NewWithT(t).Expect(annotate(t.Context(), h.env, rec, key, value)).To(Succeed())
}

// fenceRounds runs the fence task n times, as the executor would, and refreshes rec.
func (h *fenceHub) fenceRounds(t *testing.T, rec *seiv1alpha1.SeiNode, cluster string, n int) {
	t.Helper()
	g := NewWithT(t)
	ctx := ctrl.LoggerInto(t.Context(), funcr.New(h.logs.add, funcr.Options{}))
	pt := &seiv1alpha1.PlannedTask{StartedAt: ptr.To(metav1.Now())}
	for range n {
		_, err := fenceNode(ctx, h.env, pt, FenceTarget{Ordinal: 0, Cluster: cluster})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(h.fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(rec), rec)).To(Succeed())
		time.Sleep(100 * time.Millisecond)
	}
}

// fenceUntilDeleted runs the fence until the copy on cp is being deleted.
func (h *fenceHub) fenceUntilDeleted(t *testing.T, rec *seiv1alpha1.SeiNode, cluster string, cp *testfleet.ControlPlane) {
	t.Helper()
	NewWithT(t).Eventually(func() *metav1.Time {
		h.fenceRounds(t, rec, cluster, 1)
		return h.copyOn(t, cp, rec).DeletionTimestamp
	}).WithTimeout(15 * time.Second).ShouldNot(BeNil())
}

func (h *fenceHub) copyOn(t *testing.T, cp *testfleet.ControlPlane, rec *seiv1alpha1.SeiNode) *seiv1alpha1.SeiNode {
	t.Helper()
	c := &seiv1alpha1.SeiNode{}
	NewWithT(t).Expect(cp.Client.Get(t.Context(), client.ObjectKeyFromObject(rec), c)).To(Succeed())
	return c
}

// releaseAgentFinalizer does what the agent does once the node's pod is gone.
func (h *fenceHub) releaseAgentFinalizer(t *testing.T, cp *testfleet.ControlPlane, rec *seiv1alpha1.SeiNode) {
	t.Helper()
	c := h.copyOn(t, cp, rec)
	patch := client.MergeFrom(c.DeepCopy())
	c.Finalizers = nil
	NewWithT(t).Expect(cp.Client.Patch(t.Context(), c, patch)).To(Succeed())
}

// logBuffer collects log lines.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) add(prefix, args string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, prefix+" "+args)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}
