package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
	"github.com/sei-protocol/sei-fleet/internal/kube"
	"github.com/sei-protocol/sei-fleet/planner"
)

// FinalizerAgent holds a member SeiNode until the agent confirmed its pod is gone: that confirmation
// is the positive fence the hub waits for before a validator may run anywhere else.
const FinalizerAgent = "sei.io/agent"

// +kubebuilder:rbac:groups=sei.io,resources=seinodes,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=sei.io,resources=seinodes/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=sei.io,resources=seinodes/finalizers,verbs=update
// +kubebuilder:rbac:groups=apps,resources=statefulsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups="",resources=persistentvolumeclaims,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups="",resources=pods/log,verbs=get
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;create
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconciler runs the SeiNodes of the agent's cluster.
type Reconciler struct {
	Client    client.Client
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	Config    *config.Config
	// ClusterName is this member cluster's name: nodes placed elsewhere are refused.
	ClusterName string
	// Sidecar returns the client for a node's sidecar; default: its headless-Service address.
	Sidecar func(node *seiv1alpha1.SeiNode) tasks.Sidecar
	// Executor runs plans; default: the agent's task registry with default timings.
	Executor *planner.Executor[*tasks.Env]
	// Rand is key-minting entropy; default crypto/rand.
	Rand io.Reader
	// Now is the clock; default time.Now.
	Now func() time.Time
	// HeightInterval is how often a running node's block height is read into status (0: never).
	HeightInterval time.Duration
	// Height reads a node's block height and catching_up; default: seid's RPC through the headless
	// Service.
	Height HeightReader
	// Clientset reads pod logs (the controller-runtime client cannot); nil leaves Logs unset.
	Clientset kubernetes.Interface
	// Logs reads a container's previous log (await-halt's second witness); default: through Clientset.
	Logs tasks.LogReader
	// StallAfter is how long a running node's height may stand still before CaughtUp (and so Ready)
	// turns False; default DefaultStallAfter.
	StallAfter time.Duration
	// Workers is how many nodes are reconciled at once (default 1); one node is never reconciled by
	// two workers at a time.
	Workers int

	// progress is what the agent has seen of each running node's chain.
	progress progressBook
	// resumes is when each node's last resume plan started.
	resumes resumeBook
}

// SetupWithManager registers the controller. It refuses missing dependencies.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.APIReader == nil || r.Scheme == nil || r.Config == nil || r.Recorder == nil {
		return errors.New("node reconciler needs Client, APIReader, Scheme, Config and Recorder")
	}
	if r.ClusterName == "" {
		return errors.New("node reconciler needs its ClusterName")
	}
	if r.Sidecar == nil {
		r.Sidecar = func(node *seiv1alpha1.SeiNode) tasks.Sidecar {
			return sidecar.New(resources.SidecarURLAt(r.podHost(node), node, r.Config), sidecar.ForValidator(node.Spec.Validator != nil))
		}
	}
	if r.Executor == nil {
		r.Executor = &planner.Executor[*tasks.Env]{Registry: tasks.Registry(), Now: r.Now}
	}
	if r.Rand == nil {
		r.Rand = rand.Reader
	}
	// Workers share it: a reader handed in by a test need not be safe for concurrent reads.
	r.Rand = &lockedReader{r: r.Rand}
	if r.Logs == nil && r.Clientset != nil {
		r.Logs = PreviousLogs(r.Clientset)
	}
	if r.Height == nil {
		r.Height = RPCHeight(func(n *seiv1alpha1.SeiNode) string { return resources.RPCURLAt(r.podHost(n)) })
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("seinode").
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.Workers, 1)}).
		// Status writes are ours: react to spec, metadata and deletion changes only.
		For(&seiv1alpha1.SeiNode{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{},
			predicate.AnnotationChangedPredicate{}, deletionStarted))).
		Owns(&appsv1.StatefulSet{}).
		Owns(&corev1.Service{}).
		Owns(&networkingv1.NetworkPolicy{}).
		// A pod's containers failing changes nothing the StatefulSet reports at once; status must say so.
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(labelledToNode)).
		// A validator's data claim has no owner (it outlives its node): it names its node by label.
		// ensure-data-pvc waits for a deleted claim to go.
		Watches(&corev1.PersistentVolumeClaim{}, handler.EnqueueRequestsFromMapFunc(labelledToNode)).
		// verify-genesis waits for the genesis ConfigMap the hub distributes.
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.genesisToNodes)).
		Complete(r)
}

// Reconcile moves one SeiNode towards its spec.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	node := &seiv1alpha1.SeiNode{}
	if err := r.Client.Get(ctx, req.NamespacedName, node); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	log := ctrl.LoggerFrom(ctx).WithValues("SeiNode", klog.KObj(node), "cluster", r.ClusterName)
	ctx = ctrl.LoggerInto(ctx, log)
	// A step that wrote the node and has more to do goes on with the object its write returned, not
	// with the cache, which lags behind the write: a stale read would only end in a conflict and a
	// retry with backoff, or a second write of the same change.
	for range maxSteps {
		result, err := r.step(ctx, node)
		if err != nil || result.RequeueAfter != again {
			return result, err
		}
	}
	return ctrl.Result{RequeueAfter: again}, nil
}

// again is the requeue of a step that wrote the node and has more to do at once.
const again = time.Millisecond

// maxSteps bounds the steps of one reconcile (finalizer, Pending, plan, its tasks, the next plan).
const maxSteps = 8

// step moves node one step on and writes what changed; node then holds what the apiserver returned.
func (r *Reconciler) step(ctx context.Context, node *seiv1alpha1.SeiNode) (ctrl.Result, error) {
	if node.Spec.ClusterName != "" && node.Spec.ClusterName != r.ClusterName {
		return r.refuseForeign(ctx, node)
	}
	if !node.DeletionTimestamp.IsZero() {
		return r.fence(ctx, node)
	}
	if !controllerutil.ContainsFinalizer(node, FinalizerAgent) {
		if err := kube.SetFinalizer(ctx, r.Client, node, FinalizerAgent, true); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: again}, nil
	}

	before := node.DeepCopy()
	keys, err := r.checkKeys(ctx, node)
	if err != nil {
		return ctrl.Result{}, err
	}
	result, err := r.reconcile(ctx, node, keys)
	obs := r.observePod(ctx, node)
	obs.keys = keys
	obs.chainWatched = r.HeightInterval > 0
	updateConditions(node, obs)
	r.announceKeyRefusal(ctx, before, node, keys)
	r.announceInvalidOverrides(ctx, before, node)
	if _, perr := kube.PatchStatus(ctx, r.Client, before, node, nodeStatus); perr != nil {
		return ctrl.Result{}, aggregate.Join(err, perr)
	}
	// After the status patch, which moved node's resourceVersion on: the annotation patch is locked to it.
	if perr := r.recordPodNode(ctx, node); perr != nil {
		return ctrl.Result{}, aggregate.Join(err, perr)
	}
	return result, err
}

// deletionStarted passes the update that marks an object for deletion (custom resources need not bump
// their generation then).
var deletionStarted = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetDeletionTimestamp().IsZero() && !e.ObjectNew.GetDeletionTimestamp().IsZero()
	},
	CreateFunc:  func(event.CreateEvent) bool { return false },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

func nodeStatus(o client.Object) any { return o.(*seiv1alpha1.SeiNode).Status }

// reconcile advances the node in memory; the caller writes its status once. keys, when set, is why
// the node may not use its key Secrets: no plan starts, and the pod of a node whose key an older node
// holds is stopped.
func (r *Reconciler) reconcile(ctx context.Context, node *seiv1alpha1.SeiNode, keys *tasks.KeyRefusal) (ctrl.Result, error) {
	now := r.now()
	node.Status.Mode = node.Spec.Mode()
	if node.Status.Phase == "" {
		// Record Pending first, so the node is seen waiting before anything is planned for it.
		setPhase(node, seiv1alpha1.NodePending, now)
		return ctrl.Result{RequeueAfter: again}, nil
	}

	if node.Status.Plan == nil {
		if keys != nil {
			// Keys minted, a pod started: each would be a step towards one key signing twice. A plan
			// in flight is stopped by its own ensure-identity and apply-statefulset checks. Neither the
			// other node's deletion nor a Secret's wakes this one: look again on an interval.
			return ctrl.Result{RequeueAfter: keyRecheckInterval}, r.stopKeyConflict(ctx, node, keys)
		}
		planType, sidecar := nextPlan(node), ""
		var pod *corev1.Pod
		if planType == "" {
			pod = r.cachedPod(ctx, node) // read once for the resume check and the chain's reads
			var parked bool
			if sidecar, parked = r.parked(ctx, node, pod); parked {
				planType = PlanResume
				r.resumes.started(string(node.UID), sidecar, now)
			}
		}
		if planType == "" {
			// Steady state: keep the NetworkPolicy as rendered (nodes from before it existed get one)
			// and watch the chain. A terminal error is a node that cannot be rendered: its last plan
			// already said so. A refused policy is reported, and does not stop the height from being
			// read; it is tried again on an interval, not on the error backoff, which grows to minutes.
			res := r.observeChain(ctx, node, pod)
			if err := tasks.EnsureNetworkPolicy(ctx, r.Client, r.Scheme, node, r.Config); err != nil && !planner.IsTerminal(err) {
				r.Recorder.Eventf(node, nil, corev1.EventTypeWarning, "NetworkPolicyFailed", "ApplyNetworkPolicy",
					"the NetworkPolicy around the node's pod could not be applied; trying again in %s: %s", networkPolicyRetry, err)
				ctrl.LoggerFrom(ctx).Error(err, "NetworkPolicy not applied")
				res = kube.Sooner(res, networkPolicyRetry)
			}
			return res, nil
		}
		if validateOverrides(node) != nil {
			// Every task before config-apply (keys minted, a pod started) would be wasted, or leave a
			// half-made node; a running node keeps running as it was. ConfigValid says why, and a
			// fixed spec reconciles again.
			return ctrl.Result{}, nil
		}
		var plan *seiv1alpha1.TaskPlan
		var err error
		if planType == PlanResume {
			plan, err = resumePlan(node, sidecar)
		} else {
			plan, err = buildPlan(node, planType)
		}
		if err != nil {
			return ctrl.Result{}, err
		}
		planner.Begin(&node.Status.Plan, plan)
		if node.Status.Phase == seiv1alpha1.NodePending || node.Status.Phase == seiv1alpha1.NodeFailed {
			setPhase(node, seiv1alpha1.NodeInitializing, now)
		}
		r.Recorder.Eventf(node, nil, corev1.EventTypeNormal, "PlanCreated", "Plan",
			"%s plan with %d tasks for generation %d", plan.Type, len(plan.Tasks), plan.Generation)
		// Persist the plan before any task runs; come straight back to run it.
		return ctrl.Result{RequeueAfter: again}, nil
	}

	env := &tasks.Env{
		Node: node, Client: r.Client, Reader: r.APIReader, Scheme: r.Scheme, Config: r.Config,
		Sidecar: r.Sidecar(node), ClusterName: r.ClusterName, Rand: r.Rand, Now: r.Now, Logs: r.Logs,
	}
	var heightRes ctrl.Result
	if node.Status.Plan.Type == PlanAwaitHalt {
		heightRes = r.observeChain(ctx, node, r.cachedPod(ctx, node)) // the hub judges the upgrade by heights meanwhile
	}
	out, err := r.Executor.Execute(ctx, node.Status.Plan, env)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("execute %s plan: %w", node.Status.Plan.Type, err)
	}
	if !out.Finished {
		return kube.Sooner(ctrl.Result{RequeueAfter: out.RequeueAfter}, heightRes.RequeueAfter), nil
	}
	planType := node.Status.Plan.Type
	if msg := finishPlan(node, now); msg != "" {
		r.Recorder.Eventf(node, nil, corev1.EventTypeWarning, "PlanFailed", "Plan", "%s plan failed: %s", planType, msg)
		ctrl.LoggerFrom(ctx).Info("Plan failed", "plan", planType, "reason", msg)
	} else {
		r.Recorder.Eventf(node, nil, corev1.EventTypeNormal, "PlanComplete", "Plan", "%s plan complete; phase %s", planType, node.Status.Phase)
	}
	// Another plan may be due already (the spec moved on while this one ran).
	return ctrl.Result{RequeueAfter: again}, nil
}

// networkPolicyRetry is how often a steady node whose NetworkPolicy was refused tries it again.
const networkPolicyRetry = 30 * time.Second

// announceInvalidOverrides warns, once per new problem, when ConfigValid turns False: from then on the
// agent starts no plan for the node.
func (r *Reconciler) announceInvalidOverrides(ctx context.Context, before, node *seiv1alpha1.SeiNode) {
	c := meta.FindStatusCondition(node.Status.Conditions, seiv1alpha1.NodeConfigValid)
	if c == nil || c.Status != metav1.ConditionFalse {
		return
	}
	if old := meta.FindStatusCondition(before.Status.Conditions, seiv1alpha1.NodeConfigValid); old != nil &&
		old.Status == metav1.ConditionFalse && old.Message == c.Message {
		return
	}
	r.Recorder.Eventf(node, nil, corev1.EventTypeWarning, seiv1alpha1.ReasonInvalidOverrides, "Plan", "%s: no plan starts until they are fixed", c.Message)
	ctrl.LoggerFrom(ctx).Info("Not planning: invalid overrides", "reason", c.Message)
}

// refuseForeign leaves a node placed on another cluster alone and says so: a kubeconfig Secret on the
// hub pointing at the wrong cluster must not make two clusters run one node.
func (r *Reconciler) refuseForeign(ctx context.Context, node *seiv1alpha1.SeiNode) (ctrl.Result, error) {
	before := node.DeepCopy()
	setCondition(node, seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonWrongCluster,
		fmt.Sprintf("spec.clusterName is %q but this agent runs in cluster %q: not running it", node.Spec.ClusterName, r.ClusterName))
	if _, err := kube.PatchStatus(ctx, r.Client, before, node, nodeStatus); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
