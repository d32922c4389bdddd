package deployment

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/rollout"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Members gives access to engaged member clusters.
type Members interface {
	GetCluster(ctx context.Context, name multicluster.ClusterName) (cluster.Cluster, error)
	// VerifyIdentity knows how to confirm, with fresh reads, that name still reaches the cluster pinned
	// for it (hub/clusters): the fence deletes and trusts "not found" only on a verified cluster.
	VerifyIdentity(ctx context.Context, name string) error
}

// Env is what the deployment's tasks work with.
type Env struct {
	Deployment *seiv1alpha1.SeiNodeDeployment
	// Records are the deployment's hub SeiNode records as read at the start of the reconcile.
	Records []seiv1alpha1.SeiNode
	Hub     client.Client
	// HubReader reads uncached.
	HubReader client.Reader
	Scheme    *runtime.Scheme
	Members   Members
	// Domains maps cluster name to topology domain under the deployment's policy.
	Domains map[string]string
	// Policy is the placement policy's name (written on records).
	Policy string
	// PowerCap is the voting-power fraction a rollout keeps down below (rollout.DefaultPowerCap, 1/3).
	PowerCap rollout.Fraction
	Now      func() time.Time
}

// Task types. Persisted in status: never rename one.
const (
	TaskWriteRecords      = "write-records"
	TaskFence             = "fence-node"
	TaskAwaitGentxs       = "await-gentxs"
	TaskAssembleGenesis   = "assemble-genesis"
	TaskDistributeGenesis = "distribute-genesis"
	TaskRoll              = "roll"
	TaskSetPaused         = "set-paused"
	TaskClearFence        = "clear-fence"
	TaskSwitchImage       = "switch-image"
)

// Registry returns every task the deployment controller runs.
func Registry() *planner.Registry[*Env] {
	r := planner.NewRegistry[*Env]()
	r.Register(TaskWriteRecords, planner.FuncWithParams(writeRecords))
	r.Register(TaskFence, planner.FuncWithParams(fenceNode))
	r.Register(TaskAwaitGentxs, planner.Func(awaitGentxs))
	r.Register(TaskAssembleGenesis, planner.Func(assembleGenesis))
	r.Register(TaskDistributeGenesis, planner.Func(distributeGenesis))
	r.Register(TaskRoll, planner.Func(roll))
	r.Register(TaskSetPaused, planner.Func(setPaused))
	r.Register(TaskClearFence, planner.FuncWithParams(clearFence))
	r.Register(TaskSwitchImage, planner.Func(switchImage))
	return r
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// fresh reads the deployment's record for ordinal from the apiserver, uncached; nil when there is none.
func (e *Env) fresh(ctx context.Context, ordinal int) (*seiv1alpha1.SeiNode, error) {
	rec := &seiv1alpha1.SeiNode{}
	key := client.ObjectKey{Namespace: e.Deployment.Namespace, Name: RecordName(e.Deployment, ordinal)}
	if err := e.HubReader.Get(ctx, key, rec); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read SeiNode %s: %w", key, err)
	}
	return rec, nil
}

// record returns the deployment's record for ordinal, or nil.
func (e *Env) record(ordinal int) *seiv1alpha1.SeiNode {
	for i := range e.Records {
		if ordinalOf(&e.Records[i]) == ordinal {
			return &e.Records[i]
		}
	}
	return nil
}
