package agentsim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/sei-protocol/sei-fleet/agent/heartbeat"
	"github.com/sei-protocol/sei-fleet/agent/node"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/kube"
)

// Options shape one simulated agent.
type Options struct {
	// ClusterName is the member cluster's name: the heartbeat's holder, and nodes placed elsewhere
	// are left alone.
	ClusterName string
	// Namespace of the heartbeat Lease (default sei-fleet-system).
	Namespace string
	// HeartbeatInterval between Lease renewals (default 10s, as the agent's).
	HeartbeatInterval time.Duration
	// P2PHost is the host of every node's P2P address (default 127.0.0.1: the load-balancer IP the
	// test Simulator gives the real agent's P2P Service).
	P2PHost string
	// Height, when set, is a running node's block height, written every HeightInterval as the agent's
	// height reader does (0 or unset: no heights, as an agent whose nodes' RPC does not answer).
	Height         func(*seiv1alpha1.SeiNode) int64
	HeightInterval time.Duration
	// Workers is the number of concurrent reconciles (default 4).
	Workers int
	// Logger for the controller (default: discard).
	Logger *logr.Logger
	// NewClient, when set, builds the manager's client (to count its writes in tests).
	NewClient client.NewClientFunc
}

// Agent is one running simulated agent.
type Agent struct {
	cancel, stopHeartbeat context.CancelFunc
	done, heartbeatDone   chan struct{}
	err                   error
}

// Start runs a simulated agent against the member cluster cfg reaches until ctx ends or Stop.
func Start(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, opts Options) (*Agent, error) {
	if opts.ClusterName == "" {
		return nil, errors.New("agentsim: ClusterName is required")
	}
	if opts.Namespace == "" {
		opts.Namespace = seiv1alpha1.DefaultSystemNamespace
	}
	if opts.P2PHost == "" {
		opts.P2PHost = "127.0.0.1"
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	log := logr.Discard()
	if opts.Logger != nil {
		log = *opts.Logger
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Timeout = 0 // a client timeout would also cut every watch short
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme, Logger: log,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
		NewClient:              opts.NewClient,
	})
	if err != nil {
		return nil, fmt.Errorf("agentsim %s: manager: %w", opts.ClusterName, err)
	}
	r := &reconciler{client: mgr.GetClient(), opts: opts}
	err = ctrl.NewControllerManagedBy(mgr).Named("seinode-sim").
		WithOptions(controllerOptions(opts.Workers)).
		// The agent reacts to spec, metadata and deletion changes; status writes are its own.
		For(&seiv1alpha1.SeiNode{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{},
			predicate.AnnotationChangedPredicate{}, node.DeletionStarted))).
		Complete(r)
	if err != nil {
		return nil, fmt.Errorf("agentsim %s: controller: %w", opts.ClusterName, err)
	}
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("agentsim %s: client: %w", opts.ClusterName, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	a := &Agent{cancel: cancel, done: make(chan struct{}), heartbeatDone: make(chan struct{})}
	// The real agent's heartbeat, renewed outside the manager so that StopHeartbeat can end it alone.
	hbCtx, stopHeartbeat := context.WithCancel(ctx)
	a.stopHeartbeat = stopHeartbeat
	hb := &heartbeat.Heartbeat{Client: direct, Namespace: opts.Namespace, ClusterName: opts.ClusterName, Interval: opts.HeartbeatInterval}
	go func() {
		defer close(a.heartbeatDone)
		_ = hb.Start(ctrl.LoggerInto(hbCtx, log))
	}()
	go func() {
		defer close(a.done)
		a.err = mgr.Start(ctx)
	}()
	return a, nil
}

// StopHeartbeat stops renewing the heartbeat Lease (the agent died, or its cluster went away).
func (a *Agent) StopHeartbeat() {
	a.stopHeartbeat()
	<-a.heartbeatDone
}

// Stop stops the agent and returns the manager's error.
func (a *Agent) Stop() error {
	a.cancel()
	<-a.heartbeatDone
	<-a.done
	return a.err
}

// reconciler moves a full node through the states the real agent writes, without running anything.
type reconciler struct {
	client client.Client
	opts   Options
}

func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	n := &seiv1alpha1.SeiNode{}
	if err := r.client.Get(ctx, req.NamespacedName, n); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if n.Spec.ClusterName != "" && n.Spec.ClusterName != r.opts.ClusterName {
		return ctrl.Result{}, nil
	}
	if !n.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.release(ctx, n)
	}
	if !controllerutil.ContainsFinalizer(n, node.FinalizerAgent) {
		if err := kube.SetFinalizer(ctx, r.client, n, node.FinalizerAgent, true); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: time.Millisecond}, nil
	}
	before := n.DeepCopy()
	now := time.Now()
	n.Status.Mode = n.Spec.Mode()
	var result ctrl.Result
	switch {
	case n.Status.Phase == "":
		node.SetPhase(n, seiv1alpha1.NodePending, now)
		result.RequeueAfter = time.Millisecond
	case n.Status.Phase == seiv1alpha1.NodePending:
		// The real agent's init plan, persisted before any task runs.
		plan, err := node.InitPlan(n)
		if err != nil {
			return ctrl.Result{}, err
		}
		n.Status.Plan = plan
		node.SetPhase(n, seiv1alpha1.NodeInitializing, now)
		result.RequeueAfter = time.Millisecond
	case n.Status.Phase == seiv1alpha1.NodeInitializing && advance(n.Status.Plan, now):
		// Task progress, written in as many steps as the real agent's executor writes it.
		result.RequeueAfter = time.Millisecond
	case n.Status.Phase == seiv1alpha1.NodeInitializing || n.Generation != n.Status.ObservedGeneration:
		if err := r.finishInit(n, now); err != nil {
			return ctrl.Result{}, err
		}
		result.RequeueAfter = time.Millisecond
	default:
		result = r.observeHeight(n)
	}
	node.UpdateHealthyConditions(n, r.opts.Height != nil && r.opts.HeightInterval > 0)
	if _, err := kube.PatchStatus(ctx, r.client, before, n, func(o client.Object) any { return o.(*seiv1alpha1.SeiNode).Status }); err != nil {
		return ctrl.Result{}, err
	}
	return result, nil
}

// finishInit writes what the init plan leaves: the node's identity, address and image, then the
// plan's outcome as the agent applies it.
func (r *reconciler) finishInit(n *seiv1alpha1.SeiNode, now time.Time) error {
	n.Status.NodeID = nodeID(n)
	if n.Spec.ExternalAddress != "" {
		n.Status.P2PAddress = n.Spec.ExternalAddress
	} else {
		n.Status.P2PAddress = net.JoinHostPort(r.opts.P2PHost, strconv.Itoa(resources.PortP2P))
	}
	if g := n.Spec.Genesis; g != nil {
		n.Status.GenesisSHA256 = g.SHA256
	}
	n.Status.CurrentImage = n.Spec.Image
	if n.Status.Plan == nil || n.Status.Plan.Generation != n.Generation {
		// A spec changed while running: the agent would run another plan to the same end.
		plan, err := node.InitPlan(n)
		if err != nil {
			return err
		}
		n.Status.Plan = plan
	}
	n.Status.Plan.Phase = seiv1alpha1.PlanComplete
	node.FinishPlan(n, now)
	return nil
}

func (r *reconciler) observeHeight(n *seiv1alpha1.SeiNode) ctrl.Result {
	if r.opts.Height == nil || r.opts.HeightInterval <= 0 || n.Spec.Paused {
		return ctrl.Result{}
	}
	if h := r.opts.Height(n); h > 0 {
		n.Status.Height = h
	}
	return ctrl.Result{RequeueAfter: r.opts.HeightInterval}
}

// release is the agent's fence with nothing to stop: Terminating, then the finalizer goes.
func (r *reconciler) release(ctx context.Context, n *seiv1alpha1.SeiNode) error {
	if !controllerutil.ContainsFinalizer(n, node.FinalizerAgent) {
		return nil
	}
	if n.Status.Phase != seiv1alpha1.NodeTerminating {
		before := n.DeepCopy()
		node.SetPhase(n, seiv1alpha1.NodeTerminating, time.Now())
		kube.SetCondition(&n.Status.Conditions, n.Generation, seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonNotRunning, "the node is being deleted")
		if _, err := kube.PatchStatus(ctx, r.client, before, n, func(o client.Object) any { return o.(*seiv1alpha1.SeiNode).Status }); err != nil {
			return client.IgnoreNotFound(err)
		}
	}
	return client.IgnoreNotFound(kube.SetFinalizer(ctx, r.client, n, node.FinalizerAgent, false))
}

// progressSteps is how many task-progress status writes the real agent's executor made between the
// plan's start and its end for a full node in the faithfulness test (each runs tasks until one waits).
const progressSteps = 2

// advance completes the next share of plan's tasks, leaving the one after them running, and reports
// whether it did: after progressSteps writes, or with no plan, the plan is done.
func advance(plan *seiv1alpha1.TaskPlan, now time.Time) bool {
	if plan == nil {
		return false
	}
	done := 0
	for done < len(plan.Tasks) && plan.Tasks[done].Status == seiv1alpha1.TaskComplete {
		done++
	}
	step := len(plan.Tasks) / (progressSteps + 1)
	if step == 0 || done >= progressSteps*step {
		return false
	}
	started := metav1.NewTime(now)
	for i := done; i < done+step; i++ {
		plan.Tasks[i].Status = seiv1alpha1.TaskComplete
		plan.Tasks[i].StartedAt = &started
	}
	plan.Tasks[done+step].Status = seiv1alpha1.TaskRunning
	plan.Tasks[done+step].StartedAt = &started
	return true
}

// nodeID is a stable stand-in for the ID of a minted node key (40 hex digits, as Tendermint's).
func nodeID(n *seiv1alpha1.SeiNode) string {
	sum := sha256.Sum256([]byte(n.UID))
	return hex.EncodeToString(sum[:20])
}
