package deployment

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// fenceAllowed says whether the hub may start fencing validator ordinal now, and if not, why. A fence
// deletes a validator that may be signing well: its cluster only looks unhealthy from the hub, and the
// hub's own view can fail for every cluster at once (its network, a restart). So fences go one at a
// time, and a fence starts while other validators are down only if what is down stays under a third
// of the voting power, the chain's liveness bound. Down, for the others, is what the hub took down or
// cannot vouch for: a fence mark, Ready not True (False, or Unknown: the hub cannot see it), no live
// record, or a signing-state floor the chain has not reached yet (it signs nothing until then).
func fenceAllowed(dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode, ordinal int) (bool, string) {
	if dep.Status.Genesis == nil {
		return true, "" // no chain yet: nothing signs, nothing can halt
	}
	live, _ := liveRecords(records)
	highest := highestHeight(dep, records)
	var down []string
	for ord := range int(dep.Spec.Replicas) {
		if ord == ordinal {
			continue
		}
		rec := live[ord]
		if why := validatorDown(rec, highest); why != "" {
			down = append(down, fmt.Sprintf("%s (%s)", RecordName(dep, ord), why))
		}
	}
	if len(down) == 0 {
		return true, ""
	}
	power, total := nodePower(dep), int64(dep.Spec.Replicas)*nodePower(dep)+externalPower(dep)
	if 3*int64(len(down)+1)*power < total {
		return true, ""
	}
	return false, fmt.Sprintf("fencing %s would leave a third of the voting power or more down: already down %s",
		RecordName(dep, ordinal), strings.Join(down, ", "))
}

// validatorDown says why a validator cannot be counted on to sign ("" when it can).
func validatorDown(rec *seiv1alpha1.SeiNode, highest int64) string {
	if rec == nil {
		return "no record"
	}
	c := rec.Spec.ClusterName
	if rec.Annotations[seiv1alpha1.AnnotationFencing] == c || rec.Annotations[seiv1alpha1.AnnotationFencedCluster] == c {
		return "fenced on " + c
	}
	if ready := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeReady); ready == nil || ready.Status != metav1.ConditionTrue {
		return "not ready"
	}
	if v := rec.Spec.Validator; v != nil && v.SigningStateFloor > highest {
		return fmt.Sprintf("signs nothing below its floor %d", v.SigningStateFloor)
	}
	return ""
}
