package mirror_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/mirror"
)

// On a verified cluster the sweeper deletes the full-node copies of this hub that no record places
// there, and nothing else: not a validator (reported instead), not another hub's copy, not a copy
// without a hub ID, not a placed copy.
func TestSweeperDeletesOnlyWhatItIsSureOf(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	us := fleet.Member("us")
	e := startHub(t, false)
	here, there := e.name("us"), e.name("eu")
	e.register(t, here, us)

	e.record(t, "placed", here, false)
	e.memberCopy(t, us, "placed", here, false, e.hubID)
	e.memberCopy(t, us, "stale-full", here, false, e.hubID) // no record
	e.record(t, "moved-full", there, false)
	e.memberCopy(t, us, "moved-full", here, false, e.hubID)
	e.record(t, "moved-validator", there, true)
	e.memberCopy(t, us, "moved-validator", here, true, e.hubID)
	e.memberCopy(t, us, "gone-validator", here, true, e.hubID) // no record
	e.memberCopy(t, us, "other-hub", here, false, "another-hub")
	e.memberCopy(t, us, "no-hub-id", here, false, "")

	// The member's cache fills on the first list; sweep until nothing more goes.
	g.Eventually(func() []string { e.sweeper.Sweep(ctx); return e.copies(t, us) }).WithTimeout(wait).WithPolling(200 * time.Millisecond).
		Should(ConsistOf("placed", "moved-validator", "gone-validator", "other-hub", "no-hub-id"))
	g.Expect(e.sweeper.Sweep(ctx)).To(BeZero())
	g.Expect(e.copies(t, us)).To(ConsistOf("placed", "moved-validator", "gone-validator", "other-hub", "no-hub-id"))

	// The validators left alone are reported on the cluster's ManagedCluster.
	g.Eventually(func() []string {
		list := &eventsv1.EventList{}
		g.Expect(fleet.Hub.Client.List(ctx, list)).To(Succeed())
		var notes []string
		for _, ev := range list.Items {
			if ev.Regarding.Kind == "ManagedCluster" && ev.Regarding.Name == here && ev.Reason == mirror.ReasonValidatorNotSwept {
				notes = append(notes, ev.Note)
			}
		}
		return notes
	}).WithTimeout(wait).WithPolling(poll).Should(ContainElements(
		And(ContainSubstring(e.ns+"/moved-validator"), ContainSubstring("its record places it on another cluster")),
		And(ContainSubstring(e.ns+"/gone-validator"), ContainSubstring("its record is gone")),
	))
}

// One pass deletes at most MaxDeletions copies.
func TestSweeperCapsDeletionsPerPass(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	us := fleet.Member("us")
	e := startHub(t, false)
	here := e.name("us")
	e.register(t, here, us)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		e.memberCopy(t, us, "stale-"+n, here, false, e.hubID)
	}
	e.sweeper.MaxDeletions = 2
	// Wait for the member's cache to list all five before the first counted pass.
	cl := e.engaged(t, here)
	g.Eventually(func() int {
		list := &seiv1alpha1.SeiNodeList{}
		_ = cl.GetClient().List(ctx, list, client.InNamespace(e.ns))
		return len(list.Items)
	}).WithTimeout(wait).WithPolling(poll).Should(Equal(5))

	g.Expect(e.sweeper.Sweep(ctx)).To(Equal(2))
	g.Expect(e.copies(t, us)).To(HaveLen(3))
	g.Eventually(func() int { e.sweeper.Sweep(ctx); return len(e.copies(t, us)) }).
		WithTimeout(wait).WithPolling(200 * time.Millisecond).Should(BeZero())
}

// A kubeconfig Secret swapped to another member's — or an address that now reaches another member,
// without any Secret change — makes every copy there look unplaced. The sweeper deletes nothing.
func TestSweeperDeletesNothingOnAClusterItDidNotVerify(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	us, eu := fleet.Member("us"), fleet.Member("eu")
	e := startHub(t, false)
	onEU := e.name("eu")
	e.register(t, onEU, eu)
	// eu runs a validator and a full node of this hub, each placed there by a record.
	for _, validator := range []bool{true, false} {
		name := map[bool]string{true: "validator", false: "full"}[validator]
		e.record(t, name, onEU, validator)
		e.memberCopy(t, eu, name, onEU, validator, e.hubID)
	}

	// Member A, pinned on us; then its Secret is swapped to eu's kubeconfig.
	swapped := e.name("a")
	e.register(t, swapped, us)
	e.heartbeat(t, eu, swapped) // even eu's agent naming A does not make eu A
	e.putSecret(t, swapped, eu.Kubeconfig)
	g.Eventually(func() string { return e.provider.NotEngagedReason(swapped) }).
		WithTimeout(wait).WithPolling(poll).Should(ContainSubstring("is not the cluster the hub pinned"))

	// Member B reaches us through an address that then moves to eu: nothing has noticed yet when the
	// sweep runs.
	proxy := startProxy(t, us)
	kubeconfig, err := proxy.Kubeconfig()
	g.Expect(err).NotTo(HaveOccurred())
	moved := e.name("b")
	e.registerWith(t, moved, kubeconfig)
	e.heartbeat(t, us, moved)
	e.heartbeat(t, eu, moved)
	e.engaged(t, moved)
	g.Expect(proxy.Switch(eu)).To(Succeed())

	for range 5 {
		e.sweeper.Sweep(ctx)
		time.Sleep(200 * time.Millisecond)
	}
	g.Expect(e.copies(t, eu)).To(ConsistOf("validator", "full"))
	g.Expect(e.provider.Engaged()).To(ConsistOf(onEU), "the moved address was disengaged by the sweeper's check")
}
