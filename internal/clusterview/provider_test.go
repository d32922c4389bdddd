package clusterview_test

import (
	"context"
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
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	mcmanager "sigs.k8s.io/multicluster-runtime/pkg/manager"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/internal/clusterview"
)

// The hub's real cluster provider, on the control plane that also hosts the views, engages two views
// as two members with identities of their own, and reads SeiNodes of each through its member client.
func TestTheHubsProviderEngagesViewsAsClusters(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	const ns = "provider-test"
	g.Expect(fleet.Hub.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	provider := clusters.New(clusters.Options{Namespace: ns, Scheme: fleet.Scheme, ClientTimeout: 2 * time.Second, Resync: time.Minute})
	mgr, err := mcmanager.New(fleet.Hub.Config, provider, mcmanager.Options{
		Scheme:                 fleet.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Namespaces: map[string]cache.Config{ns: {}}},
		}},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(provider.SetupWithManager(ctx, mgr)).To(Succeed())
	mgrCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	defer func() {
		cancel()
		g.Expect(<-done).To(Succeed())
	}()

	views := []*clusterview.View{startView(t, "m"), startView(t, "m")}
	for _, v := range views {
		mc := &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: v.Name()}, Spec: clusterv1.ManagedClusterSpec{HubAcceptsClient: true}}
		g.Expect(fleet.Hub.Client.Create(ctx, mc)).To(Succeed())
		t.Cleanup(func() { _ = fleet.Hub.Client.Delete(context.WithoutCancel(ctx), mc) })
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: clusters.KubeconfigSecretName(v.Name())},
			Data:       map[string][]byte{seiv1alpha1.KubeconfigSecretKey: v.Kubeconfig()},
		}
		g.Expect(fleet.Hub.Client.Create(ctx, secret)).To(Succeed())
		c, _ := clientsOf(t, v)
		g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "nodes"}})).To(Succeed())
		g.Expect(c.Create(ctx, seiNode("on-"+v.Name()))).To(Succeed())
	}

	pins := map[string]string{}
	for _, v := range views {
		g.Eventually(func() error {
			_, err := provider.Get(ctx, multicluster.ClusterName(v.Name()))
			return err
		}).WithTimeout(wait).WithPolling(poll).Should(Succeed(), "%s engaged", v.Name())
		mc := &clusterv1.ManagedCluster{}
		g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Name: v.Name()}, mc)).To(Succeed())
		physical := &corev1.Namespace{}
		g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Name: v.Namespace(metav1.NamespaceSystem)}, physical)).To(Succeed())
		g.Expect(mc.Annotations).To(HaveKeyWithValue(seiv1alpha1.AnnotationClusterIdentity, string(physical.UID)), v.Name())
		pins[v.Name()] = string(physical.UID)

		cl, err := provider.Get(ctx, multicluster.ClusterName(v.Name()))
		g.Expect(err).NotTo(HaveOccurred())
		nodes := &seiv1alpha1.SeiNodeList{}
		g.Eventually(func() ([]string, error) {
			err := cl.GetClient().List(ctx, nodes)
			return namesOf(nodes.Items, func(n *seiv1alpha1.SeiNode) string { return n.Namespace + "/" + n.Name }), err
		}).WithTimeout(wait).WithPolling(poll).Should(ConsistOf("nodes/on-" + v.Name()))
	}
	g.Expect(pins[views[0].Name()]).NotTo(Equal(pins[views[1].Name()]))
	g.Expect(provider.Engaged()).To(ConsistOf(views[0].Name(), views[1].Name()))
}
