package deployment

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/policy"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
	"github.com/sei-protocol/sei-fleet/internal/heightcadence"
	"github.com/sei-protocol/sei-fleet/internal/kube"
	"github.com/sei-protocol/sei-fleet/planner"
)

// +kubebuilder:rbac:groups=sei.io,resources=seinodedeployments,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=sei.io,resources=seinodedeployments/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=sei.io,resources=seinodedeployments/finalizers,verbs=update
// +kubebuilder:rbac:groups=sei.io,resources=seinodes,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=sei.io,resources=seiplacementpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconciler drives SeiNodeDeployments on the hub.
type Reconciler struct {
	Hub client.Client
	// HubReader reads uncached (genesis ConfigMaps, records right after writing).
	HubReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	Inventory *policy.Inventory
	Members   Members
	// HealthEvents wakes every deployment when a cluster's health changes.
	HealthEvents <-chan event.GenericEvent
	// CopiesGone wakes a deployment when a member copy of one of its nodes is deleted: a fence waits
	// for it (mirror.Reconciler.CopiesGone).
	CopiesGone <-chan event.GenericEvent
	Executor   *planner.Executor[*Env]
	// Resync re-evaluates steady deployments this often (failover tolerations expire without events).
	Resync time.Duration
	// FloorMargin is added to the highest block height seen for a moved validator's signing-state
	// floor (default DefaultFloorMargin).
	FloorMargin int64
	Options     controller.Options
	Now         func() time.Time
	// Heights bounds how often the status is rewritten for a change that only moves node rows'
	// heights (nil: at once).
	Heights *heightcadence.Limiter

	policies    policyLocks
	usageCounts policyUsage
}

// SetupWithManager registers the controller on the hub's own cluster.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Hub == nil || r.HubReader == nil || r.Scheme == nil || r.Recorder == nil || r.Inventory == nil || r.Members == nil {
		return errors.New("deployment reconciler needs Hub, HubReader, Scheme, Recorder, Inventory and Members")
	}
	if r.Executor == nil {
		r.Executor = &planner.Executor[*Env]{Registry: Registry(), Now: r.Now}
	}
	if r.Resync == 0 {
		r.Resync = 30 * time.Second
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &seiv1alpha1.SeiNode{}, indexRecordsOf, recordsOfKey); err != nil {
		return fmt.Errorf("index SeiNode records by deployment: %w", err)
	}
	informer, err := mgr.GetCache().GetInformer(context.Background(), &seiv1alpha1.SeiNode{})
	if err != nil {
		return fmt.Errorf("SeiNode informer: %w", err)
	}
	if err := r.usageCounts.watch(informer); err != nil {
		return err
	}
	all := handler.EnqueueRequestsFromMapFunc(r.all)
	b := ctrl.NewControllerManagedBy(mgr).
		Named("seinodedeployment").
		For(&seiv1alpha1.SeiNodeDeployment{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Owns(&seiv1alpha1.SeiNode{}).
		Watches(&seiv1alpha1.SeiNodeDeployment{}, handler.EnqueueRequestsFromMapFunc(r.joiners)).
		Watches(&seiv1alpha1.SeiPlacementPolicy{}, handler.EnqueueRequestsFromMapFunc(r.usingPolicy)).
		Watches(&clusterv1.ManagedCluster{}, all, builder.WithPredicates(policy.InventoryChanged)).
		WithOptions(r.Options)
	if r.HealthEvents != nil {
		b = b.WatchesRawSource(source.Channel(r.HealthEvents, all))
	}
	if r.CopiesGone != nil {
		b = b.WatchesRawSource(source.Channel(r.CopiesGone, handler.EnqueueRequestsFromMapFunc(deploymentOf)))
	}
	return b.Complete(r)
}

// Reconcile moves one deployment towards its spec: at most one plan at a time, one status write.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (ctrl.Result, error) {
	dep := &seiv1alpha1.SeiNodeDeployment{}
	if err := r.Hub.Get(ctx, req.NamespacedName, dep); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = ctrl.LoggerInto(ctx, ctrl.LoggerFrom(ctx).WithValues("SeiNodeDeployment", klog.KObj(dep)))
	records, err := r.records(ctx, dep)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !dep.DeletionTimestamp.IsZero() {
		return r.delete(ctx, dep, records)
	}
	if !controllerutil.ContainsFinalizer(dep, seiv1alpha1.FinalizerDeployment) {
		if err := kube.SetFinalizer(ctx, r.Hub, dep, seiv1alpha1.FinalizerDeployment, true); err != nil {
			return ctrl.Result{}, err
		}
	}
	if err := r.syncDeletionPolicy(ctx, dep, records); err != nil {
		return ctrl.Result{}, err
	}
	defer r.policies.lock(ctx, r.Hub, dep)()
	before := dep.DeepCopy()
	remember(dep, records)
	ev, err := r.evaluate(ctx, dep, records)
	if err != nil {
		return ctrl.Result{}, err
	}
	result, runErr := r.advance(ctx, dep, records, ev)
	updateStatus(dep, records, ev)
	heightsMoved := rowHeightsMoved(&before.Status, &dep.Status)
	result = kube.Sooner(result, r.holdRowHeights(before, dep, heightsMoved, ev.now))
	wrote, err := kube.PatchStatus(ctx, r.Hub, before, dep, depStatus)
	if err != nil {
		return ctrl.Result{}, aggregate.Join(runErr, err)
	}
	// A held change left the status as it was: nothing was written.
	if wrote && heightsMoved {
		r.Heights.Wrote(dep.UID, ev.now)
	}
	if runErr == nil && result.RequeueAfter == 0 {
		result.RequeueAfter = r.Resync
	}
	return result, runErr
}

func depStatus(o client.Object) any { return o.(*seiv1alpha1.SeiNodeDeployment).Status }

// advance runs the plan in status, or persists a new one when the deployment needs it.
func (r *Reconciler) advance(ctx context.Context, dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode, ev *evaluation) (ctrl.Result, error) {
	if dep.Status.Plan == nil {
		plan, err := nextPlan(dep, ev, records)
		if err != nil || plan == nil {
			return ctrl.Result{}, err
		}
		planner.Begin(&dep.Status.Plan, plan)
		note := describePlacement(plan)
		if plan.Type != PlanPlace {
			note = fmt.Sprintf("%d tasks", len(plan.Tasks))
		}
		r.Recorder.Eventf(dep, nil, corev1.EventTypeNormal, "PlanCreated", "Plan", "%s plan: %s", plan.Type, note)
		return ctrl.Result{RequeueAfter: time.Millisecond}, nil // persisted before any task runs
	}
	if p := dep.Status.Plan.Type; ev.blockedReason == seiv1alpha1.ReasonInvalidOverrides && (p == PlanPlace || p == PlanRollout) {
		// Either would write the template's overrides into records: hold it until they are fixed (the
		// fix changes the spec, which reconciles again).
		return ctrl.Result{}, nil
	}
	if ev.blockedReason == seiv1alpha1.ReasonInvalidGenesisInput && dep.Status.Plan.Type == PlanPlace {
		return ctrl.Result{}, nil // placing a validator mints its keys: not for a ceremony that cannot assemble
	}
	env := &Env{
		Deployment: dep, Records: records, Hub: r.Hub, HubReader: r.HubReader, Scheme: r.Scheme,
		Members: r.Members, Domains: ev.domains, Policy: ev.policy, PowerCap: ev.powerCap, Now: r.Now,
	}
	out, err := r.Executor.Execute(ctx, dep.Status.Plan, env)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !out.Finished {
		return ctrl.Result{RequeueAfter: out.RequeueAfter}, nil
	}
	plan := dep.Status.Plan
	dep.Status.Plan = nil
	if plan.Phase == seiv1alpha1.PlanFailed {
		msg := planner.FailureMessage(plan)
		switch plan.Type {
		case PlanGenesis:
			setGenesisFailure(dep, plan)
		case PlanRollout:
			setRolloutFailure(dep, plan)
		}
		r.Recorder.Eventf(dep, nil, corev1.EventTypeWarning, "PlanFailed", "Plan", "%s plan failed: %s", plan.Type, msg)
		ctrl.LoggerFrom(ctx).Info("Plan failed", "plan", plan.Type, "reason", msg)
	} else {
		r.Recorder.Eventf(dep, nil, corev1.EventTypeNormal, "PlanComplete", "Plan", "%s plan complete", plan.Type)
	}
	// Give the cache a moment to see what the plan wrote before deciding the next one.
	return ctrl.Result{RequeueAfter: 500 * time.Millisecond}, nil
}

// syncDeletionPolicy stamps the deployment's deletion policy on its live records as soon as it changes,
// so the member copies carry it too: a copy whose record goes while its cluster is away is handled as
// the owner last asked, not as it asked when the record was written.
func (r *Reconciler) syncDeletionPolicy(ctx context.Context, dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode) error {
	for i := range records {
		if records[i].DeletionTimestamp.IsZero() {
			if err := stampDeletionPolicy(ctx, r.Hub, dep, &records[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// indexRecordsOf indexes hub records by "namespace/deployment": a reconcile reads its own records
// from the index, not by filtering every record in the namespace.
const indexRecordsOf = "seiNodeDeployment"

func recordsOfKey(o client.Object) []string {
	if dep := o.GetLabels()[seiv1alpha1.LabelDeployment]; dep != "" {
		return []string{o.GetNamespace() + "/" + dep}
	}
	return nil
}

// records lists the deployment's hub SeiNode records.
func (r *Reconciler) records(ctx context.Context, dep *seiv1alpha1.SeiNodeDeployment) ([]seiv1alpha1.SeiNode, error) {
	list := &seiv1alpha1.SeiNodeList{}
	if err := r.Hub.List(ctx, list, client.MatchingFields{indexRecordsOf: dep.Namespace + "/" + dep.Name}); err != nil {
		return nil, fmt.Errorf("list records of %s: %w", dep.Name, err)
	}
	return list.Items, nil
}

// deploymentOf maps a node (a hub record or a member copy: both carry the label) to its deployment.
func deploymentOf(_ context.Context, o client.Object) []reconcile.Request {
	name := o.GetLabels()[seiv1alpha1.LabelDeployment]
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
}

func (r *Reconciler) all(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.deployments(ctx, func(*seiv1alpha1.SeiNodeDeployment) bool { return true })
}

func (r *Reconciler) usingPolicy(ctx context.Context, o client.Object) []reconcile.Request {
	return r.deployments(ctx, func(d *seiv1alpha1.SeiNodeDeployment) bool { return d.Spec.Placement.PolicyName == o.GetName() })
}

func (r *Reconciler) joiners(ctx context.Context, o client.Object) []reconcile.Request {
	return r.deployments(ctx, func(d *seiv1alpha1.SeiNodeDeployment) bool {
		return d.Namespace == o.GetNamespace() && d.Spec.Joins != nil && d.Spec.Joins.Deployment == o.GetName()
	})
}

func (r *Reconciler) deployments(ctx context.Context, match func(*seiv1alpha1.SeiNodeDeployment) bool) []reconcile.Request {
	list := &seiv1alpha1.SeiNodeDeploymentList{}
	// Every deployment, on every deployment event: read the cache's objects, do not copy them.
	if err := r.Hub.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if match(&list.Items[i]) {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: list.Items[i].Namespace, Name: list.Items[i].Name}})
		}
	}
	return out
}
