package mirror

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
	mcbuilder "sigs.k8s.io/multicluster-runtime/pkg/builder"
	mchandler "sigs.k8s.io/multicluster-runtime/pkg/handler"
	mcmanager "sigs.k8s.io/multicluster-runtime/pkg/manager"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"
	mcreconcile "sigs.k8s.io/multicluster-runtime/pkg/reconcile"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/hub/member"
	"github.com/sei-protocol/sei-fleet/internal/heightcadence"
	"github.com/sei-protocol/sei-fleet/internal/kube"
)

// +kubebuilder:rbac:groups=sei.io,resources=seinodes,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=sei.io,resources=seinodes/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=sei.io,resources=seinodes/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch

// IdentityVerifier knows how to confirm, with fresh reads, that a member cluster is still the cluster
// pinned for its name (hub/clusters Provider.VerifyIdentity). "Not found" counts only on a verified
// cluster, and nothing is deleted on any other.
type IdentityVerifier interface {
	VerifyIdentity(ctx context.Context, cluster string) error
}

// Health knows whether the hub can read each member cluster (hub/clusters.Monitor).
type Health interface {
	Get(name string) (clusters.Health, bool)
}

// Reconciler mirrors hub SeiNode records to members and their status back.
type Reconciler struct {
	Manager mcmanager.Manager
	Scheme  *runtime.Scheme
	// HubID is this hub's identity (the UID of its kube-system namespace), stamped on every member copy.
	HubID string
	// Identity verifies a member before a release deletes its copy or trusts that the copy is gone.
	Identity IdentityVerifier
	// Health, when set, says which members answer: a record on a member whose API does not answer
	// is reported Unknown, whatever the hub's cache of that member still holds (a hung apiserver
	// leaves informers silent and their caches stale).
	Health Health
	// HealthEvents wakes the records of a cluster whose health changed (Monitor.Subscribe).
	HealthEvents <-chan event.GenericEvent
	// CopiesGone, when set, is sent every member copy whose deletion a member reports (a fence waits
	// on it). Sends never block: a full channel drops the event, and the waiter's fallback requeue
	// looks again.
	CopiesGone chan<- event.GenericEvent
	// Retry is how soon an unreachable member is tried again (default 10s).
	Retry time.Duration
	// Options are the controller's options (mcbuilder does not inherit the manager's).
	Options controller.TypedOptions[mcreconcile.Request]
	// Now is the clock.
	Now func() time.Time
	// Heights bounds how often a full node's record takes a change of its member copy's status that
	// only moves its height (nil: at once).
	Heights *heightcadence.Limiter

	// namespaces remembers the member namespaces this hub made or saw, per engaged cluster instance
	// (a re-engaged cluster starts afresh): one uncached read per namespace, not per node created.
	namespaces sync.Map // memberNamespace -> struct{}
}

type memberNamespace struct {
	cluster   cluster.Cluster
	namespace string
}

// ensureNamespace makes the member's namespace exist, reading the member only the first time.
func (r *Reconciler) ensureNamespace(ctx context.Context, cl cluster.Cluster, namespace string) error {
	key := memberNamespace{cl, namespace}
	if _, ok := r.namespaces.Load(key); ok {
		return nil
	}
	if err := member.EnsureNamespace(ctx, cl.GetAPIReader(), cl.GetClient(), namespace); err != nil {
		return err
	}
	r.namespaces.Store(key, struct{}{})
	return nil
}

// SetupWithManager registers the controller: records on the hub, member copies on every member.
func (r *Reconciler) SetupWithManager(mgr mcmanager.Manager) error {
	if mgr == nil || r.Scheme == nil || r.HubID == "" || r.Identity == nil {
		return errors.New("mirror needs a manager, a scheme, the hub's ID and an identity verifier")
	}
	r.Manager = mgr
	b := mcbuilder.ControllerManagedBy(mgr).
		Named("seinode-mirror").
		For(&seiv1alpha1.SeiNode{}, mcbuilder.WithEngageWithLocalCluster(true), mcbuilder.WithEngageWithProviderClusters(false)).
		Watches(&seiv1alpha1.SeiNode{}, r.toRecord,
			mcbuilder.WithEngageWithLocalCluster(false), mcbuilder.WithEngageWithProviderClusters(true)).
		WithOptions(r.Options)
	if r.HealthEvents != nil {
		b = b.WatchesRawSource(source.TypedChannel(r.HealthEvents,
			handler.TypedEnqueueRequestsFromMapFunc[client.Object, mcreconcile.Request](r.recordsOn)))
	}
	return b.Complete(r)
}

// recordsOn maps a cluster (a health event names it as a ManagedCluster) to the hub records placed on it.
func (r *Reconciler) recordsOn(ctx context.Context, o client.Object) []mcreconcile.Request {
	list := &seiv1alpha1.SeiNodeList{}
	// Only the keys are read: the cache's objects, not copies of a cluster's worth of records.
	if err := r.Manager.GetLocalManager().GetClient().List(ctx, list, client.MatchingLabels{seiv1alpha1.LabelCluster: o.GetName()}, client.UnsafeDisableDeepCopy); err != nil {
		return nil
	}
	out := make([]mcreconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, mcreconcile.Request{Request: reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])}})
	}
	return out
}

// toRecord maps a member copy to its hub record, and tells CopiesGone of a deleted one.
func (r *Reconciler) toRecord(_ multicluster.ClusterName, _ cluster.Cluster) handler.TypedEventHandler[client.Object, mcreconcile.Request] {
	h := mchandler.TypedEnqueueRequestsFromMapFuncWithClusterPreservation[client.Object, mcreconcile.Request](
		func(_ context.Context, o client.Object) []mcreconcile.Request {
			if o.GetLabels()[member.LabelManagedBy] != member.ManagedByHub {
				return nil
			}
			return []mcreconcile.Request{{Request: reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)}}}
		})
	if r.CopiesGone == nil {
		return h
	}
	return &forwardDeletes{TypedEventHandler: h, to: r.CopiesGone}
}

// forwardDeletes passes every event on, and sends deleted hub-managed copies to a channel too.
type forwardDeletes struct {
	handler.TypedEventHandler[client.Object, mcreconcile.Request]
	to chan<- event.GenericEvent
}

func (f *forwardDeletes) Delete(ctx context.Context, evt event.TypedDeleteEvent[client.Object], q workqueue.TypedRateLimitingInterface[mcreconcile.Request]) {
	f.TypedEventHandler.Delete(ctx, evt, q)
	if evt.Object == nil || evt.Object.GetLabels()[member.LabelManagedBy] != member.ManagedByHub {
		return
	}
	select {
	case f.to <- event.GenericEvent{Object: evt.Object}:
	default:
	}
}

// Reconcile copies one record to its member and the member's status back.
func (r *Reconciler) Reconcile(ctx context.Context, req mcreconcile.Request) (ctrl.Result, error) {
	if req.ClusterName != "" {
		return ctrl.Result{}, nil // only hub records are reconciled; member events map onto them
	}
	hub := r.Manager.GetLocalManager().GetClient()
	record := &seiv1alpha1.SeiNode{}
	if err := hub.Get(ctx, req.NamespacedName, record); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if record.Spec.ClusterName == "" {
		return ctrl.Result{}, nil // not placed: nothing to mirror
	}
	log := ctrl.LoggerFrom(ctx).WithValues("SeiNode", klog.KObj(record), "cluster", record.Spec.ClusterName)
	ctx = ctrl.LoggerInto(ctx, log)

	if !record.DeletionTimestamp.IsZero() {
		return r.release(ctx, record)
	}
	if !controllerutil.ContainsFinalizer(record, seiv1alpha1.FinalizerNodeRecord) {
		if err := kube.SetFinalizer(ctx, hub, record, seiv1alpha1.FinalizerNodeRecord, true); err != nil {
			return ctrl.Result{}, err
		}
	}

	before := record.DeepCopy()
	result, copyUID := r.sync(ctx, record)
	now := r.now()
	result = kube.Sooner(result, r.holdHeight(before, record, now))
	wrote, err := kube.PatchStatus(ctx, hub, before, record, nodeStatus)
	if err != nil {
		return ctrl.Result{}, err
	}
	if wrote && record.Status.Height != before.Status.Height {
		r.Heights.Wrote(record.UID, now)
	}
	if err := recordCopyUID(ctx, hub, record, copyUID); err != nil {
		return ctrl.Result{}, err
	}
	return result, nil
}

// recordCopyUID notes on the record which member copy the hub saw on its cluster, for the fence: a
// copy there with another UID is another copy.
func recordCopyUID(ctx context.Context, hub client.Client, record *seiv1alpha1.SeiNode, uid types.UID) error {
	if uid == "" || record.Annotations[seiv1alpha1.AnnotationMemberCopyUID] == string(uid) {
		return nil
	}
	patch := client.MergeFromWithOptions(record.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if record.Annotations == nil {
		record.Annotations = map[string]string{}
	}
	record.Annotations[seiv1alpha1.AnnotationMemberCopyUID] = string(uid)
	if err := hub.Patch(ctx, record, patch, client.FieldOwner(seiv1alpha1.FieldOwnerHub)); err != nil {
		return fmt.Errorf("record member copy UID on SeiNode %s: %w", client.ObjectKeyFromObject(record), err)
	}
	return nil
}

func nodeStatus(o client.Object) any { return o.(*seiv1alpha1.SeiNode).Status }

// sync pushes the record to its member and copies the member's status into record (in memory). It
// returns the UID of the member copy it saw. Member trouble is reported in the MemberSynced condition
// and retried, not returned as an error.
func (r *Reconciler) sync(ctx context.Context, record *seiv1alpha1.SeiNode) (ctrl.Result, types.UID) {
	cl, err := r.Manager.GetCluster(ctx, multicluster.ClusterName(record.Spec.ClusterName))
	if err != nil {
		r.unreachable(record, fmt.Sprintf("member cluster %s is not reachable from the hub: %v", record.Spec.ClusterName, err), nil)
		return ctrl.Result{RequeueAfter: r.retry()}, ""
	}
	mc := cl.GetClient()
	cluster := record.Spec.ClusterName
	if fenced(record, cluster) {
		// Never re-create a copy the hub is fencing: that would be a second signer.
		setSynced(record, false, seiv1alpha1.ReasonAwaitingFence, awaitingFence(cluster))
		return ctrl.Result{}, ""
	}
	if msg, since := r.unanswered(cluster); msg != "" {
		// Neither pushed (it would hang until the client's timeout) nor copied from a stale cache.
		r.unreachable(record, msg, since)
		return ctrl.Result{RequeueAfter: r.retry()}, ""
	}
	if err := r.push(ctx, record, cl); err != nil {
		var stale *staleRecordError
		switch {
		case errors.As(err, &stale) && stale.fenced:
			setSynced(record, false, seiv1alpha1.ReasonAwaitingFence, awaitingFence(cluster))
			return ctrl.Result{}, ""
		case errors.As(err, &stale), apierrors.IsConflict(err):
			// The cache is behind: the hub's record, or the member copy (deleted since it was read).
			return ctrl.Result{RequeueAfter: time.Second}, ""
		}
		var notPlaced *notPlacedError
		if errors.As(err, &notPlaced) {
			setSynced(record, false, seiv1alpha1.ReasonNotWherePlaced, notPlaced.Error())
			return ctrl.Result{RequeueAfter: r.retry()}, ""
		}
		r.unreachable(record, err.Error(), nil)
		return ctrl.Result{RequeueAfter: r.retry()}, ""
	}
	memberCopy := &seiv1alpha1.SeiNode{}
	if err := mc.Get(ctx, client.ObjectKeyFromObject(record), memberCopy); err != nil {
		if apierrors.IsNotFound(err) {
			// Applied a moment ago: the copy's create event wakes the record once the cache has it.
			return ctrl.Result{RequeueAfter: r.retry()}, ""
		}
		r.unreachable(record, fmt.Sprintf("read member copy: %v", err), nil)
		return ctrl.Result{RequeueAfter: r.retry()}, ""
	}
	copyStatus(record, memberCopy)
	if memberCopy.Status.ObservedGeneration != memberCopy.Generation {
		setSynced(record, false, seiv1alpha1.ReasonAgentPending,
			"the agent on "+record.Spec.ClusterName+" has not acted on the latest spec yet")
		return ctrl.Result{}, memberCopy.UID
	}
	setSynced(record, true, seiv1alpha1.ReasonMemberInSync, "member copy on "+record.Spec.ClusterName+" is up to date and the agent acted on it")
	return ctrl.Result{}, memberCopy.UID
}

// fenced reports whether record carries a fence mark for cluster.
func fenced(record *seiv1alpha1.SeiNode, cluster string) bool {
	return record.Annotations[seiv1alpha1.AnnotationFencing] == cluster ||
		record.Annotations[seiv1alpha1.AnnotationFencedCluster] == cluster
}

func awaitingFence(cluster string) string {
	return "the node is being fenced on " + cluster + ": the hub does not recreate it there"
}

// push makes the member hold what the record says: namespace, genesis ConfigMap, then the node.
// It writes nothing when the member copy already matches. It updates only the copy it read (by UID),
// and creates a copy only when the record, read fresh from the hub, still wants one there.
func (r *Reconciler) push(ctx context.Context, record *seiv1alpha1.SeiNode, cl cluster.Cluster) error {
	mc := cl.GetClient()
	want := member.Copy(record, r.HubID)
	current := &seiv1alpha1.SeiNode{}
	err := mc.Get(ctx, client.ObjectKeyFromObject(record), current)
	switch {
	case err == nil && upToDate(current, want):
		return nil
	case err != nil && !apierrors.IsNotFound(err):
		return fmt.Errorf("read member copy on %s: %w", record.Spec.ClusterName, err)
	}
	creating := err != nil
	if creating {
		// The record read from the cache may be older than a fence mark the hub already set (and the
		// copy the fence then deleted is why there is none): decide on the hub's current record.
		if err := r.wantsCopy(ctx, record); err != nil {
			return err
		}
		if err := r.placedHere(ctx, record); err != nil {
			return err
		}
	}
	// A copy that exists lives in its namespace: only a create needs it made (one uncached read
	// fewer on every status change of every node).
	if creating {
		if err := r.ensureNamespace(ctx, cl, record.Namespace); err != nil {
			return err
		}
	}
	if g := record.Spec.Genesis; g != nil {
		hubCM := &corev1.ConfigMap{}
		key := types.NamespacedName{Namespace: record.Namespace, Name: g.ConfigMapName}
		if err := r.Manager.GetLocalManager().GetClient().Get(ctx, key, hubCM); err != nil {
			return fmt.Errorf("read hub genesis ConfigMap %s: %w", key, err)
		}
		if err := member.CopyGenesis(ctx, cl.GetAPIReader(), mc, hubCM, g.SHA256); err != nil {
			return err
		}
	}
	if !creating {
		ctrl.LoggerFrom(ctx).Info("Updating member copy", "uid", current.UID)
		return member.Update(ctx, mc, r.Scheme, want, current.UID)
	}
	ctrl.LoggerFrom(ctx).Info("Creating member copy")
	if err := member.Create(ctx, mc, r.Scheme, want); err != nil {
		if apierrors.IsNotFound(err) {
			r.namespaces.Delete(memberNamespace{cl, record.Namespace}) // deleted on the member since
		}
		return err
	}
	// A fence that started between the check and the create found no copy and may have confirmed
	// the node gone: look again, and take back the copy just made if so.
	if err := r.wantsCopy(ctx, record); err != nil {
		var stale *staleRecordError
		if errors.As(err, &stale) {
			ctrl.LoggerFrom(ctx).Info("Deleting the member copy just created: the record changed meanwhile", "reason", stale.why)
			if derr := mc.Delete(ctx, want); derr != nil && !apierrors.IsNotFound(derr) {
				return fmt.Errorf("delete member copy created while the record changed: %w", derr)
			}
		}
		return err
	}
	return nil
}

// staleRecordError says that the hub's current record no longer wants the copy the cached one did.
type staleRecordError struct {
	fenced bool
	why    string
}

func (e *staleRecordError) Error() string { return "the record changed on the hub: " + e.why }

// wantsCopy re-reads record uncached and reports, as a staleRecordError, when it no longer wants a
// copy on the cluster the cached record names: a fence mark for it, a move, or a deletion.
func (r *Reconciler) wantsCopy(ctx context.Context, record *seiv1alpha1.SeiNode) error {
	cluster := record.Spec.ClusterName
	fresh := &seiv1alpha1.SeiNode{}
	err := r.Manager.GetLocalManager().GetAPIReader().Get(ctx, client.ObjectKeyFromObject(record), fresh)
	switch {
	case apierrors.IsNotFound(err):
		return &staleRecordError{why: "it is gone"}
	case err != nil:
		return fmt.Errorf("re-read SeiNode %s before creating its member copy: %w", client.ObjectKeyFromObject(record), err)
	case fenced(fresh, cluster):
		return &staleRecordError{fenced: true, why: "it is being fenced on " + cluster}
	case fresh.Spec.ClusterName != cluster:
		return &staleRecordError{why: "it moved to " + fresh.Spec.ClusterName}
	case !fresh.DeletionTimestamp.IsZero():
		return &staleRecordError{why: "it is being deleted"}
	}
	return nil
}

// upToDate: the copy carries the record's spec and every label and annotation the hub sets.
func upToDate(current, want *seiv1alpha1.SeiNode) bool {
	if !equality.Semantic.DeepEqual(current.Spec, want.Spec) {
		return false
	}
	for k, v := range want.Labels {
		if current.Labels[k] != v {
			return false
		}
	}
	for k, v := range want.Annotations {
		if current.Annotations[k] != v {
			return false
		}
	}
	return true
}

// copyStatus makes the record's status the member copy's, keeping the hub's own condition.
func copyStatus(record, memberCopy *seiv1alpha1.SeiNode) {
	synced := meta.FindStatusCondition(record.Status.Conditions, seiv1alpha1.NodeMemberSynced)
	record.Status = *memberCopy.Status.DeepCopy()
	if synced != nil {
		meta.SetStatusCondition(&record.Status.Conditions, *synced)
	}
}

// unanswered says why the hub cannot read cluster now, and since when, or "" when it can (or has no
// health verdict yet: then the requests themselves fail or succeed).
func (r *Reconciler) unanswered(cluster string) (string, *time.Time) {
	if r.Health == nil {
		return "", nil
	}
	h, ok := r.Health.Get(cluster)
	if !ok || (h.Engaged && h.APIReachable) {
		return "", nil
	}
	msg := fmt.Sprintf("member cluster %s does not answer the hub", cluster)
	if h.Message != "" {
		msg += ": " + h.Message
	}
	return msg, h.UnhealthySince
}

// unreachable records that the hub cannot see the member copy now. The status last copied up stays
// (image, node ID, height: what the node last was), but the phase becomes Unknown and Ready Unknown,
// since when (the first failed probe if known, else now) and what the phase last was, so nothing
// reads the node as running. The member's next read replaces all of it.
func (r *Reconciler) unreachable(record *seiv1alpha1.SeiNode, msg string, since *time.Time) {
	setSynced(record, false, seiv1alpha1.ReasonMemberUnreachable, msg)
	s := &record.Status
	if s.Phase == seiv1alpha1.NodeUnknown {
		return // keeps when it started and what the phase was
	}
	t := metav1.NewTime(r.now())
	if since != nil {
		t = metav1.NewTime(*since)
	}
	last := string(s.Phase)
	if last == "" {
		last = "not reported"
	}
	s.Phase, s.PhaseTransitionTime = seiv1alpha1.NodeUnknown, &t
	unknown := fmt.Sprintf("the hub cannot read the node on %s since %s (last reported phase %s): %s",
		record.Spec.ClusterName, t.UTC().Format(time.RFC3339), last, msg)
	// A height last seen advancing says nothing of the node now: neither Ready nor CaughtUp stands.
	for _, typ := range []string{seiv1alpha1.NodeReady, seiv1alpha1.NodeCaughtUp} {
		meta.SetStatusCondition(&s.Conditions, metav1.Condition{
			Type: typ, Status: metav1.ConditionUnknown, Reason: seiv1alpha1.ReasonMemberUnreachable,
			ObservedGeneration: record.Generation, LastTransitionTime: t, Message: unknown,
		})
	}
}

func setSynced(record *seiv1alpha1.SeiNode, ok bool, reason, msg string) {
	kube.SetCondition(&record.Status.Conditions, record.Generation, seiv1alpha1.NodeMemberSynced, ok, reason, msg)
}

func (r *Reconciler) retry() time.Duration {
	if r.Retry > 0 {
		return r.Retry
	}
	return 10 * time.Second
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
