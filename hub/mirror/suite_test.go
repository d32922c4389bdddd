package mirror_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	mcmanager "sigs.k8s.io/multicluster-runtime/pkg/manager"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"
	mcreconcile "sigs.k8s.io/multicluster-runtime/pkg/reconcile"

	"github.com/sei-protocol/sei-fleet/agent/heartbeat"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/hub/member"
	"github.com/sei-protocol/sei-fleet/hub/mirror"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// One hub and two members for the package. Every test gets its own hub: a cluster provider, the
// mirror controller and a sweeper (run by hand), with its own namespace — the provider's Secrets,
// the records, and the same namespace on each member (copies, heartbeat Leases) — and ManagedCluster
// names ending in its own number.
var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{Members: []string{"us", "eu"}}, &fleet))
}

const (
	wait = 15 * time.Second
	poll = 50 * time.Millisecond
)

var testNumber atomic.Int32

type hubEnv struct {
	ns       string
	n        int32
	hubID    string
	mgr      mcmanager.Manager
	provider *clusters.Provider
	sweeper  *mirror.Sweeper
}

// startHub runs a hub for the test until it ends; withMirror runs the mirror controller in it, set up
// further by each of with.
func startHub(t *testing.T, withMirror bool, with ...func(*mirror.Reconciler)) *hubEnv {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	e := &hubEnv{n: testNumber.Add(1)}
	e.ns = fmt.Sprintf("mirror-%d", e.n)
	for _, cp := range fleet.All() {
		g.Expect(cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}})).To(Succeed(), cp.Name)
	}
	e.hubID = identityOf(t, fleet.Hub)
	e.provider = clusters.New(clusters.Options{
		Namespace: e.ns, Scheme: fleet.Scheme, ClientTimeout: 2 * time.Second, Resync: time.Minute, HeartbeatNamespace: e.ns,
	})
	var err error
	e.mgr, err = mcmanager.New(fleet.Hub.Config, e.provider, mcmanager.Options{
		Scheme:                 fleet.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Namespaces: map[string]cache.Config{e.ns: {}}},
		}},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(e.provider.SetupWithManager(ctx, e.mgr)).To(Succeed())
	if withMirror {
		r := &mirror.Reconciler{
			Scheme: fleet.Scheme, HubID: e.hubID, Identity: e.provider, Retry: time.Second,
			Options: controller.TypedOptions[mcreconcile.Request]{SkipNameValidation: ptr.To(true)},
		}
		for _, f := range with {
			f(r)
		}
		g.Expect(r.SetupWithManager(e.mgr)).To(Succeed())
	}
	local := e.mgr.GetLocalManager()
	e.sweeper = &mirror.Sweeper{
		Clusters: e.provider.Engaged,
		Get: func(ctx context.Context, name multicluster.ClusterName) (mirror.ClusterClient, error) {
			return e.mgr.GetCluster(ctx, name)
		},
		Identity: e.provider, HubID: e.hubID, Hub: local.GetAPIReader(), Recorder: local.GetEventRecorder("sei-hub"),
	}

	done := make(chan error, 1)
	go func() { done <- e.mgr.Start(ctx) }()
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
	// Records and copies outlive the hub: remove them, so later tests' mirrors and sweepers see only
	// their own (every test's hub has the same ID).
	t.Cleanup(func() { e.dropRecords(t) })
	return e
}

func (e *hubEnv) dropRecords(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 10*time.Second)
	defer cancel()
	list := &seiv1alpha1.SeiNodeList{}
	if err := fleet.Hub.Client.List(ctx, list, client.InNamespace(e.ns)); err != nil {
		t.Errorf("list records: %v", err)
		return
	}
	for i := range list.Items {
		r := &list.Items[i]
		patch := client.MergeFrom(r.DeepCopy())
		r.Finalizers = nil
		_ = fleet.Hub.Client.Patch(ctx, r, patch)
		_ = client.IgnoreNotFound(fleet.Hub.Client.Delete(ctx, r))
	}
	for _, m := range fleet.Members {
		if err := m.Client.DeleteAllOf(ctx, &seiv1alpha1.SeiNode{}, client.InNamespace(e.ns)); err != nil {
			t.Errorf("delete copies on %s: %v", m.Name, err)
		}
	}
}

// name returns a ManagedCluster name unique to this test.
func (e *hubEnv) name(base string) string { return fmt.Sprintf("%s-%d", base, e.n) }

// register registers cp as cluster name with a live agent heartbeat there, and returns it once the
// hub engaged it.
func (e *hubEnv) register(t *testing.T, name string, cp *testfleet.ControlPlane) cluster.Cluster {
	t.Helper()
	e.registerWith(t, name, cp.Kubeconfig)
	e.heartbeat(t, cp, name)
	return e.engaged(t, name)
}

// registerWith creates ManagedCluster name and its kubeconfig Secret; both go when the test ends.
func (e *hubEnv) registerWith(t *testing.T, name string, kubeconfig []byte) {
	t.Helper()
	mc := &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: clusterv1.ManagedClusterSpec{HubAcceptsClient: true}}
	NewWithT(t).Expect(fleet.Hub.Client.Create(t.Context(), mc)).To(Succeed())
	t.Cleanup(func() { _ = fleet.Hub.Client.Delete(context.WithoutCancel(t.Context()), mc) })
	e.putSecret(t, name, kubeconfig)
}

// putSecret creates or replaces the kubeconfig Secret of cluster name.
func (e *hubEnv) putSecret(t *testing.T, name string, kubeconfig []byte) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: clusters.KubeconfigSecretName(name)}}
	_, err := controllerutil.CreateOrUpdate(t.Context(), fleet.Hub.Client, s, func() error {
		s.Data = map[string][]byte{seiv1alpha1.KubeconfigSecretKey: kubeconfig}
		return nil
	})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
}

// heartbeat writes cp's agent heartbeat Lease in the test's namespace, naming holder.
func (e *hubEnv) heartbeat(t *testing.T, cp *testfleet.ControlPlane, holder string) {
	t.Helper()
	hb := &heartbeat.Heartbeat{Client: cp.Client, Namespace: e.ns, ClusterName: holder}
	NewWithT(t).Expect(hb.Renew(t.Context())).To(Succeed(), "heartbeat on %s", cp.Name)
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

// record creates a hub SeiNode record placed on cluster; a validator when validator is true.
func (e *hubEnv) record(t *testing.T, name, cluster string, validator bool) *seiv1alpha1.SeiNode {
	t.Helper()
	r := node(e.ns, name, cluster, validator)
	NewWithT(t).Expect(fleet.Hub.Client.Create(t.Context(), r)).To(Succeed())
	return r
}

// memberCopy creates, directly on cp, a copy as a hub makes it: managed by the hub, carrying hubID
// ("" for none) and the deletion policy Delete.
func (e *hubEnv) memberCopy(t *testing.T, cp *testfleet.ControlPlane, name, cluster string, validator bool, hubID string) {
	t.Helper()
	c := node(e.ns, name, cluster, validator)
	c.Labels = map[string]string{member.LabelManagedBy: member.ManagedByHub}
	c.Annotations = map[string]string{seiv1alpha1.AnnotationDeletionPolicy: string(seiv1alpha1.DeletionDelete)}
	if hubID != "" {
		c.Annotations[seiv1alpha1.AnnotationHubID] = hubID
	}
	NewWithT(t).Expect(cp.Client.Create(t.Context(), c)).To(Succeed())
}

func node(ns, name, cluster string, validator bool) *seiv1alpha1.SeiNode {
	n := &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       seiv1alpha1.SeiNodeSpec{ChainID: "test-1", Image: "seid:v1", ClusterName: cluster},
	}
	if validator {
		n.Spec.Validator = &seiv1alpha1.ValidatorSpec{Identity: seiv1alpha1.ValidatorIdentity{Mint: true}}
	} else {
		n.Spec.FullNode = &seiv1alpha1.FullNodeSpec{}
	}
	return n
}

// copies returns the names of the SeiNodes in the test's namespace on cp.
func (e *hubEnv) copies(t *testing.T, cp *testfleet.ControlPlane) []string {
	t.Helper()
	list := &seiv1alpha1.SeiNodeList{}
	NewWithT(t).Expect(cp.Client.List(t.Context(), list, client.InNamespace(e.ns))).To(Succeed())
	var names []string
	for _, n := range list.Items {
		names = append(names, n.Name)
	}
	return names
}

// identityOf reads the identity of cp: the UID of its kube-system namespace.
func identityOf(t *testing.T, cp *testfleet.ControlPlane) string {
	t.Helper()
	ns := &corev1.Namespace{}
	NewWithT(t).Expect(cp.Client.Get(t.Context(), types.NamespacedName{Name: metav1.NamespaceSystem}, ns)).To(Succeed())
	return string(ns.UID)
}

// startProxy starts a switchable endpoint in front of cp for the test.
func startProxy(t *testing.T, cp *testfleet.ControlPlane) *testfleet.Proxy {
	t.Helper()
	p, err := testfleet.StartProxy(cp)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	t.Cleanup(p.Close)
	return p
}
