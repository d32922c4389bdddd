package policy_test

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/sei-protocol/sei-fleet/hub/policy"
)

func TestInventoryChangesOnlyWithWhatClustersReturns(t *testing.T) {
	g := NewWithT(t)
	old := &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: "us", Generation: 1, Labels: map[string]string{"region": "us"}}}
	update := func(mutate func(*clusterv1.ManagedCluster)) bool {
		n := old.DeepCopy()
		mutate(n)
		return policy.InventoryChanged.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: n})
	}
	g.Expect(update(func(c *clusterv1.ManagedCluster) {
		c.Status.Conditions = []metav1.Condition{{Type: clusterv1.ManagedClusterConditionAvailable, Status: metav1.ConditionTrue}}
	})).To(BeFalse(), "status: health reaches controllers from the monitor")
	g.Expect(update(func(c *clusterv1.ManagedCluster) { c.Generation = 2 })).To(BeTrue(), "spec")
	g.Expect(update(func(c *clusterv1.ManagedCluster) { c.Labels["region"] = "eu" })).To(BeTrue(), "labels")
	g.Expect(update(func(c *clusterv1.ManagedCluster) { now := metav1.Now(); c.DeletionTimestamp = &now })).To(BeTrue(), "deletion")
	g.Expect(policy.InventoryChanged.Create(event.CreateEvent{Object: old})).To(BeTrue())
	g.Expect(policy.InventoryChanged.Delete(event.DeleteEvent{Object: old})).To(BeTrue())
}
