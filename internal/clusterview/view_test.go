package clusterview_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/internal/clusterview"
	"github.com/sei-protocol/sei-fleet/internal/kube"
)

// seiNode is a SeiNode in the "nodes" namespace every test creates in its views.
func seiNode(name string) *seiv1alpha1.SeiNode {
	return &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Namespace: "nodes", Name: name},
		Spec:       seiv1alpha1.SeiNodeSpec{ChainID: "test-1", Image: "seid:test", FullNode: &seiv1alpha1.FullNodeSpec{}},
	}
}

// upstreamNode reads the physical copy of a view's SeiNode in "nodes".
func upstreamNode(t *testing.T, v *clusterview.View, name string) *seiv1alpha1.SeiNode {
	t.Helper()
	n := &seiv1alpha1.SeiNode{}
	NewWithT(t).Expect(fleet.Hub.Client.Get(t.Context(), types.NamespacedName{Namespace: v.Namespace("nodes"), Name: name}, n)).To(Succeed())
	return n
}

func namesOf[T any](items []T, name func(*T) string) []string {
	out := make([]string, 0, len(items))
	for i := range items {
		out = append(out, name(&items[i]))
	}
	return out
}

func TestViewsHaveTheirOwnIdentityAndNamespaces(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	a, b := startView(t, "a"), startView(t, "b")
	ca, csa := clientsOf(t, a)
	cb, csb := clientsOf(t, b)

	// Identity as the hub reads it: the UID of the view's own kube-system Namespace.
	ida, err := clusters.ReadIdentity(ctx, csa)
	g.Expect(err).NotTo(HaveOccurred())
	idb, err := clusters.ReadIdentity(ctx, csb)
	g.Expect(err).NotTo(HaveOccurred())
	physical := &corev1.Namespace{}
	g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Name: a.Namespace("kube-system")}, physical)).To(Succeed())
	g.Expect(ida).To(Equal(physical.UID))
	g.Expect(physical.Labels).To(HaveKeyWithValue(clusterview.LabelView, a.Name()))
	g.Expect(idb).NotTo(Equal(ida))

	// Each view lists its own Namespaces only, by their names in the view, without the view's label.
	g.Expect(ca.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "work", Labels: map[string]string{"team": "a"}}})).To(Succeed())
	g.Expect(cb.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "work"}})).To(Succeed())
	list := &corev1.NamespaceList{}
	g.Expect(ca.List(ctx, list)).To(Succeed())
	g.Expect(namesOf(list.Items, func(n *corev1.Namespace) string { return n.Name })).To(ConsistOf("kube-system", "default", "work"))
	for _, ns := range list.Items {
		g.Expect(ns.Labels).NotTo(HaveKey(clusterview.LabelView), ns.Name)
		g.Expect(ns.Labels).To(HaveKeyWithValue("kubernetes.io/metadata.name", ns.Name))
	}
	g.Expect(ca.List(ctx, list, client.MatchingLabels{"team": "a"})).To(Succeed())
	g.Expect(namesOf(list.Items, func(n *corev1.Namespace) string { return n.Name })).To(ConsistOf("work"))
	g.Expect(ca.List(ctx, list, client.MatchingFields{"metadata.name": "default"})).To(Succeed())
	g.Expect(namesOf(list.Items, func(n *corev1.Namespace) string { return n.Name })).To(ConsistOf("default"))

	// A Namespace of another view is not found, and says so by the name asked for.
	g.Expect(ca.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "only-b"}})).To(Succeed())
	err = cb.Get(ctx, types.NamespacedName{Name: "only-b"}, &corev1.Namespace{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
	g.Expect(err.Error()).To(ContainSubstring(`"only-b"`))
	g.Expect(err.Error()).NotTo(ContainSubstring(a.Name() + "-"))

	// Namespace read-modify-update keeps it in the view.
	work := &corev1.Namespace{}
	g.Expect(ca.Get(ctx, types.NamespacedName{Name: "work"}, work)).To(Succeed())
	work.Labels["touched"] = "yes"
	g.Expect(ca.Update(ctx, work)).To(Succeed())
	g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Name: a.Namespace("work")}, physical)).To(Succeed())
	g.Expect(physical.Labels).To(HaveKeyWithValue(clusterview.LabelView, a.Name()))
	g.Expect(physical.Labels).To(HaveKeyWithValue("touched", "yes"))
	g.Expect(ca.Delete(ctx, work)).To(Succeed())
	g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Name: a.Namespace("work")}, physical)).To(Succeed())
	g.Expect(physical.DeletionTimestamp).NotTo(BeNil())
}

func TestSeiNodesStayInTheirView(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	a, b := startView(t, "a"), startView(t, "b")
	ca, _ := clientsOf(t, a)
	cb, _ := clientsOf(t, b)
	for _, c := range []client.Client{ca, cb} {
		g.Expect(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "nodes"}})).To(Succeed())
	}

	// The same name in both views: two objects.
	node := seiNode("n1")
	g.Expect(ca.Create(ctx, node)).To(Succeed())
	g.Expect(node.Namespace).To(Equal("nodes"))
	g.Expect(node.Labels).NotTo(HaveKey(clusterview.LabelView))
	g.Expect(cb.Create(ctx, seiNode("n1"))).To(Succeed())
	g.Expect(cb.Create(ctx, seiNode("n2"))).To(Succeed())
	g.Expect(upstreamNode(t, a, "n1").Labels).To(HaveKeyWithValue(clusterview.LabelView, a.Name()))

	// Cluster-wide and namespaced lists see the view's own.
	nodes := &seiv1alpha1.SeiNodeList{}
	g.Expect(ca.List(ctx, nodes)).To(Succeed())
	g.Expect(namesOf(nodes.Items, func(n *seiv1alpha1.SeiNode) string { return n.Namespace + "/" + n.Name })).To(ConsistOf("nodes/n1"))
	g.Expect(nodes.Items[0].Labels).NotTo(HaveKey(clusterview.LabelView))
	g.Expect(cb.List(ctx, nodes, client.InNamespace("nodes"))).To(Succeed())
	g.Expect(namesOf(nodes.Items, func(n *seiv1alpha1.SeiNode) string { return n.Name })).To(ConsistOf("n1", "n2"))
	g.Expect(cb.List(ctx, nodes, client.MatchingFields{"metadata.namespace": "nodes"})).To(Succeed())
	g.Expect(nodes.Items).To(HaveLen(2))
	err := ca.Get(ctx, types.NamespacedName{Namespace: "nodes", Name: "n2"}, &seiv1alpha1.SeiNode{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)

	// Read-modify-update keeps the object in its view.
	got := &seiv1alpha1.SeiNode{}
	g.Expect(ca.Get(ctx, types.NamespacedName{Namespace: "nodes", Name: "n1"}, got)).To(Succeed())
	g.Expect(got.Labels).NotTo(HaveKey(clusterview.LabelView))
	got.Spec.Image = "seid:v2"
	g.Expect(ca.Update(ctx, got)).To(Succeed())
	phys := upstreamNode(t, a, "n1")
	g.Expect(phys.Spec.Image).To(Equal("seid:v2"))
	g.Expect(phys.Labels).To(HaveKeyWithValue(clusterview.LabelView, a.Name()))

	// Merge patch, status update, status patch.
	before := got.DeepCopy()
	got.Labels = map[string]string{"role": "rpc"}
	g.Expect(ca.Patch(ctx, got, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))).To(Succeed())
	g.Expect(got.Labels).To(Equal(map[string]string{"role": "rpc"}))
	got.Status.Phase = seiv1alpha1.NodePhase("Running")
	g.Expect(ca.Status().Update(ctx, got)).To(Succeed())
	before = got.DeepCopy()
	got.Status.NodeID = "abc"
	g.Expect(ca.Status().Patch(ctx, got, client.MergeFrom(before))).To(Succeed())
	phys = upstreamNode(t, a, "n1")
	g.Expect(phys.Labels).To(Equal(map[string]string{"role": "rpc", clusterview.LabelView: a.Name()}))
	g.Expect(phys.Status.Phase).To(BeEquivalentTo("Running"))
	g.Expect(phys.Status.NodeID).To(Equal("abc"))

	// Server-side apply, as the hub writes member copies: creates, then updates.
	applied := seiNode("n3")
	applied.Labels = map[string]string{"applied": "yes"}
	g.Expect(kube.Apply(ctx, ca, fleet.Scheme, applied, "test-hub")).To(Succeed())
	g.Expect(upstreamNode(t, a, "n3").Labels).To(Equal(map[string]string{"applied": "yes", clusterview.LabelView: a.Name()}))
	applied.Spec.Image = "seid:v3"
	g.Expect(kube.Apply(ctx, ca, fleet.Scheme, applied, "test-hub")).To(Succeed())
	g.Expect(upstreamNode(t, a, "n3").Spec.Image).To(Equal("seid:v3"))
	g.Expect(ca.List(ctx, nodes)).To(Succeed())
	g.Expect(namesOf(nodes.Items, func(n *seiv1alpha1.SeiNode) string { return n.Name })).To(ConsistOf("n1", "n3"))

	// JSON patch.
	g.Expect(ca.Patch(ctx, got, client.RawPatch(types.JSONPatchType, []byte(`[{"op":"replace","path":"/spec/image","value":"seid:v4"}]`)))).To(Succeed())
	g.Expect(upstreamNode(t, a, "n1").Spec.Image).To(Equal("seid:v4"))

	// Delete, through the view, of the view's object only.
	g.Expect(ca.Delete(ctx, seiNode("n1"))).To(Succeed())
	g.Expect(cb.Get(ctx, types.NamespacedName{Namespace: "nodes", Name: "n1"}, &seiv1alpha1.SeiNode{})).To(Succeed())
	err = ca.Get(ctx, types.NamespacedName{Namespace: "nodes", Name: "n1"}, &seiv1alpha1.SeiNode{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)

	counts := a.Requests()
	for _, verb := range []clusterview.Verb{clusterview.VerbGet, clusterview.VerbList, clusterview.VerbCreate, clusterview.VerbUpdate, clusterview.VerbPatch, clusterview.VerbDelete} {
		g.Expect(counts[verb]).To(BeNumerically(">", 0), string(verb))
	}
}

func TestRefusesViewsThatWouldShareNamespaces(t *testing.T) {
	g := NewWithT(t)
	v := startView(t, "s")
	for _, name := range []string{v.Name(), v.Name() + "-x"} {
		_, err := clusterview.Start(t.Context(), fleet.Hub.Config, name)
		g.Expect(err).To(MatchError(ContainSubstring("would share namespaces")), name)
	}
}

func TestTakesClientsetProtobufAndRefusesUnreadableBodies(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	v := startView(t, "p")
	_, cs := clientsOf(t, v)

	// A generated clientset sends built-in types as protobuf; the view re-encodes them as JSON.
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}, Data: map[string]string{"k": "v"}}
	got, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.Namespace).To(Equal("default"))
	g.Expect(got.Labels).NotTo(HaveKey(clusterview.LabelView))
	phys := &corev1.ConfigMap{}
	g.Expect(fleet.Hub.Client.Get(ctx, types.NamespacedName{Namespace: v.Namespace("default"), Name: "cm"}, phys)).To(Succeed())
	g.Expect(phys.Labels).To(HaveKeyWithValue(clusterview.LabelView, v.Name()))
	g.Expect(phys.Data).To(Equal(map[string]string{"k": "v"}))

	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport}
	for _, contentType := range []string{"application/vnd.kubernetes.protobuf", "application/cbor"} {
		resp, err := hc.Post(v.URL()+"/api/v1/namespaces/default/configmaps", contentType, bytes.NewReader([]byte{0x6b, 0x38, 0x73, 0x00, 0xff}))
		g.Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
		g.Expect(resp.StatusCode).To(Equal(http.StatusUnsupportedMediaType), contentType)
	}
}

// BenchmarkListThroughView lists 100 SeiNodes through a view, against BenchmarkListDirect the same
// list straight from the apiserver: the difference is what a view costs a list (the proxy hop and the
// rewrite of every item).
func BenchmarkListThroughView(b *testing.B) {
	v, err := clusterview.Start(b.Context(), fleet.Hub.Config, "bench-list")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	c, err := client.New(unlimited(v.RESTConfig()), client.Options{Scheme: fleet.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	benchmarkList(b, c, "nodes", func() {
		if err := c.Create(b.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "nodes"}}); err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatal(err)
		}
	})
}

func BenchmarkListDirect(b *testing.B) {
	const ns = "bench-list-direct"
	c, err := client.New(unlimited(fleet.Hub.Config), client.Options{Scheme: fleet.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	benchmarkList(b, c, ns, func() {
		if err := c.Create(b.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatal(err)
		}
	})
}

// unlimited is cfg without client-side rate limiting, which would measure itself.
func unlimited(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS = -1
	return cfg
}

func benchmarkList(b *testing.B, c client.Client, ns string, makeNamespace func()) {
	const items = 100
	makeNamespace()
	for i := range items {
		n := seiNode(fmt.Sprintf("n%03d", i))
		n.Namespace = ns
		if err := c.Create(b.Context(), n); err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatal(err)
		}
	}
	list := &seiv1alpha1.SeiNodeList{}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.List(b.Context(), list, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		if len(list.Items) != items {
			b.Fatalf("listed %d SeiNodes, want %d", len(list.Items), items)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/item")
}
