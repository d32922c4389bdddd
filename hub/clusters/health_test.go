package clusters_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
)

func TestMonitorJudgesTheAgentHeartbeat(t *testing.T) {
	g := NewWithT(t)
	e := startHub(t, hubOptions{})
	us, eu, ap := fleet.Member("us"), fleet.Member("eu"), fleet.Member("ap")
	fresh, missing, stale, wrong := e.name("us"), e.name("eu"), e.name("ap"), e.name("wrong")
	e.heartbeat(t, us, fresh, time.Now())
	e.heartbeat(t, ap, stale, time.Now().Add(-time.Hour))
	e.register(t, fresh, true, us.Kubeconfig)
	e.register(t, missing, true, eu.Kubeconfig)
	e.register(t, stale, true, ap.Kubeconfig)
	// A Secret that points at the wrong member: the agent there names another cluster.
	e.register(t, wrong, true, us.Kubeconfig)

	h := e.health(t, fresh, clusters.ReasonHealthy)
	g.Expect(h).To(HaveField("Healthy", BeTrue()))
	g.Expect(h).To(HaveField("Engaged", BeTrue()))
	g.Expect(h.UnhealthySince).To(BeNil())
	g.Expect(h.LastHeartbeat).NotTo(BeNil())
	g.Expect(*h.LastHeartbeat).To(BeTemporally("~", time.Now(), time.Minute))

	h = e.health(t, missing, clusters.ReasonNoAgentHeartbeat)
	g.Expect(h).To(HaveField("Healthy", BeFalse()))
	g.Expect(h).To(HaveField("Engaged", BeTrue()))
	g.Expect(h.Message).To(ContainSubstring("no agent heartbeat Lease " + e.ns + "/" + seiv1alpha1.AgentHeartbeatLease))
	g.Expect(h.UnhealthySince).NotTo(BeNil())

	h = e.health(t, stale, clusters.ReasonAgentHeartbeatStale)
	g.Expect(h.Message).To(MatchRegexp(`last renewed 1h0m\d+s ago`))
	g.Expect(h.UnhealthySince).NotTo(BeNil())

	h = e.health(t, wrong, clusters.ReasonHeartbeatClusterMismatch)
	g.Expect(h.Message).To(And(ContainSubstring(`"`+fresh+`"`), ContainSubstring("points at the wrong cluster")))

	// Recovery clears UnhealthySince.
	e.heartbeat(t, ap, stale, time.Now())
	e.heartbeat(t, eu, missing, time.Now())
	for _, name := range []string{stale, missing} {
		h = e.health(t, name, clusters.ReasonHealthy)
		g.Expect(h.UnhealthySince).To(BeNil(), name)
	}
	g.Expect(e.monitor.Snapshot()).To(HaveLen(4))
}

func TestMonitorReportsAHungMemberInBoundedTime(t *testing.T) {
	g := NewWithT(t)
	e := startHub(t, hubOptions{clientTimeout: 10 * time.Second})
	eu, us := fleet.Member("eu"), fleet.Member("us")
	hung, fine := e.name("eu"), e.name("us")
	e.heartbeat(t, eu, hung, time.Now())
	e.heartbeat(t, us, fine, time.Now())
	e.register(t, hung, true, eu.Kubeconfig)
	e.register(t, fine, true, us.Kubeconfig)
	e.health(t, hung, clusters.ReasonHealthy)
	e.health(t, fine, clusters.ReasonHealthy)

	g.Expect(eu.Pause()).To(Succeed())
	t.Cleanup(func() { _ = eu.Resume() })
	h := e.health(t, hung, clusters.ReasonAPIUnreachable)
	g.Expect(h.UnhealthySince).NotTo(BeNil())
	since := *h.UnhealthySince
	g.Expect(h).To(HaveField("Engaged", BeTrue()))
	g.Expect(h).To(HaveField("APIReachable", BeFalse()))

	// A round ends with its probe timeout, far sooner than the member client's 10s timeout.
	round := &clusters.Monitor{Provider: e.provider, Hub: fleet.Hub.Client, ProbeTimeout: probeTimeout, HeartbeatNamespace: e.ns}
	start := time.Now()
	round.ProbeAll(t.Context())
	g.Expect(time.Since(start)).To(BeNumerically("<", probeTimeout+time.Second))
	g.Expect(reason(round, hung)).To(Equal(clusters.ReasonAPIUnreachable))
	g.Expect(reason(round, fine)).To(Equal(clusters.ReasonHealthy))

	// Later rounds keep the first unhealthy time; the others stay healthy.
	time.Sleep(3 * (probeTimeout + probeInterval))
	h, _ = e.monitor.Get(hung)
	g.Expect(h).To(HaveField("Reason", clusters.ReasonAPIUnreachable))
	g.Expect(h.UnhealthySince).To(HaveValue(BeTemporally("==", since)))
	g.Expect(reason(e.monitor, fine)).To(Equal(clusters.ReasonHealthy))

	g.Expect(eu.Resume()).To(Succeed())
	h = e.health(t, hung, clusters.ReasonHealthy)
	g.Expect(h.UnhealthySince).To(BeNil())
	g.Expect(h.APIReachable).To(BeTrue())
}

// A verdict that comes first (here an admin's taint) does not hide that the API stopped answering:
// the mirror must not trust its cache of that cluster.
func TestMonitorSaysTheAPIIsUnreachableBehindAnotherVerdict(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := startHub(t, hubOptions{})
	eu := fleet.Member("eu")
	name := e.name("eu")
	e.heartbeat(t, eu, name, time.Now())
	e.register(t, name, true, eu.Kubeconfig)
	e.health(t, name, clusters.ReasonHealthy)

	mc := &clusterv1.ManagedCluster{}
	g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
	mc.Spec.Taints = []clusterv1.Taint{{Key: "sei.io/drain", Effect: clusterv1.TaintEffectNoSelect, TimeAdded: metav1.Now()}}
	g.Expect(fleet.Hub.Client.Update(ctx, mc)).To(Succeed())
	g.Expect(e.health(t, name, clusters.ReasonTainted)).To(HaveField("APIReachable", BeTrue()))

	g.Expect(eu.Pause()).To(Succeed())
	t.Cleanup(func() { _ = eu.Resume() })
	g.Eventually(func() bool { h, _ := e.monitor.Get(name); return h.APIReachable }).
		WithTimeout(wait).WithPolling(poll).Should(BeFalse())
	g.Expect(reason(e.monitor, name)).To(Equal(clusters.ReasonTainted), "the first verdict stays the reason")

	g.Expect(eu.Resume()).To(Succeed())
	g.Eventually(func() bool { h, _ := e.monitor.Get(name); return h.APIReachable }).
		WithTimeout(wait).WithPolling(poll).Should(BeTrue())
}

// The very first probe of a member, before its client has discovered the Lease API, is bounded by
// the probe timeout too.
func TestMonitorFirstProbeOfAHungMemberIsBounded(t *testing.T) {
	g := NewWithT(t)
	e := startHub(t, hubOptions{clientTimeout: 10 * time.Second, probeInterval: time.Hour})
	eu := fleet.Member("eu")
	name := e.name("eu")
	e.heartbeat(t, eu, name, time.Now())
	e.register(t, name, true, eu.Kubeconfig)
	e.engaged(t, name)

	g.Expect(eu.Pause()).To(Succeed())
	t.Cleanup(func() { _ = eu.Resume() })
	start := time.Now()
	e.monitor.ProbeAll(t.Context())
	g.Expect(time.Since(start)).To(BeNumerically("<", probeTimeout+time.Second))
	g.Expect(reason(e.monitor, name)).To(Equal(clusters.ReasonAPIUnreachable))

	g.Expect(eu.Resume()).To(Succeed())
	g.Eventually(func() string { e.monitor.ProbeAll(t.Context()); return reason(e.monitor, name) }).
		WithTimeout(wait).WithPolling(poll).Should(Equal(clusters.ReasonHealthy))
}

func TestMonitorReadsOCMAvailabilityAndTaints(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := startHub(t, hubOptions{})
	name := e.name("us")
	e.heartbeat(t, fleet.Member("us"), name, time.Now())
	e.register(t, name, true, fleet.Member("us").Kubeconfig)
	e.health(t, name, clusters.ReasonHealthy)

	setAvailable := func(status metav1.ConditionStatus) {
		mc := &clusterv1.ManagedCluster{}
		g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
		meta.SetStatusCondition(&mc.Status.Conditions, metav1.Condition{
			Type: clusterv1.ManagedClusterConditionAvailable, Status: status, Reason: "Test", Message: "lease expired",
		})
		g.Expect(fleet.Hub.Client.Status().Update(ctx, mc)).To(Succeed())
	}
	setAvailable(metav1.ConditionFalse)
	h := e.health(t, name, clusters.ReasonOCMUnavailable)
	g.Expect(h.Message).To(Equal("OCM reports the cluster unavailable: lease expired"))
	setAvailable(metav1.ConditionUnknown)
	g.Eventually(func() string { h, _ := e.monitor.Get(name); return h.Message }).
		WithTimeout(wait).WithPolling(poll).Should(ContainSubstring("unreachable"))
	setAvailable(metav1.ConditionTrue)
	e.health(t, name, clusters.ReasonHealthy)

	mc := &clusterv1.ManagedCluster{}
	g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Name: name}, mc)).To(Succeed())
	mc.Spec.Taints = []clusterv1.Taint{{Key: "sei.io/drain", Value: "maintenance", Effect: clusterv1.TaintEffectNoSelect, TimeAdded: metav1.Now()}}
	g.Expect(fleet.Hub.Client.Update(ctx, mc)).To(Succeed())
	h = e.health(t, name, clusters.ReasonTainted)
	g.Expect(h.Message).To(ContainSubstring("sei.io/drain=maintenance:NoSelect"))

	mc.Spec.Taints[0].Effect = clusterv1.TaintEffectPreferNoSelect
	g.Expect(fleet.Hub.Client.Update(ctx, mc)).To(Succeed())
	e.health(t, name, clusters.ReasonHealthy)
}

func TestMonitorNotifiesSubscribersOfChangesOnly(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	e := startHub(t, hubOptions{})
	us := fleet.Member("us")
	name := e.name("us")
	e.heartbeat(t, us, name, time.Now())
	e.register(t, name, true, us.Kubeconfig)
	e.health(t, name, clusters.ReasonHealthy)
	g.Expect(e.changed(2 * probeInterval)).To(Or(BeEmpty(), HaveEach(name)))

	quiet := 5 * probeInterval
	g.Expect(e.changed(quiet)).To(BeEmpty(), "nothing changed, nothing sent")

	lease := &coordinationv1.Lease{}
	g.Expect(us.Client.Get(ctx, types.NamespacedName{Namespace: e.ns, Name: seiv1alpha1.AgentHeartbeatLease}, lease)).To(Succeed())
	g.Expect(us.Client.Delete(ctx, lease)).To(Succeed())
	g.Eventually(e.events).WithTimeout(wait).Should(Receive(HaveField("Object.GetName()", name)))
	h, _ := e.monitor.Get(name)
	g.Expect(h.Reason).To(Equal(clusters.ReasonNoAgentHeartbeat))
	g.Expect(e.changed(quiet)).To(BeEmpty(), "still unhealthy for the same reason: nothing sent")
	h2, _ := e.monitor.Get(name)
	g.Expect(h2.UnhealthySince).To(Equal(h.UnhealthySince))

	e.heartbeat(t, us, name, time.Now())
	g.Eventually(e.events).WithTimeout(wait).Should(Receive(HaveField("Object.GetName()", name)))
	g.Expect(reason(e.monitor, name)).To(Equal(clusters.ReasonHealthy))
}

func reason(m *clusters.Monitor, name string) string {
	h, _ := m.Get(name)
	return h.Reason
}
