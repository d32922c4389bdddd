package deployment

import (
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestWaitsSleepUntilAnEventOrTheirPatienceEnds(t *testing.T) {
	g := NewWithT(t)
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	env := &Env{Now: func() time.Time { return now }}
	pt := &seiv1alpha1.PlannedTask{StartedAt: &metav1.Time{Time: start}}

	wait, expired := waitFor(env, pt, 10*time.Minute)
	g.Expect(expired).To(BeFalse())
	g.Expect(wait).To(Equal(fallbackWait), "far from its patience's end: only the fallback")

	now = start.Add(10*time.Minute - 5*time.Second)
	wait, expired = waitFor(env, pt, 10*time.Minute)
	g.Expect(expired).To(BeFalse())
	g.Expect(wait).To(Equal(6*time.Second), "wakes just past the patience's end, to give up then")

	now = start.Add(10*time.Minute + time.Second)
	_, expired = waitFor(env, pt, 10*time.Minute)
	g.Expect(expired).To(BeTrue())

	wait, expired = waitFor(env, pt, 0)
	g.Expect(expired).To(BeFalse(), "no patience: waits for ever")
	g.Expect(wait).To(Equal(fallbackWait))
}

func TestDeploymentsUnderACappedPolicyTakeTurns(t *testing.T) {
	g := NewWithT(t)
	s := testScheme(t)
	capped := &seiv1alpha1.SeiPlacementPolicy{ObjectMeta: metav1.ObjectMeta{Name: "capped"},
		Spec: seiv1alpha1.SeiPlacementPolicySpec{MaxNodesPerCluster: ptr.To[int32](5)}}
	open := &seiv1alpha1.SeiPlacementPolicy{ObjectMeta: metav1.ObjectMeta{Name: "open"}}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(capped, open).Build()
	under := func(policy string) *seiv1alpha1.SeiNodeDeployment {
		d := dep(seiv1alpha1.RoleFullNode, 1)
		d.Spec.Placement.PolicyName = policy
		return d
	}
	var locks policyLocks

	// Uncapped: never held, so a second deployment under it goes on at once.
	releaseOpen := locks.lock(t.Context(), c, under("open"))
	locks.lock(t.Context(), c, under("open"))()
	releaseOpen()

	release := locks.lock(t.Context(), c, under("capped"))
	var second atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		locks.lock(t.Context(), c, under("capped"))()
		second.Store(true)
	}()
	g.Consistently(second.Load).WithTimeout(200*time.Millisecond).Should(BeFalse(), "waits for the first")
	locks.lock(t.Context(), c, under("open"))() // another policy is not held up
	release()
	g.Eventually(done).Should(BeClosed())
	g.Expect(second.Load()).To(BeTrue())
}
