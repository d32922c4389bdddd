package deployment

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// countingReader serves a fixed set of records and counts its lists.
type countingReader struct {
	client.Reader
	nodes []seiv1alpha1.SeiNode
	lists int
}

func (c *countingReader) List(_ context.Context, l client.ObjectList, opts ...client.ListOption) error {
	c.lists++
	lo := (&client.ListOptions{}).ApplyOptions(opts)
	out := l.(*seiv1alpha1.SeiNodeList)
	out.Items = nil
	for _, n := range c.nodes {
		if lo.LabelSelector == nil || lo.LabelSelector.Matches(labels.Set(n.Labels)) {
			out.Items = append(out.Items, n)
		}
	}
	return nil
}

// handlerInformer keeps the handler a policyUsage registers, so the test can play events.
type handlerInformer struct {
	crcache.Informer
	h toolscache.ResourceEventHandler
}

func (i *handlerInformer) AddEventHandler(h toolscache.ResourceEventHandler) (toolscache.ResourceEventHandlerRegistration, error) {
	i.h = h
	return nil, nil
}

func usageNode(name, policy, cluster string) seiv1alpha1.SeiNode {
	return seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{seiv1alpha1.LabelPolicy: policy}},
		Spec:       seiv1alpha1.SeiNodeSpec{ClusterName: cluster},
	}
}

func TestPolicyUsageCountsAgainOnlyWhenARecordUnderThePolicyMoves(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	a, b := usageNode("a", "p", "c1"), usageNode("b", "p", "c2")
	reader := &countingReader{nodes: []seiv1alpha1.SeiNode{a, b, usageNode("x", "other", "c1")}}

	unwatched := &policyUsage{}
	for range 2 {
		got, err := unwatched.of(ctx, reader, "p")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(got).To(Equal(map[string]int{"c1": 1, "c2": 1}))
	}
	g.Expect(reader.lists).To(Equal(2), "without record events every call counts")

	reader.lists = 0
	u, inf := &policyUsage{}, &handlerInformer{}
	g.Expect(u.watch(inf)).To(Succeed())
	count := func() map[string]int {
		got, err := u.of(ctx, reader, "p")
		g.Expect(err).NotTo(HaveOccurred())
		return got
	}
	g.Expect(count()).To(Equal(map[string]int{"c1": 1, "c2": 1}))
	g.Expect(count()).To(Equal(map[string]int{"c1": 1, "c2": 1}))
	g.Expect(reader.lists).To(Equal(1), "kept while nothing moved")

	running := a.DeepCopy()
	running.Status.Phase = seiv1alpha1.NodeRunning
	inf.h.OnUpdate(&a, running)
	inf.h.OnAdd(ptr.To(usageNode("y", "other", "c2")), false)
	g.Expect(count()).To(Equal(map[string]int{"c1": 1, "c2": 1}))
	g.Expect(reader.lists).To(Equal(1), "a status change, or a record of another policy, keeps the count")

	moved := a.DeepCopy()
	moved.Spec.ClusterName = "c2"
	reader.nodes[0] = *moved
	inf.h.OnUpdate(&a, moved)
	g.Expect(count()).To(Equal(map[string]int{"c2": 2}))
	g.Expect(reader.lists).To(Equal(2), "a move counts again")

	c := usageNode("c", "p", "c3")
	reader.nodes = append(reader.nodes, c)
	inf.h.OnAdd(&c, false)
	g.Expect(count()).To(Equal(map[string]int{"c2": 2, "c3": 1}))

	reader.nodes = reader.nodes[1:]
	inf.h.OnDelete(toolscache.DeletedFinalStateUnknown{Obj: moved})
	g.Expect(count()).To(Equal(map[string]int{"c2": 1, "c3": 1}))
	g.Expect(reader.lists).To(Equal(4), "a create and a delete (even as a tombstone) count again")
}
