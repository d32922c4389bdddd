package deployment

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/placement"
)

// Fences go one at a time, and never take what is down to a third of the voting power or more. The
// hub's view of every cluster can fail at once (its own network, a restart): before this rule every
// validator it could not see was fenced, one plan after another, and the chain halted.
func TestFencesNeverTakeAThirdOfThePowerDown(t *testing.T) {
	g := NewWithT(t)
	clusters := []string{"ap", "eu", "sa", "us", "af", "me", "oc"}
	network := func(n int) (*seiv1alpha1.SeiNodeDeployment, []seiv1alpha1.SeiNode) {
		d := dep(seiv1alpha1.RoleValidator, int32(n))
		d.Status.Genesis = &seiv1alpha1.GenesisStatus{SHA256: "ab"}
		recs := make([]seiv1alpha1.SeiNode, n)
		for i := range recs {
			recs[i] = record(d, i, clusters[i])
			ready(&recs[i])
			recs[i].Status.Height = 500
		}
		return d, genesisDone(recs)
	}
	awaiting := func(ords ...int) *evaluation {
		assign := map[int]string{}
		for i, c := range clusters {
			assign[i] = c
		}
		ev := decision(assign)
		for _, o := range ords {
			ev.decision.Blocked = append(ev.decision.Blocked, placement.Blocked{Ordinal: o, Cluster: clusters[o], Reason: seiv1alpha1.ReasonAwaitingFence})
		}
		return ev
	}
	unknown := func(r *seiv1alpha1.SeiNode) {
		meta.SetStatusCondition(&r.Status.Conditions, metav1.Condition{Type: seiv1alpha1.NodeReady, Status: metav1.ConditionUnknown, Reason: seiv1alpha1.ReasonMemberUnreachable})
	}
	fenced := func(p *seiv1alpha1.TaskPlan) int {
		if p == nil || p.Type != PlanFence {
			return -1
		}
		var f FenceTarget
		g.Expect(decodeFirst(p, &f)).To(Succeed())
		return f.Ordinal
	}

	// One validator's cluster is down and nothing else: it is fenced.
	d, recs := network(4)
	unknown(&recs[1])
	p, err := nextPlan(d, awaiting(1), recs)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fenced(p)).To(Equal(1))

	// The hub sees no cluster (its own network is down): all four await a fence, none is fenced.
	d, recs = network(4)
	for i := range recs {
		unknown(&recs[i])
	}
	p, _ = nextPlan(d, awaiting(0, 1, 2, 3), recs)
	g.Expect(fenced(p)).To(Equal(-1), "a third or more would be down")

	// One validator is being fenced already: the next waits for it.
	d, recs = network(4)
	recs[0].Annotations[seiv1alpha1.AnnotationFencing] = "ap"
	p, _ = nextPlan(d, awaiting(2), recs)
	g.Expect(fenced(p)).To(Equal(-1))

	// One came back from a fence and signs nothing until the chain reaches its floor: it is down too.
	d, recs = network(4)
	recs[3].Spec.Validator.SigningStateFloor = 1500
	p, _ = nextPlan(d, awaiting(2), recs)
	g.Expect(fenced(p)).To(Equal(-1))
	recs[3].Status.Height = 1501
	p, _ = nextPlan(d, awaiting(2), recs)
	g.Expect(fenced(p)).To(Equal(2), "past its floor it signs again")

	// Seven validators: one down and one fenced make two of seven, under a third.
	d, recs = network(7)
	unknown(&recs[0])
	p, _ = nextPlan(d, awaiting(5), recs)
	g.Expect(fenced(p)).To(Equal(5))
	recs[1].Annotations[seiv1alpha1.AnnotationFencedCluster] = "eu"
	p, _ = nextPlan(d, awaiting(5), recs)
	g.Expect(fenced(p)).To(Equal(-1), "three of seven would be down")
}
