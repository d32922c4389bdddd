package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/nodeconfig"
	"github.com/sei-protocol/sei-fleet/planner"
)

// sidecarPatience is how long a task keeps waiting for an unreachable sidecar (a pod being scheduled,
// an image being pulled) before that counts as a failed attempt.
const sidecarPatience = 15 * time.Minute

// awaitSidecar waits until the node's sidecar answers at all (ready or not): sidecar tasks after it
// would otherwise spend their retry budget on a pod that is still starting.
func awaitSidecar(ctx context.Context, env *Env, p *seiv1alpha1.PlannedTask) (planner.Result, error) {
	// The sidecar that answers must be the new pod's: right after replace-pod the old pod is still
	// terminating and its sidecar still answers at its address, and configuring and releasing that
	// one left the new pod's seid waiting for ever (seen on real nodes).
	current, err := currentPod(ctx, env)
	if err != nil {
		return planner.Result{}, err
	}
	if !current {
		return waitOrFail(env, p, planner.WaitWatch, errors.New("the node's pod at the StatefulSet's current revision is not there yet"))
	}
	if _, err := env.Sidecar.Healthz(ctx); err != nil {
		return waitOrFail(env, p, planner.WaitPoll, fmt.Errorf("sidecar unreachable: %w", err))
	}
	return planner.Done()
}

// sidecarTask runs one task on the node's sidecar under the planned task's ID: submitted once, then
// polled. A failed attempt is resubmitted under the same ID on retry, which makes the sidecar run it
// again; a crash between resubmitting and persisting status does not spend a second attempt.
// Parameters are computed from the live node, so a retry carries the current spec.
func sidecarTask(wire string) planner.Factory[*Env] {
	return planner.Func(func(ctx context.Context, env *Env, p *seiv1alpha1.PlannedTask) (planner.Result, error) {
		return runSidecarTask(ctx, env, p, wire)
	})
}

// runSidecarTask is one step of sidecarTask(wire).
func runSidecarTask(ctx context.Context, env *Env, p *seiv1alpha1.PlannedTask, wire string) (planner.Result, error) {
	// The node's client refuses these too (sidecar.ForValidator); checking here as well keeps the
	// rule whatever client a test or a future caller hands the task.
	if err := sidecar.CheckTask(wire, env.Node.Spec.Validator != nil); err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	params, err := sidecarParams(env, wire)
	if err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	t := sidecar.Task{ID: p.ID, Type: wire, Params: params}
	if p.Status == seiv1alpha1.TaskPending && p.RetryCount > 0 {
		if _, err := sidecar.Retry(ctx, env.Sidecar, t, int(p.RetryCount)); err != nil {
			return sidecarError(env, p, err)
		}
	}
	done, err := sidecar.Run(ctx, env.Sidecar, t)
	if err != nil {
		return sidecarError(env, p, err)
	}
	if !done {
		return planner.Polling() // a sidecar task's progress is reported to nobody
	}
	return planner.Done()
}

// sidecarError sorts a sidecar error: the task failing on the node counts as a failed attempt; a
// request the sidecar rejects is terminal; a sidecar that cannot be reached is waited for.
func sidecarError(env *Env, p *seiv1alpha1.PlannedTask, err error) (planner.Result, error) {
	var failed *sidecar.TaskFailedError
	switch {
	case errors.As(err, &failed):
		return planner.Result{}, fmt.Errorf("sidecar task %s failed: %s", failed.Type, failed.Message)
	case errors.Is(err, sidecar.ErrInvalidTask), sidecar.IsPermanent(err):
		return planner.Result{}, planner.Terminal(err)
	default:
		return waitOrFail(env, p, planner.WaitPoll, err)
	}
}

// waitOrFail waits (for what wait says) until the task has been running for sidecarPatience, then
// counts err as a failed attempt.
func waitOrFail(env *Env, p *seiv1alpha1.PlannedTask, wait planner.Wait, err error) (planner.Result, error) {
	if p.StartedAt == nil || env.now().Sub(p.StartedAt.Time) < sidecarPatience {
		return planner.Result{Wait: wait}, nil
	}
	return planner.Result{}, fmt.Errorf("gave up after %s: %w", sidecarPatience, err)
}

// sidecarParams builds a sidecar task's parameters from the live node.
func sidecarParams(env *Env, wire string) (json.RawMessage, error) {
	node := env.Node
	var params any
	switch wire {
	case sidecar.TaskTypeConfigureGenesis:
		p := sidecar.ConfigureGenesisParams{}
		if node.Spec.Genesis != nil {
			p.ExpectedGenesisHash = node.Spec.Genesis.SHA256
		}
		params = p
	case sidecar.TaskTypeConfigApply:
		// The agent plans nothing for a node with bad overrides, but the spec may have changed since
		// this plan began: the sidecar gets no overrides it would refuse, nor any it would take in a
		// way the user did not mean (sei-config reads "0x10" as 0).
		if err := nodeconfig.ValidateOverrides(string(node.Spec.Mode()), node.Spec.Overrides); err != nil {
			return nil, errors.New(nodeconfig.Summary("spec.overrides", err))
		}
		params = sidecar.ConfigIntent{Mode: string(node.Spec.Mode()), Overrides: withHaltHeight(node, configOverrides(node))}
	case sidecar.TaskTypeConfigPatch:
		// seid init binds a validator's and a seed's P2P and RPC listeners to localhost; peers in other
		// clusters (through the P2P Service) and the readiness probe need them on the pod's address.
		p2p := map[string]any{
			"laddr":            fmt.Sprintf("tcp://0.0.0.0:%d", resources.PortP2P),
			"persistent-peers": strings.Join(node.Spec.Peers, ","),
		}
		if node.Status.P2PAddress != "" {
			p2p["external-address"] = node.Status.P2PAddress
		}
		rpc := map[string]any{"laddr": fmt.Sprintf("tcp://0.0.0.0:%d", resources.PortRPC)}
		params = sidecar.ConfigPatchParams{Files: map[string]map[string]any{"config.toml": {"p2p": p2p, "rpc": rpc}}}
	case sidecar.TaskTypeConfigureStateSync:
		b := bootstrapOf(node)
		if b == nil {
			return nil, errors.New("the node has no fullNode.bootstrap")
		}
		params = stateSyncParams(b)
	case sidecar.TaskTypeSnapshotRestore:
		b := bootstrapOf(node)
		if b == nil || b.Snapshot == nil {
			return nil, errors.New("the node has no fullNode.bootstrap.snapshot")
		}
		params = sidecar.SnapshotRestoreParams{TargetHeight: b.Snapshot.TargetHeight}
	case sidecar.TaskTypeAwaitCondition:
		if node.Spec.HaltHeight <= 0 {
			return nil, errors.New("await-halt needs spec.haltHeight")
		}
		params = sidecar.AwaitConditionParams{Condition: sidecar.ConditionHeight, TargetHeight: node.Spec.HaltHeight}
	default:
		params = struct{}{}
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("encode %s params: %w", wire, err)
	}
	return raw, nil
}

// haltHeightKey is sei-config's key for app.toml's halt-height. Users cannot set it (nodeconfig
// refuses it): the fleet writes it from spec.haltHeight.
const haltHeightKey = "chain.halt_height"

// withHaltHeight returns the node's overrides plus its halt height, if it has one. A full
// config-apply writes app.toml from the mode's defaults, so without it the halt height is 0 again.
func withHaltHeight(node *seiv1alpha1.SeiNode, overrides map[string]string) map[string]string {
	if node.Spec.HaltHeight <= 0 {
		return overrides
	}
	out := make(map[string]string, len(overrides)+1)
	for k, v := range overrides {
		out[k] = v
	}
	out[haltHeightKey] = strconv.FormatInt(node.Spec.HaltHeight, 10)
	return out
}
