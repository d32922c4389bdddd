package deployment

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/heightcadence"
)

func withRows(ready int32, heights ...int64) *seiv1alpha1.SeiNodeDeployment {
	d := &seiv1alpha1.SeiNodeDeployment{Status: seiv1alpha1.SeiNodeDeploymentStatus{ReadyReplicas: ready}}
	d.UID = "dep"
	for i, h := range heights {
		d.Status.Nodes = append(d.Status.Nodes, seiv1alpha1.NodeRow{Name: string(rune('a' + i)), Phase: seiv1alpha1.NodeRunning, Height: h})
	}
	return d
}

// A status write that only moves rows' heights waits for the interval; any other change carries them.
func TestRowHeightsAloneWaitForTheInterval(t *testing.T) {
	g := NewWithT(t)
	now := time.Unix(1000, 0)
	r := &Reconciler{Heights: &heightcadence.Limiter{Interval: time.Minute}}
	// As Reconcile calls them.
	hold := func(before, after *seiv1alpha1.SeiNodeDeployment, now time.Time) time.Duration {
		return r.holdRowHeights(before, after, rowHeightsMoved(&before.Status, &after.Status), now)
	}
	rowHeightsOnly := func(prev, next *seiv1alpha1.SeiNodeDeploymentStatus) bool {
		return rowHeightsMoved(prev, next) && sameButRowHeights(prev, next)
	}
	g.Expect(hold(withRows(2, 10, 10), withRows(2, 10, 20), now)).To(BeZero(), "no height written yet")
	r.Heights.Wrote("dep", now)

	after := withRows(2, 10, 30)
	g.Expect(hold(withRows(2, 10, 20), after, now.Add(15*time.Second))).To(Equal(45 * time.Second))
	g.Expect(after.Status.Nodes[1].Height).To(BeEquivalentTo(20), "the status keeps its heights")

	after = withRows(1, 10, 30)
	g.Expect(hold(withRows(2, 10, 20), after, now.Add(15*time.Second))).To(BeZero(), "a node no longer ready")
	g.Expect(after.Status.Nodes[1].Height).To(BeEquivalentTo(30))

	g.Expect(rowHeightsOnly(&withRows(2, 10, 20).Status, &withRows(2, 10, 20).Status)).To(BeFalse(), "nothing moved")
	g.Expect(rowHeightsOnly(&withRows(2, 10).Status, &withRows(2, 10, 20).Status)).To(BeFalse(), "a row more")
}
