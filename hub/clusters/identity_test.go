package clusters_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	gomegatypes "github.com/onsi/gomega/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// identityOf reads the identity of cp: the UID of its kube-system namespace.
func identityOf(t *testing.T, cp *testfleet.ControlPlane) string {
	t.Helper()
	ns := &corev1.Namespace{}
	NewWithT(t).Expect(cp.Client.Get(t.Context(), types.NamespacedName{Name: metav1.NamespaceSystem}, ns)).To(Succeed())
	return string(ns.UID)
}

// pin returns the identity pinned on ManagedCluster name ("" when none).
func pin(t *testing.T, name string) string {
	t.Helper()
	mc := &clusterv1.ManagedCluster{}
	NewWithT(t).Expect(fleet.Hub.Client.Get(t.Context(), types.NamespacedName{Name: name}, mc)).To(Succeed())
	return mc.Annotations[seiv1alpha1.AnnotationClusterIdentity]
}

// setPin sets (or, for "", removes) the pin on ManagedCluster name, as an admin would.
func setPin(t *testing.T, name, value string) {
	t.Helper()
	g := NewWithT(t)
	mc := &clusterv1.ManagedCluster{}
	g.Expect(fleet.Hub.Client.Get(t.Context(), types.NamespacedName{Name: name}, mc)).To(Succeed())
	patch := client.MergeFrom(mc.DeepCopy())
	if mc.Annotations == nil {
		mc.Annotations = map[string]string{}
	}
	if value == "" {
		delete(mc.Annotations, seiv1alpha1.AnnotationClusterIdentity)
	} else {
		mc.Annotations[seiv1alpha1.AnnotationClusterIdentity] = value
	}
	g.Expect(fleet.Hub.Client.Patch(t.Context(), mc, patch)).To(Succeed())
}

// notEngaged waits until name is refused with a reason containing every part, and checks it stays
// refused for a while.
func (e *hubEnv) notEngaged(t *testing.T, name string, parts ...string) {
	t.Helper()
	g := NewWithT(t)
	matchers := make([]gomegatypes.GomegaMatcher, 0, len(parts))
	for _, p := range parts {
		matchers = append(matchers, ContainSubstring(p))
	}
	g.Eventually(func() string { return e.provider.NotEngagedReason(name) }).
		WithTimeout(wait).WithPolling(poll).Should(And(matchers...))
	g.Consistently(func() error { _, err := e.provider.Get(t.Context(), multicluster.ClusterName(name)); return err }).
		WithTimeout(2*time.Second).WithPolling(poll).Should(MatchError(multicluster.ErrClusterNotFound), "%s stays disengaged", name)
}

// The first engagement pins the member's identity on its ManagedCluster, and VerifyIdentity checks it
// and the agent's heartbeat afresh.
func TestPinsTheMemberIdentityAtFirstEngagement(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := startHub(t, hubOptions{})
	us := fleet.Member("us")
	name := e.name("us")
	e.register(t, name, true, us.Kubeconfig)
	e.engaged(t, name)
	g.Eventually(func() string { return pin(t, name) }).WithTimeout(wait).WithPolling(poll).Should(Equal(identityOf(t, us)))

	// No agent there yet: nothing vouches for the cluster's name.
	g.Expect(e.provider.VerifyIdentity(ctx, name)).To(MatchError(ContainSubstring("no agent heartbeat Lease")))
	e.heartbeat(t, us, "someone-else", time.Now())
	g.Expect(e.provider.VerifyIdentity(ctx, name)).To(MatchError(ContainSubstring(`the agent there says it runs in cluster "someone-else"`)))
	e.heartbeat(t, us, name, time.Now())
	g.Expect(e.provider.VerifyIdentity(ctx, name)).To(Succeed())
	g.Expect(e.provider.VerifyIdentity(ctx, e.name("nowhere"))).To(MatchError(multicluster.ErrClusterNotFound))
}

// A kubeconfig Secret swapped to another member's (A's Secret now reaches B) is refused: the cluster
// is not engaged, its health says IdentityChanged, and it comes back when the Secret does. An admin who
// removes the pin accepts the new cluster.
func TestRefusesASwappedKubeconfig(t *testing.T) {
	g := NewWithT(t)
	us, eu := fleet.Member("us"), fleet.Member("eu")
	e := startHub(t, hubOptions{})
	a := e.name("a")
	e.heartbeat(t, us, a, time.Now())
	e.heartbeat(t, eu, a, time.Now()) // even an agent there that calls itself A does not make it A
	e.register(t, a, true, us.Kubeconfig)
	e.health(t, a, clusters.ReasonHealthy)
	usID, euID := identityOf(t, us), identityOf(t, eu)
	g.Expect(pin(t, a)).To(Equal(usID))

	e.putSecret(t, a, map[string][]byte{seiv1alpha1.KubeconfigSecretKey: eu.Kubeconfig})
	e.notEngaged(t, a, "is not the cluster the hub pinned", euID, usID, "remove the annotation")
	h := e.health(t, a, clusters.ReasonIdentityChanged)
	g.Expect(h.Engaged).To(BeFalse())
	g.Expect(h.Message).To(ContainSubstring(euID))
	g.Expect(pin(t, a)).To(Equal(usID), "the pin is never moved by the hub")

	e.putSecret(t, a, map[string][]byte{seiv1alpha1.KubeconfigSecretKey: us.Kubeconfig})
	e.engaged(t, a)
	e.health(t, a, clusters.ReasonHealthy)

	// The admin's remedy: point the Secret at the new cluster and remove the pin.
	e.putSecret(t, a, map[string][]byte{seiv1alpha1.KubeconfigSecretKey: eu.Kubeconfig})
	e.health(t, a, clusters.ReasonIdentityChanged)
	setPin(t, a, "")
	e.engaged(t, a)
	g.Eventually(func() string { return pin(t, a) }).WithTimeout(wait).WithPolling(poll).Should(Equal(euID))
	e.health(t, a, clusters.ReasonHealthy)
}

// A member rebuilt under the same name — a new control plane, a new kubeconfig Secret — is another
// cluster: refused until an admin removes the pin.
func TestRefusesAMemberRebuiltUnderTheSameName(t *testing.T) {
	g := NewWithT(t)
	ap := fleet.Member("ap")
	e := startHub(t, hubOptions{})
	name := e.name("ap")
	e.heartbeat(t, ap, name, time.Now())
	e.register(t, name, true, ap.Kubeconfig)
	e.health(t, name, clusters.ReasonHealthy)
	g.Expect(pin(t, name)).To(Equal(identityOf(t, ap)))

	rebuilt := startControlPlane(t, "ap")
	g.Expect(rebuilt.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.ns}})).To(Succeed())
	e.heartbeat(t, rebuilt, name, time.Now()) // its agent, installed afresh, has the same cluster name
	e.putSecret(t, name, map[string][]byte{seiv1alpha1.KubeconfigSecretKey: rebuilt.Kubeconfig})
	e.notEngaged(t, name, identityOf(t, rebuilt), identityOf(t, ap))
	e.health(t, name, clusters.ReasonIdentityChanged)

	setPin(t, name, "")
	e.engaged(t, name)
	g.Eventually(func() string { return pin(t, name) }).WithTimeout(wait).WithPolling(poll).Should(Equal(identityOf(t, rebuilt)))
}

// An endpoint that reaches another cluster without any Secret change (an address that moved) is
// caught by the next probe: IdentityChanged, and the cluster is disengaged.
func TestMonitorCatchesAnEndpointThatNowReachesAnotherCluster(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	us, eu := fleet.Member("us"), fleet.Member("eu")
	proxy := startProxy(t, us)
	e := startHub(t, hubOptions{})
	name := e.name("moved")
	e.heartbeat(t, us, name, time.Now())
	e.heartbeat(t, eu, name, time.Now())
	kubeconfig, err := proxy.Kubeconfig()
	g.Expect(err).NotTo(HaveOccurred())
	e.register(t, name, true, kubeconfig)
	e.health(t, name, clusters.ReasonHealthy)
	g.Expect(e.provider.VerifyIdentity(ctx, name)).To(Succeed())

	g.Expect(proxy.Switch(eu)).To(Succeed())
	h := e.health(t, name, clusters.ReasonIdentityChanged)
	g.Expect(h.Engaged).To(BeFalse())
	g.Expect(h.Message).To(And(ContainSubstring(identityOf(t, eu)), ContainSubstring(identityOf(t, us))))
	g.Expect(e.provider.Get(ctx, multicluster.ClusterName(name))).Error().To(MatchError(multicluster.ErrClusterNotFound))
	g.Expect(e.provider.VerifyIdentity(ctx, name)).To(MatchError(multicluster.ErrClusterNotFound))
	g.Expect(clusters.IsIdentityChanged(e.provider.NotEngagedError(name))).To(BeTrue())

	// The address moves back: the next engagement finds the pinned cluster again.
	g.Expect(proxy.Switch(us)).To(Succeed())
	mc := &clusterv1.ManagedCluster{}
	g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
	mc.Labels = map[string]string{"touched": "yes"} // an event; the resync is a minute away
	g.Expect(fleet.Hub.Client.Update(ctx, mc)).To(Succeed())
	e.engaged(t, name)
	e.health(t, name, clusters.ReasonHealthy)
}

// startProxy starts a switchable endpoint in front of cp for the test.
func startProxy(t *testing.T, cp *testfleet.ControlPlane) *testfleet.Proxy {
	t.Helper()
	p, err := testfleet.StartProxy(cp)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	t.Cleanup(p.Close)
	return p
}

// startControlPlane starts one more member control plane for the test, stopped when it ends.
func startControlPlane(t *testing.T, name string) *testfleet.ControlPlane {
	t.Helper()
	f, err := testfleet.Start(testfleet.Options{Members: []string{name}, WithoutHub: true})
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() {
		if err := f.Stop(); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
	})
	return f.Members[0]
}
