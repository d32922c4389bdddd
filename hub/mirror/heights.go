package mirror

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// holdHeight keeps a full node's height-only status change out of the record (record's status goes
// back to before's) while the record took a height less than Heights.Interval ago, and says when to
// copy it. A validator's heights are copied as they come (the hub sets signing-state floors from
// them), and so are those of a node with a halt height (an upgrade is judged by them).
func (r *Reconciler) holdHeight(before, record *seiv1alpha1.SeiNode, now time.Time) time.Duration {
	if record.Spec.Validator != nil || record.Spec.HaltHeight != 0 || !heightOnly(&before.Status, &record.Status) {
		return 0
	}
	wait := r.Heights.Wait(record.UID, now)
	if wait > 0 {
		record.Status = *before.Status.DeepCopy()
	}
	return wait
}

// heightOnly reports whether next differs from prev in the block height alone: the height, and the
// CaughtUp condition's message, which carries it. Anything else, a CaughtUp verdict turning
// included, is a change of its own.
func heightOnly(prev, next *seiv1alpha1.SeiNodeStatus) bool {
	if prev.Height == next.Height {
		return false
	}
	a, b := prev.DeepCopy(), next.DeepCopy()
	a.Height, b.Height = 0, 0
	for _, s := range []*seiv1alpha1.SeiNodeStatus{a, b} {
		for i := range s.Conditions {
			if s.Conditions[i].Type == seiv1alpha1.NodeCaughtUp {
				s.Conditions[i].Message = ""
			}
		}
	}
	return equality.Semantic.DeepEqual(a, b)
}
