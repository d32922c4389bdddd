package mirror_test

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/mirror"
	"github.com/sei-protocol/sei-fleet/internal/heightcadence"
)

// A full node's record takes a change that only moves its height once per interval; a node with a
// halt height takes every height at once, and any other change goes up at once with the height.
func TestAFullNodesRecordTakesHeightsOncePerInterval(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	us := fleet.Member("us")
	const interval = 10 * time.Second
	e := startHub(t, true, func(r *mirror.Reconciler) { r.Heights = &heightcadence.Limiter{Interval: interval} })
	here := e.name("us")
	e.register(t, here, us)
	full := e.record(t, "full-0", here, false)
	halting := node(e.ns, "full-1", here, false)
	halting.Spec.HaltHeight = 1000
	g.Expect(fleet.Hub.Client.Create(ctx, halting)).To(Succeed())

	// The agent's part: the copy runs, caught up at a height.
	setMemberHeight := func(name string, h int64, caughtUp bool) {
		t.Helper()
		g.Eventually(func() error {
			c := &seiv1alpha1.SeiNode{}
			if err := us.Client.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, c); err != nil {
				return err
			}
			c.Status.ObservedGeneration = c.Generation
			c.Status.Phase = seiv1alpha1.NodeRunning
			c.Status.Height = h
			cond := metav1.Condition{Type: seiv1alpha1.NodeCaughtUp, Status: metav1.ConditionTrue, Reason: seiv1alpha1.ReasonCaughtUp,
				Message: fmt.Sprintf("at height %d", h), ObservedGeneration: c.Generation}
			if !caughtUp {
				cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, seiv1alpha1.ReasonCatchingUp, fmt.Sprintf("catching up at height %d", h)
			}
			meta.SetStatusCondition(&c.Status.Conditions, cond)
			return us.Client.Status().Update(ctx, c)
		}).WithTimeout(wait).WithPolling(poll).Should(Succeed(), "member copy %s", name)
	}
	recordHeight := func(name string) func() int64 {
		return func() int64 {
			r := &seiv1alpha1.SeiNode{}
			if err := fleet.Hub.Client.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, r); err != nil {
				return -1
			}
			return r.Status.Height
		}
	}

	setMemberHeight(full.Name, 100, true)
	setMemberHeight(halting.Name, 100, true)
	g.Eventually(recordHeight(full.Name)).WithTimeout(wait).WithPolling(poll).Should(BeEquivalentTo(100), "the first height comes with Running")
	g.Eventually(recordHeight(halting.Name)).WithTimeout(wait).WithPolling(poll).Should(BeEquivalentTo(100))

	setMemberHeight(full.Name, 110, true)
	setMemberHeight(halting.Name, 110, true)
	g.Eventually(recordHeight(halting.Name)).WithTimeout(wait).WithPolling(poll).Should(BeEquivalentTo(110),
		"a node with a halt height takes every height at once")
	g.Consistently(recordHeight(full.Name)).WithTimeout(2*time.Second).WithPolling(poll).Should(BeEquivalentTo(100),
		"a full node's next height waits for the interval")
	g.Eventually(recordHeight(full.Name)).WithTimeout(interval+wait).WithPolling(poll).Should(BeEquivalentTo(110),
		"and comes once it has passed, without another change on the member")

	// Falling behind is news: it goes up at once, height and all.
	setMemberHeight(full.Name, 111, false)
	g.Eventually(func() string {
		r := &seiv1alpha1.SeiNode{}
		_ = fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(full), r)
		c := meta.FindStatusCondition(r.Status.Conditions, seiv1alpha1.NodeCaughtUp)
		if c == nil {
			return ""
		}
		return fmt.Sprintf("%s %d", c.Reason, r.Status.Height)
	}).WithTimeout(interval / 2).WithPolling(poll).Should(Equal(seiv1alpha1.ReasonCatchingUp + " 111"))
}
