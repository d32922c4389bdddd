package rollout_test

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sei-protocol/sei-fleet/hub/rollout"
)

// Seven validators of equal power over three domains, maxUnavailable 3: the first step takes two down,
// because a third would put 3/7 of the voting power, 1/3 or more, out at once.
func ExamplePlan() {
	domains := []string{"a", "b", "c"}
	var nodes []rollout.Node
	for i := range 7 {
		nodes = append(nodes, rollout.Node{
			Name: fmt.Sprintf("val-%d", i), Ordinal: i, Domain: domains[i%3], Power: 10,
			CurrentRevision: "v1", DesiredRevision: "v2", Ready: true,
		})
	}
	maxUnavailable := intstr.FromInt32(3)
	step, err := rollout.Plan(rollout.Input{
		Nodes: nodes, MaxUnavailable: &maxUnavailable, ByTopology: true, Validators: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("domain:", step.Domain)
	fmt.Println("update:", step.Update)
	fmt.Println("val-6:", step.Waiting["val-6"])
	fmt.Println("val-1:", step.Waiting["val-1"])
	// Output:
	// domain: a
	// update: [val-0 val-3]
	// val-6: taking it down would make 30/70 (42.8%) of voting power unavailable; it must stay below 1/3 (33.3%)
	// val-1: waiting for domain a to finish
}
