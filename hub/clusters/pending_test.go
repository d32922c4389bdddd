package clusters

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
)

// A cluster the provider has not tried to engage yet (the hub just started) is unhealthy, not a target,
// but Pending: its verdict says nothing about the cluster, and placement fences no validator for it.
// One the provider refused (a bad kubeconfig, say) is not Pending: that is evidence.
func TestAClusterNotTriedYetIsPendingNotEvidence(t *testing.T) {
	g := NewWithT(t)
	p := New(Options{})
	m := &Monitor{Provider: p}
	mc := &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: "eu"}, Spec: clusterv1.ManagedClusterSpec{HubAcceptsClient: true}}

	h := m.probe(t.Context(), mc)
	g.Expect(h.Healthy).To(BeFalse())
	g.Expect(h.Reason).To(Equal(ReasonNotEngaged))
	g.Expect(h.Pending).To(BeTrue())

	p.refused["eu"] = errors.New("parse kubeconfig of cluster eu: bad")
	h = m.probe(t.Context(), mc)
	g.Expect(h.Reason).To(Equal(ReasonNotEngaged))
	g.Expect(h.Pending).To(BeFalse())
}
