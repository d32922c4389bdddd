package tasks

import (
	"context"
	"io"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Sidecar knows how to talk to one node's seictl sidecar.
type Sidecar interface {
	sidecar.TaskClient
	Healthz(ctx context.Context) (bool, error)
}

// Env is what the agent hands its tasks on each reconcile.
type Env struct {
	// Node is the live SeiNode; tasks record observations in its status.
	Node *seiv1alpha1.SeiNode
	// Client reads (from cache) and writes the node's own objects.
	Client client.Client
	// Reader reads uncached: Secrets and ConfigMaps the agent does not watch, and fresh views.
	Reader client.Reader
	Scheme *runtime.Scheme
	Config *config.Config
	// Sidecar talks to this node's sidecar.
	Sidecar Sidecar
	// ClusterName is the member cluster the agent runs in.
	ClusterName string
	// Rand is the entropy for key minting (crypto/rand in production).
	Rand io.Reader
	// Now is the clock.
	Now func() time.Time
	// Logs reads the tail of a container's previous run's log (nil: not available).
	Logs LogReader
}

// Task types. The strings are persisted in status: never rename one.
const (
	TypeEnsureIdentity     = "ensure-identity"
	TypeEnsureDataPVC      = "ensure-data-pvc"
	TypeApplyServices      = "apply-services"
	TypeApplyNetworkPolicy = "apply-network-policy"
	TypeResolveP2PAddress  = "resolve-p2p-address"
	TypePublishGentx       = "publish-gentx"
	TypeVerifyGenesis      = "verify-genesis"
	TypeApplyStatefulSet   = "apply-statefulset"
	TypeAwaitSidecar       = "await-sidecar"
	TypeReplacePod         = "replace-pod"
	TypeAwaitRollout       = "await-rollout"
	TypeSidecarConfigure   = "sidecar-configure-genesis"
	TypeSidecarConfigApply = "sidecar-config-apply"
	TypeSidecarConfigPatch = "sidecar-config-patch"
	TypeSidecarConfigCheck = "sidecar-config-validate"
	TypeSidecarRestartSeid = "sidecar-restart-seid"
	TypeSidecarMarkReady   = "sidecar-mark-ready"
	// Bootstrap of an empty full node: restore a snapshot archive, configure state sync.
	TypeSidecarSnapshotRestore = "sidecar-snapshot-restore"
	TypeSidecarStateSync       = "sidecar-configure-state-sync"
	// TypeSidecarHold closes seid's start gate (mark-not-ready) on a node with spec.haltHeight, so
	// that seid, once it halts there, stays down instead of starting again on the same image.
	TypeSidecarHold = "sidecar-hold"
	// TypeAwaitHalt waits (sidecar await-condition) until the node reached spec.haltHeight.
	TypeAwaitHalt = "await-halt"
)

// Registry returns every task the agent runs.
func Registry() *planner.Registry[*Env] {
	r := planner.NewRegistry[*Env]()
	r.Register(TypeEnsureIdentity, task(ensureIdentity))
	r.Register(TypeEnsureDataPVC, task(ensureDataPVC))
	r.Register(TypeApplyServices, task(applyServices))
	r.Register(TypeApplyNetworkPolicy, task(applyNetworkPolicy))
	r.Register(TypeResolveP2PAddress, task(resolveP2PAddress))
	r.Register(TypePublishGentx, task(publishGentx))
	r.Register(TypeVerifyGenesis, task(verifyGenesis))
	r.Register(TypeApplyStatefulSet, task(applyStatefulSet))
	r.Register(TypeAwaitSidecar, planner.Func(awaitSidecar))
	r.Register(TypeReplacePod, task(replacePod))
	r.Register(TypeAwaitRollout, planner.Func(awaitRollout))
	r.Register(TypeAwaitHalt, awaitHalt)
	for typ, wire := range sidecarTaskTypes {
		r.Register(typ, sidecarTask(wire))
	}
	return r
}

// sidecarTaskTypes maps the agent's task types to the sidecar's wire task types.
var sidecarTaskTypes = map[string]string{
	TypeSidecarConfigure:   sidecar.TaskTypeConfigureGenesis,
	TypeSidecarConfigApply: sidecar.TaskTypeConfigApply,
	TypeSidecarConfigPatch: sidecar.TaskTypeConfigPatch,
	TypeSidecarConfigCheck: sidecar.TaskTypeConfigValidate,
	TypeSidecarRestartSeid: sidecar.TaskTypeRestartSeid,
	TypeSidecarMarkReady:   sidecar.TaskTypeMarkReady,

	TypeSidecarSnapshotRestore: sidecar.TaskTypeSnapshotRestore,
	TypeSidecarStateSync:       sidecar.TaskTypeConfigureStateSync,
	TypeSidecarHold:            sidecar.TaskTypeMarkNotReady,
}

// task adapts a function of the environment alone to a planner factory.
func task(run func(ctx context.Context, env *Env) (planner.Result, error)) planner.Factory[*Env] {
	return planner.Func(func(ctx context.Context, env *Env, _ *seiv1alpha1.PlannedTask) (planner.Result, error) {
		return run(ctx, env)
	})
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}
