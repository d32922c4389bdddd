package tasks

import (
	"context"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// HaltTarget is the await-halt task's parameter: the halt height the plan waits for.
type HaltTarget struct {
	Height int64 `json:"height"`
}

// awaitHalt waits, through the sidecar's await-condition, until the node's RPC reports the halt height
// (seid then commits that block and stops itself). A spec whose halt height moved on since the plan
// began (the upgrade was cancelled) ends the wait at once: the plan completes without a halt, and the
// next plan acts on the new spec; the sidecar's own wait is left to finish on its own (it only reads).
var awaitHalt = planner.FuncWithParams(func(ctx context.Context, env *Env, p *seiv1alpha1.PlannedTask, target HaltTarget) (planner.Result, error) {
	if env.Node.Spec.HaltHeight != target.Height || target.Height <= 0 {
		return planner.Done()
	}
	return runSidecarTask(ctx, env, p, sidecar.TaskTypeAwaitCondition)
})
