package tasks

import (
	"context"
	"regexp"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// LogReader knows how to read the last lines of the previous run of a container of a pod.
type LogReader func(ctx context.Context, namespace, pod, container string, lines int64) (string, error)

// HaltTarget is the await-halt task's parameter: the halt height the plan waits for.
type HaltTarget struct {
	Height int64 `json:"height"`
}

// haltLine is what seid's baseapp logs when it stops at its halt-height, right after committing the
// block ("halting node per configuration" height=H time=0), or what seid's start script writes to
// the termination message when it finds seid stopped there (resources.ExitHalted).
var haltLine = regexp.MustCompile(`(?:halting node per configuration.*\bheight=|seid halted at height )([0-9]+)`)

// haltLogLines is how much of the halted run's log is read: the halt is among its last lines.
const haltLogLines = 200

// awaitHalt waits until the node reached its halt height. Two witnesses, either suffices:
//   - the sidecar's await-condition saw seid's RPC at the height (it polls every 100 ms, but seid stops
//     within moments of committing the block, and a slow RPC misses that window: seen on real nodes);
//   - the seid container's previous run says the node stopped at the height: the start script, run
//     again by the kubelet into the closed gate, read the block store's last height (seid tendermint
//     inspect) and exited resources.ExitHalted with "seid halted at height H" as its termination
//     message, which the pod's status keeps; or that run's log (pods/log, previous, where the kubelet
//     serves it) has seid's own "halting node per configuration" at the height. seid's graceful
//     shutdown logs too much after its halt line for the kubelet's log-tail fallback message.
//
// A spec whose halt height moved on since the plan began (the upgrade was cancelled) ends the wait at
// once: the plan completes without a halt, and the next plan acts on the new spec; the sidecar's own
// wait is left to finish on its own (it only reads).
var awaitHalt = planner.FuncWithParams(func(ctx context.Context, env *Env, p *seiv1alpha1.PlannedTask, target HaltTarget) (planner.Result, error) {
	if env.Node.Spec.HaltHeight != target.Height || target.Height <= 0 {
		return planner.Done()
	}
	res, err := runSidecarTask(ctx, env, p, sidecar.TaskTypeAwaitCondition)
	if err != nil || res.Done {
		return res, err
	}
	if h, ok := haltedRun(ctx, env); ok && h == target.Height {
		return planner.Done()
	}
	return res, nil
})

// haltedRun reads the height at which the node's previous seid run halted, if it did.
func haltedRun(ctx context.Context, env *Env) (int64, bool) {
	pod, err := nodePod(ctx, env.Reader, env)
	if err != nil || pod == nil {
		return 0, false
	}
	last := previousRun(pod)
	if last == nil {
		return 0, false
	}
	if h, ok := haltIn(last.Message); ok {
		return h, true
	}
	if env.Logs == nil {
		return 0, false
	}
	log, err := env.Logs(ctx, pod.Namespace, pod.Name, resources.ContainerSeid, haltLogLines)
	if err != nil {
		return 0, false
	}
	return haltIn(log)
}

// haltIn finds seid's last halt line in text and its height.
func haltIn(text string) (int64, bool) {
	m := haltLine.FindAllStringSubmatch(text, -1)
	if len(m) == 0 {
		return 0, false
	}
	h, err := strconv.ParseInt(m[len(m)-1][1], 10, 64)
	return h, err == nil
}

// previousRun is how the pod's seid container last ended, or nil when it has not ended yet.
func previousRun(pod *corev1.Pod) *corev1.ContainerStateTerminated {
	for _, s := range pod.Status.ContainerStatuses {
		if s.Name == resources.ContainerSeid && s.RestartCount > 0 {
			return s.LastTerminationState.Terminated
		}
	}
	return nil
}
