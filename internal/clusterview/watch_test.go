package clusterview_test

import (
	"context"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/clusterview"
)

// eventLog records the informer events of one cluster as "type ns/name".
type eventLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *eventLog) add(kind string, obj any) {
	o, ok := obj.(client.Object)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, kind+" "+o.GetNamespace()+"/"+o.GetName())
}

func (l *eventLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen...)
}

// startCluster builds and starts a cluster.Cluster on the view as the hub's provider does (its own
// cache and informers), records its SeiNode events and stops it when the test ends.
func startCluster(t *testing.T, v *clusterview.View) (cluster.Cluster, *eventLog) {
	t.Helper()
	g := NewWithT(t)
	cl, err := cluster.New(v.RESTConfig(), func(o *cluster.Options) { o.Scheme = fleet.Scheme })
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- cl.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("cluster of view %s: %v", v.Name(), err)
		}
	})
	inf, err := cl.GetCache().GetInformer(t.Context(), &seiv1alpha1.SeiNode{})
	g.Expect(err).NotTo(HaveOccurred())
	events := &eventLog{}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { events.add("add", o) },
		UpdateFunc: func(_, o any) { events.add("update", o) },
		DeleteFunc: func(o any) {
			if d, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = d.Obj
			}
			events.add("delete", o)
		},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cl.GetCache().WaitForCacheSync(t.Context())).To(BeTrue())
	return cl, events
}

func TestClustersOnViewsWatchTheirOwnObjects(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	a, b := startView(t, "a"), startView(t, "b")
	clA, eventsA := startCluster(t, a)
	clB, eventsB := startCluster(t, b)
	ca, cb := clA.GetClient(), clB.GetClient()
	for _, c := range []client.Client{ca, cb} {
		g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "nodes"}})).To(Succeed())
	}

	g.Expect(ca.Create(ctx, seiNode("only-a"))).To(Succeed())
	g.Expect(cb.Create(ctx, seiNode("only-b"))).To(Succeed())
	node := &seiv1alpha1.SeiNode{}
	g.Eventually(func() error {
		return ca.Get(ctx, types.NamespacedName{Namespace: "nodes", Name: "only-a"}, node)
	}).WithTimeout(wait).WithPolling(poll).Should(Succeed())
	g.Expect(node.Labels).NotTo(HaveKey(clusterview.LabelView))

	// Read from the cache, modify, update: the update arrives as an event, in the view.
	node.Spec.Image = "seid:v2"
	g.Expect(ca.Update(ctx, node)).To(Succeed())
	g.Expect(ca.Delete(ctx, node)).To(Succeed())
	g.Eventually(eventsA.snapshot).WithTimeout(wait).WithPolling(poll).Should(ContainElements(
		"add nodes/only-a", "update nodes/only-a", "delete nodes/only-a"))
	g.Eventually(eventsB.snapshot).WithTimeout(wait).WithPolling(poll).Should(ContainElement("add nodes/only-b"))
	g.Expect(eventsA.snapshot()).NotTo(ContainElement(ContainSubstring("only-b")))
	g.Expect(eventsB.snapshot()).NotTo(ContainElement(ContainSubstring("only-a")))

	// The caches hold their own views' objects, in the views' namespaces.
	nodes := &seiv1alpha1.SeiNodeList{}
	g.Expect(cb.List(ctx, nodes)).To(Succeed())
	g.Expect(namesOf(nodes.Items, func(n *seiv1alpha1.SeiNode) string { return n.Namespace + "/" + n.Name })).To(ConsistOf("nodes/only-b"))
	g.Expect(nodes.Items[0].Labels).NotTo(HaveKey(clusterview.LabelView))
	namespaces := &corev1.NamespaceList{}
	g.Expect(cb.List(ctx, namespaces)).To(Succeed())
	g.Expect(namesOf(namespaces.Items, func(n *corev1.Namespace) string { return n.Name })).To(ConsistOf("kube-system", "default", "nodes"))
	g.Expect(a.Requests()[clusterview.VerbWatch]).To(BeNumerically(">", 0))
}

func TestADownViewFailsFastAndEndsItsWatches(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	v := startView(t, "d")
	c, cs := clientsOf(t, v)
	w, err := cs.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	defer w.Stop()

	v.SetDown(true)
	err = c.Get(ctx, types.NamespacedName{Name: "kube-system"}, &corev1.Namespace{})
	g.Expect(apierrors.IsServiceUnavailable(err)).To(BeTrue(), "%v", err)
	// The open watch ends: its channel closes (after an error event, if any).
	g.Eventually(func() bool {
		for {
			select {
			case _, ok := <-w.ResultChan():
				if !ok {
					return true
				}
			default:
				return false
			}
		}
	}).WithTimeout(wait).WithPolling(poll).Should(BeTrue())

	v.SetDown(false)
	g.Expect(c.Get(ctx, types.NamespacedName{Name: "kube-system"}, &corev1.Namespace{})).To(Succeed())
}

func TestCloseLeavesNothingRunning(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	before := runtime.NumGoroutine()
	v, err := clusterview.Start(ctx, fleet.Hub.Config, "closing")
	g.Expect(err).NotTo(HaveOccurred())
	cl, err := cluster.New(v.RESTConfig(), func(o *cluster.Options) { o.Scheme = fleet.Scheme })
	g.Expect(err).NotTo(HaveOccurred())
	clusterCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- cl.Start(clusterCtx) }()
	g.Expect(cl.GetCache().WaitForCacheSync(ctx)).To(BeTrue())
	g.Expect(cl.GetCache().List(ctx, &seiv1alpha1.SeiNodeList{})).To(Succeed())
	g.Expect(v.Requests()[clusterview.VerbWatch]).To(BeNumerically(">", 0))

	// The watch is open when the view closes, and the view's Close waits for it.
	v.Close()
	cancel()
	g.Expect(<-done).To(Succeed())
	_, err = net.DialTimeout("tcp", v.URL()[len("http://"):], time.Second)
	g.Expect(err).To(HaveOccurred(), "the view's port is closed")
	g.Eventually(runtime.NumGoroutine).WithTimeout(wait).WithPolling(poll).Should(BeNumerically("<=", before))
}
