package clusters_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
)

func TestEveryMemberHasItsOwnRateLimiter(t *testing.T) {
	g := NewWithT(t)
	e := startHub(t, hubOptions{qps: 75, burst: 150})
	us, eu := e.name("us"), e.name("eu")
	e.register(t, us, true, fleet.Member("us").Kubeconfig)
	e.register(t, eu, true, fleet.Member("eu").Kubeconfig)
	usCfg, euCfg := e.engaged(t, us).GetConfig(), e.engaged(t, eu).GetConfig()
	for _, cfg := range []*rest.Config{usCfg, euCfg} {
		g.Expect(cfg.QPS).To(BeNumerically("==", 75))
		g.Expect(cfg.Burst).To(Equal(150))
		g.Expect(cfg.RateLimiter).NotTo(BeNil(), "one limiter shared by all of a member's clients")
		g.Expect(cfg.RateLimiter.QPS()).To(BeNumerically("==", 75))
	}
	g.Expect(usCfg.RateLimiter).NotTo(BeIdenticalTo(euCfg.RateLimiter), "members do not share a limiter")
}

func TestEngagesAnAcceptedClusterWithAKubeconfig(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := startHub(t, hubOptions{})
	us := fleet.Member("us")
	marker := "marker-" + e.ns
	g.Expect(us.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: marker}})).To(Succeed())
	name := e.name("us")

	e.register(t, name, true, us.Kubeconfig)
	cl := e.engaged(t, name)

	// It is the right cluster: the marker exists there and nowhere else.
	g.Expect(cl.GetAPIReader().Get(ctx, types.NamespacedName{Name: marker}, &corev1.Namespace{})).To(Succeed())
	for _, other := range []string{"eu", "ap"} {
		err := fleet.Member(other).Client.Get(ctx, types.NamespacedName{Name: marker}, &corev1.Namespace{})
		g.Expect(err).To(HaveOccurred(), other)
	}
	g.Expect(e.provider.Engaged()).To(ConsistOf(name))
	g.Expect(e.provider.NotEngagedReason(name)).To(BeEmpty())
	g.Eventually(func() bool { return e.changes.has(name + "=" + e.instance(ctx, name)) }).
		WithTimeout(wait).WithPolling(poll).Should(BeTrue(), "OnChange fired on engagement")

	// A provider-cluster controller receives reconciles from the member, tagged with its name.
	e.seiNode(t, us, "node-a")
	g.Eventually(func() bool { return e.reqs.has(name + "/node-a") }).
		WithTimeout(wait).WithPolling(poll).Should(BeTrue())
}

func TestWaitsForTheHubToAcceptACluster(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := startHub(t, hubOptions{})
	name := e.name("eu")
	e.register(t, name, false, fleet.Member("eu").Kubeconfig)

	g.Eventually(func() string { return e.provider.NotEngagedReason(name) }).
		WithTimeout(wait).WithPolling(poll).Should(ContainSubstring("hubAcceptsClient is false"))
	g.Consistently(func() []string { return e.provider.Engaged() }).
		WithTimeout(time.Second).WithPolling(poll).Should(BeEmpty())
	g.Eventually(func() string { h, _ := e.monitor.Get(name); return h.Reason }).
		WithTimeout(wait).WithPolling(poll).Should(Equal(clusters.ReasonNotEngaged))

	mc := &clusterv1.ManagedCluster{}
	g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
	patch := client.MergeFrom(mc.DeepCopy())
	mc.Spec.HubAcceptsClient = true
	g.Expect(fleet.Hub.Client.Patch(ctx, mc, patch)).To(Succeed())

	// Resync is a minute away: the ManagedCluster watch engages it.
	e.engaged(t, name)
	g.Expect(e.provider.NotEngagedReason(name)).To(BeEmpty())
}

func TestWaitsForTheKubeconfigSecret(t *testing.T) {
	g := NewWithT(t)
	e := startHub(t, hubOptions{})
	name := e.name("ap")
	e.register(t, name, true, nil)

	g.Eventually(func() string { return e.provider.NotEngagedReason(name) }).
		WithTimeout(wait).WithPolling(poll).Should(And(
		ContainSubstring("no kubeconfig Secret"), ContainSubstring(clusters.KubeconfigSecretName(name))))

	// A Secret without the key is not enough, and says so.
	e.putSecret(t, name, map[string][]byte{"config": fleet.Member("ap").Kubeconfig})
	g.Eventually(func() string { return e.provider.NotEngagedReason(name) }).
		WithTimeout(wait).WithPolling(poll).Should(ContainSubstring(`has no "kubeconfig" key`))
	g.Expect(e.provider.Engaged()).To(BeEmpty())

	// The Secret watch maps the Secret to its cluster.
	e.putSecret(t, name, map[string][]byte{seiv1alpha1.KubeconfigSecretKey: fleet.Member("ap").Kubeconfig})
	e.engaged(t, name)
	g.Expect(e.provider.NotEngagedReason(name)).To(BeEmpty())
}

func TestDisengagesADeletedCluster(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := startHub(t, hubOptions{})
	name := e.name("eu")
	eu := fleet.Member("eu")
	e.register(t, name, true, eu.Kubeconfig)
	e.engaged(t, name)
	e.seiNode(t, eu, "before")
	g.Eventually(func() bool { return e.reqs.has(name + "/before") }).WithTimeout(wait).WithPolling(poll).Should(BeTrue())

	g.Expect(fleet.Hub.Client.Delete(ctx, &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	g.Eventually(func() error { _, err := e.provider.Get(ctx, multicluster.ClusterName(name)); return err }).
		WithTimeout(wait).WithPolling(poll).Should(MatchError(multicluster.ErrClusterNotFound))
	g.Expect(e.provider.Engaged()).To(BeEmpty())
	g.Eventually(func() bool { return e.changes.has(name + "=gone") }).
		WithTimeout(wait).WithPolling(poll).Should(BeTrue(), "OnChange fired on disengagement")

	// Its watches are gone: nothing more comes from it.
	e.seiNode(t, eu, "after")
	g.Consistently(func() bool { return e.reqs.has(name + "/after") }).
		WithTimeout(2 * time.Second).WithPolling(poll).Should(BeFalse())
}

func TestRefusesTheHubAsItsOwnMember(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := startHub(t, hubOptions{})
	self := e.name("self")
	e.register(t, self, true, fleet.Hub.Kubeconfig)

	g.Eventually(func() string { return e.provider.NotEngagedReason(self) }).
		WithTimeout(wait).WithPolling(poll).Should(ContainSubstring("is the hub itself"))
	g.Consistently(func() error { _, err := e.provider.Get(ctx, multicluster.ClusterName(self)); return err }).
		WithTimeout(time.Second).WithPolling(poll).Should(MatchError(multicluster.ErrClusterNotFound))
	g.Eventually(func() string { h, _ := e.monitor.Get(self); return h.Message }).
		WithTimeout(wait).WithPolling(poll).Should(ContainSubstring("is the hub itself"))

	// An engaged member whose Secret is changed to the hub's kubeconfig is refused too, and its earlier
	// instance goes: the hub never keeps writing to a cluster its Secret no longer names.
	name := e.name("us")
	e.register(t, name, true, fleet.Member("us").Kubeconfig)
	e.engaged(t, name)
	e.putSecret(t, name, map[string][]byte{seiv1alpha1.KubeconfigSecretKey: fleet.Hub.Kubeconfig})
	g.Eventually(func() error { _, err := e.provider.Get(ctx, multicluster.ClusterName(name)); return err }).
		WithTimeout(wait).WithPolling(poll).Should(MatchError(multicluster.ErrClusterNotFound))
	g.Expect(e.provider.NotEngagedReason(name)).To(ContainSubstring("is the hub itself"))
	g.Expect(e.changes.has(name + "=gone")).To(BeTrue())

	e.putSecret(t, name, map[string][]byte{seiv1alpha1.KubeconfigSecretKey: fleet.Member("us").Kubeconfig})
	e.engaged(t, name)
	g.Expect(e.provider.NotEngagedReason(name)).To(BeEmpty())
}
