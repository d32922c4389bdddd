package policy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	clusterv1beta2 "open-cluster-management.io/api/cluster/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/placement"
	"github.com/sei-protocol/sei-fleet/internal/kube"
)

// +kubebuilder:rbac:groups=sei.io,resources=seiplacementpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=sei.io,resources=seiplacementpolicies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=cluster.open-cluster-management.io,resources=managedclusters;managedclustersets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// Reconciler keeps SeiPlacementPolicy status.
type Reconciler struct {
	Client    client.Client
	Inventory *Inventory
	// HealthEvents wakes the controller when a cluster's health changes.
	HealthEvents <-chan event.GenericEvent
}

// SetupWithManager registers the controller on the hub's own cluster.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.Inventory == nil {
		return errors.New("policy reconciler needs Client and Inventory")
	}
	all := handler.EnqueueRequestsFromMapFunc(r.allPolicies)
	b := ctrl.NewControllerManagedBy(mgr).
		Named("placement-policy").
		For(&seiv1alpha1.SeiPlacementPolicy{}).
		Watches(&clusterv1.ManagedCluster{}, all, builder.WithPredicates(InventoryChanged)).
		Watches(&clusterv1beta2.ManagedClusterSet{}, all).
		// Only what changes a count: a record made, deleted, moved (spec) or relabelled; not the status
		// the mirror copies up on every member change.
		Watches(&seiv1alpha1.SeiNode{}, handler.EnqueueRequestsFromMapFunc(policyOfRecord), builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{})))
	if r.HealthEvents != nil {
		b = b.WatchesRawSource(source.Channel(r.HealthEvents, all))
	}
	return b.Complete(r)
}

func (r *Reconciler) allPolicies(ctx context.Context, _ client.Object) []reconcile.Request {
	list := &seiv1alpha1.SeiPlacementPolicyList{}
	if err := r.Client.List(ctx, list); err != nil {
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, p := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: p.Name}})
	}
	return out
}

func policyOfRecord(_ context.Context, o client.Object) []reconcile.Request {
	if p := o.GetLabels()[seiv1alpha1.LabelPolicy]; p != "" {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: p}}}
	}
	return nil
}

// Reconcile recomputes one policy's status and writes it when it changed.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	p := &seiv1alpha1.SeiPlacementPolicy{}
	if err := r.Client.Get(ctx, req.NamespacedName, p); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	before := p.DeepCopy()
	if err := r.updateStatus(ctx, p); err != nil {
		return reconcile.Result{}, err
	}
	_, err := kube.PatchStatus(ctx, r.Client, before, p, func(o client.Object) any { return o.(*seiv1alpha1.SeiPlacementPolicy).Status })
	return reconcile.Result{}, err
}

func (r *Reconciler) updateStatus(ctx context.Context, p *seiv1alpha1.SeiPlacementPolicy) error {
	clusters, err := r.Inventory.Clusters(ctx, &p.Spec)
	if err != nil {
		return err
	}
	records := &seiv1alpha1.SeiNodeList{}
	if err := r.Client.List(ctx, records, client.MatchingLabels{seiv1alpha1.LabelPolicy: p.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list SeiNodes placed under policy %s: %w", p.Name, err)
	}
	nodes := map[string]int32{}
	for i := range records.Items {
		nodes[records.Items[i].Spec.ClusterName]++
	}
	notes := placement.Schedule(placement.Input{Policy: p.Spec, Clusters: clusters}).Clusters
	rows := make([]seiv1alpha1.ClusterHealth, 0, len(notes))
	var healthy int32
	for _, note := range notes {
		if !note.Eligible {
			continue
		}
		row := seiv1alpha1.ClusterHealth{Name: note.Name, Domain: note.Domain, Healthy: note.Healthy, Nodes: nodes[note.Name]}
		if h, ok := r.Inventory.Health.Get(note.Name); ok {
			if !h.Healthy {
				row.Reason, row.Message = h.Reason, h.Message
			}
			row.LastHeartbeat = metaTime(h.LastHeartbeat)
			row.UnhealthySince = metaTime(h.UnhealthySince)
		}
		if row.Healthy {
			healthy++
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	p.Status.Clusters = rows
	p.Status.EligibleClusters = int32(len(rows))
	p.Status.HealthyClusters = healthy
	p.Status.ObservedGeneration = p.Generation
	cond := metav1.Condition{Type: seiv1alpha1.PolicyClustersAvailable, ObservedGeneration: p.Generation}
	if healthy > 0 {
		cond.Status, cond.Reason = metav1.ConditionTrue, seiv1alpha1.ReasonHealthyClusters
		cond.Message = fmt.Sprintf("%d of %d selected clusters are healthy", healthy, len(rows))
	} else {
		cond.Status, cond.Reason = metav1.ConditionFalse, seiv1alpha1.ReasonNoHealthyClusters
		cond.Message = fmt.Sprintf("none of %d selected clusters is healthy", len(rows))
	}
	meta.SetStatusCondition(&p.Status.Conditions, cond)
	return nil
}

// metaTime converts to the precision the API stores, so an unchanged time never looks changed.
func metaTime(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	mt := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &mt
}
