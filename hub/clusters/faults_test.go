package clusters_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// Regression test for multicluster-runtime's pkg/clusters, where the replaced instance's stop removed
// its replacement by name some seconds later.
func TestRotatedCredentialsReengageAndStayEngaged(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ap := fleet.Member("ap")
	allowFastStop(t, ap)
	e := startHub(t, hubOptions{})
	name := e.name("ap")
	e.register(t, name, true, ap.Kubeconfig)
	old := e.engaged(t, name)
	e.seiNode(t, ap, "before")
	g.Eventually(func() bool { return e.reqs.has(name + "/before") }).WithTimeout(wait).WithPolling(poll).Should(BeTrue())

	// New apiserver on the same etcd, new certificates; the admin rotates the Secret.
	start := time.Now()
	g.Expect(ap.StopAPIServer()).To(Succeed())
	g.Expect(ap.StartAPIServer()).To(Succeed())
	t.Logf("restarted %s's apiserver in %v", ap.Name, time.Since(start).Round(time.Millisecond))
	e.putSecret(t, name, map[string][]byte{seiv1alpha1.KubeconfigSecretKey: ap.Kubeconfig})

	var current cluster.Cluster
	g.Eventually(func() bool {
		current, _ = e.provider.Get(ctx, multicluster.ClusterName(name))
		return current != nil && current != old
	}).WithTimeout(wait).WithPolling(poll).Should(BeTrue(), "re-engaged on a new instance")
	g.Expect(current.GetAPIReader().List(ctx, &corev1.NamespaceList{})).To(Succeed())
	seen := len(e.changes.snapshot())

	// The old instance's end must not take the new one with it: same instance, no change, for 15s.
	g.Consistently(func() (cluster.Cluster, error) { return e.provider.Get(ctx, multicluster.ClusterName(name)) }).
		WithTimeout(15 * time.Second).WithPolling(100 * time.Millisecond).Should(BeIdenticalTo(current))
	g.Expect(e.changes.snapshot()[seen:]).To(HaveEach(name+"="+e.instance(ctx, name)), "no disengagement or re-engagement")

	e.seiNode(t, ap, "after")
	g.Eventually(func() bool { return e.reqs.has(name + "/after") }).WithTimeout(wait).WithPolling(poll).Should(BeTrue())
}

// watchGraceFlag makes a stopping kube-apiserver end open watches after a grace period. Without it a
// graceful stop waits for every watch (the hub's own, here) and outlasts envtest's 30s stop timeout.
const watchGraceFlag = "shutdown-watch-termination-grace-period"

// allowFastStop makes sure cp's apiserver runs with watchGraceFlag, restarting it once (while
// nothing watches it) when testfleet did not start it so.
func allowFastStop(t *testing.T, cp *testfleet.ControlPlane) {
	t.Helper()
	g := NewWithT(t)
	flags := cp.Env.ControlPlane.APIServer.Configure()
	if len(flags.Get(watchGraceFlag).Get(nil)) > 0 {
		return
	}
	flags.Set(watchGraceFlag, "1s")
	start := time.Now()
	g.Expect(cp.StopAPIServer()).To(Succeed())
	g.Expect(cp.StartAPIServer()).To(Succeed())
	t.Logf("restarted %s's apiserver with --%s in %v", cp.Name, watchGraceFlag, time.Since(start).Round(time.Millisecond))
}

// A hung member neither blocks the engagement of others nor the monitor's probe rounds.
func TestPausedMemberDoesNotHoldUpTheOthers(t *testing.T) {
	g := NewWithT(t)
	const clientTimeout = 3 * time.Second
	e := startHub(t, hubOptions{clientTimeout: clientTimeout})
	eu, us := fleet.Member("eu"), fleet.Member("us")
	hung, fine := e.name("eu"), e.name("us")
	e.heartbeat(t, eu, hung, time.Now())
	e.heartbeat(t, us, fine, time.Now())

	g.Expect(eu.Pause()).To(Succeed())
	t.Cleanup(func() { _ = eu.Resume() })
	e.register(t, hung, true, eu.Kubeconfig)
	time.Sleep(200 * time.Millisecond) // the hung member's engagement is under way
	start := time.Now()
	e.register(t, fine, true, us.Kubeconfig)
	e.engaged(t, fine)
	g.Expect(time.Since(start)).To(BeNumerically("<", clientTimeout/2), "engaged without waiting for the hung member")
	g.Eventually(func() string { h, _ := e.monitor.Get(fine); return h.Reason }).
		WithTimeout(wait).WithPolling(poll).Should(Equal(clusters.ReasonHealthy))
	g.Eventually(func() string { return e.provider.NotEngagedReason(hung) }).
		WithTimeout(wait).WithPolling(poll).Should(ContainSubstring("reach cluster " + hung))
	h, _ := e.monitor.Get(hung)
	g.Expect(h).To(HaveField("Reason", clusters.ReasonNotEngaged))
	g.Expect(h).To(HaveField("Healthy", BeFalse()))

	g.Expect(eu.Resume()).To(Succeed())
	e.engaged(t, hung)
	g.Eventually(func() string { h, _ := e.monitor.Get(hung); return h.Reason }).
		WithTimeout(wait).WithPolling(poll).Should(Equal(clusters.ReasonHealthy))
}

// Member watches are long-lived: the client timeout bounds requests, not watches (with
// rest.Config.Timeout every informer's watch ended, and was re-opened, once per timeout).
func TestMemberWatchesOutliveTheClientTimeout(t *testing.T) {
	g := NewWithT(t)
	const clientTimeout = time.Second
	e := startHub(t, hubOptions{clientTimeout: clientTimeout})
	us := fleet.Member("us")
	name := e.name("us")
	e.register(t, name, true, us.Kubeconfig)
	e.engaged(t, name)
	e.seiNode(t, us, "first")
	g.Eventually(func() bool { return e.reqs.has(name + "/first") }).WithTimeout(wait).WithPolling(poll).Should(BeTrue())

	before := endedWatches(t, us, "seinodes")
	time.Sleep(4 * clientTimeout)
	g.Expect(endedWatches(t, us, "seinodes")).To(Equal(before), "no SeiNode watch on %s ended", us.Name)

	e.seiNode(t, us, "second")
	g.Eventually(func() bool { return e.reqs.has(name + "/second") }).WithTimeout(wait).WithPolling(poll).Should(BeTrue())
}

// endedWatches reads from cp's apiserver metrics how many WATCH requests for resource have ended.
func endedWatches(t *testing.T, cp *testfleet.ControlPlane, resource string) int {
	t.Helper()
	g := NewWithT(t)
	cs, err := kubernetes.NewForConfig(cp.Config)
	g.Expect(err).NotTo(HaveOccurred())
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	total := 0
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") || !strings.Contains(line, `verb="WATCH"`) ||
			!strings.Contains(line, `resource="`+resource+`"`) {
			continue
		}
		n, err := strconv.Atoi(line[strings.LastIndex(line, " ")+1:])
		g.Expect(err).NotTo(HaveOccurred(), line)
		total += n
	}
	return total
}
