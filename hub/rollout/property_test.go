package rollout

import (
	"fmt"
	"math/rand/v2"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func randomRollout(r *rand.Rand) Input {
	in := Input{ByTopology: r.IntN(2) == 0, Validators: r.IntN(2) == 0}
	domains := []string{"a", "b", "c", "d"}[:1+r.IntN(4)]
	for i := range r.IntN(12) {
		n := Node{
			Name: fmt.Sprintf("n-%d", i), Ordinal: i, Domain: domains[r.IntN(len(domains))], Power: 1 + r.Int64N(4),
			CurrentRevision: "old", DesiredRevision: "new", Ready: r.IntN(6) != 0, Updating: r.IntN(8) == 0,
		}
		if r.IntN(3) == 0 {
			n.CurrentRevision = "new"
		}
		in.Nodes = append(in.Nodes, n)
	}
	if in.Validators {
		in.ExternalPower = r.Int64N(20)
	}
	switch r.IntN(3) {
	case 1:
		in.MaxUnavailable = ptr.To(intstr.FromInt32(1 + r.Int32N(4)))
	case 2:
		in.MaxUnavailable = ptr.To(intstr.FromString(fmt.Sprintf("%d%%", 1+r.IntN(100))))
	}
	return in
}

// checkStep asserts the safety rules on one step.
func checkStep(g Gomega, in Input, step Step) {
	byName := map[string]Node{}
	downBefore, powerBefore, total := 0, int64(0), in.ExternalPower
	for _, n := range in.Nodes {
		byName[n.Name] = n
		total += n.Power
		if n.unavailable() {
			downBefore++
			powerBefore += n.Power
		}
	}
	downAfter, powerAfter := downBefore, powerBefore
	domains := map[string]bool{}
	for _, name := range step.Update {
		n := byName[name]
		g.Expect(n.startable()).To(BeTrue(), "%s is not startable", name)
		if n.Ready {
			downAfter++
			powerAfter += n.Power
			domains[n.Domain] = true
		}
	}
	g.Expect(step.Unavailable).To(Equal(downAfter))
	if downAfter > downBefore {
		g.Expect(downAfter).To(BeNumerically("<=", step.MaxUnavailable), "maxUnavailable exceeded")
		if in.Validators {
			g.Expect(powerAfter*3).To(BeNumerically("<", total), "1/3 of power down")
		}
	}
	if in.ByTopology {
		g.Expect(len(domains)).To(BeNumerically("<=", 1), "more than one domain started")
		for d := range domains {
			g.Expect(d).To(Equal(step.Domain))
		}
	}
	if !step.Complete && len(step.Update) == 0 {
		g.Expect(downBefore > 0 || step.Stalled != "").To(BeTrue(), "no progress, nothing to wait for and not stalled")
	}
}

// TestPlanProperties replays random rollouts to the end: every step keeps the rules, and a rollout without
// failures finishes or says it is stalled within one step per node.
func TestPlanProperties(t *testing.T) {
	for seed := range uint64(3000) {
		in := randomRollout(rand.New(rand.NewPCG(seed, 5)))
		for stepNo := 0; ; stepNo++ {
			step, err := Plan(in)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			var failures []string
			checkStep(NewGomega(func(msg string, _ ...int) { failures = append(failures, msg) }), in, step)
			if len(failures) > 0 {
				t.Fatalf("seed %d step %d: %v\ninput: %+v\nstep: %+v", seed, stepNo, failures, in, step)
			}
			if step.Complete || step.Stalled != "" {
				break
			}
			if stepNo > len(in.Nodes)+1 {
				t.Fatalf("seed %d: no end after %d steps\ninput: %+v\nstep: %+v", seed, stepNo, in, step)
			}
			in.Nodes = advance(in.Nodes, step, nil)
			for i := range in.Nodes {
				in.Nodes[i].Ready = true // nodes that were down for other reasons recover too
			}
		}
	}
}
