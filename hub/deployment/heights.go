package deployment

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// holdRowHeights keeps a status change that only moves node rows' heights out of dep (its status goes
// back to before's) while dep's rows took heights less than Heights.Interval ago, and says when to
// write them. Any other change writes the rows' heights with it. moved is rowHeightsMoved(before, dep).
func (r *Reconciler) holdRowHeights(before, dep *seiv1alpha1.SeiNodeDeployment, moved bool, now time.Time) time.Duration {
	if !moved || !sameButRowHeights(&before.Status, &dep.Status) {
		return 0
	}
	wait := r.Heights.Wait(dep.UID, now)
	if wait > 0 {
		dep.Status = *before.Status.DeepCopy()
	}
	return wait
}

// sameButRowHeights reports whether prev and next are equal but for their node rows' heights.
func sameButRowHeights(prev, next *seiv1alpha1.SeiNodeDeploymentStatus) bool {
	a, b := prev.DeepCopy(), next.DeepCopy()
	for _, s := range []*seiv1alpha1.SeiNodeDeploymentStatus{a, b} {
		for i := range s.Nodes {
			s.Nodes[i].Height = 0
		}
	}
	return equality.Semantic.DeepEqual(a, b)
}

// rowHeightsMoved reports whether a node row's height differs between prev and next (rows matched by
// name).
func rowHeightsMoved(prev, next *seiv1alpha1.SeiNodeDeploymentStatus) bool {
	heights := make(map[string]int64, len(prev.Nodes))
	for _, n := range prev.Nodes {
		heights[n.Name] = n.Height
	}
	for _, n := range next.Nodes {
		if h, ok := heights[n.Name]; ok && h != n.Height {
			return true
		}
	}
	return false
}
