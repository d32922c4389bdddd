package mirror

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	mcreconcile "sigs.k8s.io/multicluster-runtime/pkg/reconcile"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/member"
)

func memberCopy(name string, managed bool) *seiv1alpha1.SeiNode {
	n := &seiv1alpha1.SeiNode{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{
		seiv1alpha1.LabelDeployment: "d",
	}}}
	if managed {
		n.Labels[member.LabelManagedBy] = member.ManagedByHub
	}
	return n
}

func TestDeletedMemberCopiesAreForwardedWithoutBlocking(t *testing.T) {
	g := NewWithT(t)
	gone := make(chan event.GenericEvent, 1)
	h := (&Reconciler{CopiesGone: gone}).toRecord("us", nil)
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[mcreconcile.Request]())
	defer q.ShutDown()

	h.Update(t.Context(), event.TypedUpdateEvent[client.Object]{ObjectOld: memberCopy("a", true), ObjectNew: memberCopy("a", true)}, q)
	g.Expect(gone).To(BeEmpty(), "only deletions are forwarded")
	h.Delete(t.Context(), event.TypedDeleteEvent[client.Object]{Object: memberCopy("b", false)}, q)
	g.Expect(gone).To(BeEmpty(), "a copy the hub does not manage is not its business")

	h.Delete(t.Context(), event.TypedDeleteEvent[client.Object]{Object: memberCopy("c", true)}, q)
	g.Expect(gone).To(Receive(WithTransform(func(e event.GenericEvent) string { return e.Object.GetName() }, Equal("c"))))

	// A full channel drops the event instead of stalling the member's informer; the record is still
	// enqueued.
	h.Delete(t.Context(), event.TypedDeleteEvent[client.Object]{Object: memberCopy("d", true)}, q)
	h.Delete(t.Context(), event.TypedDeleteEvent[client.Object]{Object: memberCopy("e", true)}, q)
	g.Expect(gone).To(HaveLen(1))
	g.Expect(q.Len()).To(BeNumerically(">=", 4), "every managed copy's event still reaches its record")
}
