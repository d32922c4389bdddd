package planner_test

import (
	"context"
	"fmt"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// A controller's reconcile: build a plan, persist it before anything runs, then execute it on the
// following reconciles until it finishes.
func Example() {
	type env struct{ log []string }
	step := func(name string) planner.Factory[*env] {
		return planner.Func(func(_ context.Context, e *env, _ *seiv1alpha1.PlannedTask) (planner.Result, error) {
			e.log = append(e.log, name)
			return planner.Done()
		})
	}
	registry := planner.NewRegistry[*env]().
		Register("ensure-data-pvc", step("pvc")).
		Register("apply-statefulset", step("statefulset"))
	executor := &planner.Executor[*env]{Registry: registry}

	var status seiv1alpha1.SeiNodeStatus
	plan, _ := planner.NewPlan(planner.PlanID("uid", "init", 1), "init", []planner.Step{
		{Type: "ensure-data-pvc"}, {Type: "apply-statefulset", MaxRetries: 3},
	}, "Running", "Failed")

	// Reconcile 1: the plan is installed; the controller patches status and returns.
	fmt.Println("persist first:", planner.Begin(&status.Plan, plan))

	// Reconcile 2: the tasks run.
	e := &env{}
	out, _ := executor.Execute(context.Background(), status.Plan, e)
	fmt.Println(e.log, status.Plan.Phase, out.Finished)
	// Output:
	// persist first: true
	// [pvc statefulset] Complete true
}
