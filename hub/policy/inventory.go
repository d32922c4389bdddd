package policy

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	clusterv1beta2 "open-cluster-management.io/api/cluster/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/hub/placement"
)

// InventoryChanged passes the ManagedCluster events that change what Clusters returns: created,
// deleted, accepted or not (spec), relabelled, or being deleted. Not status: member agents report it
// on their own schedule, and every controller watching clusters would re-run for each report.
var InventoryChanged = predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{},
	predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetDeletionTimestamp().IsZero() != e.ObjectNew.GetDeletionTimestamp().IsZero()
	}})

// Health knows how healthy each registered cluster is (hub/clusters.Monitor).
type Health interface {
	Get(name string) (clusters.Health, bool)
}

// Inventory reads the hub's cluster registry.
type Inventory struct {
	Reader client.Reader
	Health Health
}

// Clusters returns the registered clusters a policy may use — accepted ManagedClusters, limited to the
// policy's cluster sets when it names any — with their labels and health, sorted by name. The policy's
// label selector is applied by the scheduler, which also says why a cluster is not eligible.
func (inv *Inventory) Clusters(ctx context.Context, spec *seiv1alpha1.SeiPlacementPolicySpec) ([]placement.Cluster, error) {
	list := &clusterv1.ManagedClusterList{}
	if err := inv.Reader.List(ctx, list); err != nil {
		return nil, fmt.Errorf("list ManagedClusters: %w", err)
	}
	inSets, err := inv.setMembers(ctx, spec.ClusterSets)
	if err != nil {
		return nil, err
	}
	out := make([]placement.Cluster, 0, len(list.Items))
	for i := range list.Items {
		mc := &list.Items[i]
		if !mc.Spec.HubAcceptsClient || !mc.DeletionTimestamp.IsZero() {
			continue
		}
		if inSets != nil && !inSets(mc) {
			continue
		}
		c := placement.Cluster{Name: mc.Name, Labels: mc.Labels}
		if h, ok := inv.Health.Get(mc.Name); ok {
			c.Healthy = h.Healthy
			c.UnhealthySince = h.UnhealthySince
			c.HealthUnknown = h.Pending
		} else {
			now := time.Now()
			c.UnhealthySince = &now // not probed yet: not a target for new nodes, not yet a failover
			c.HealthUnknown = true
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// setMembers returns a membership test for the union of the named ManagedClusterSets, or nil when no
// set is named. A named set that does not exist selects nothing.
func (inv *Inventory) setMembers(ctx context.Context, names []string) (func(*clusterv1.ManagedCluster) bool, error) {
	if len(names) == 0 {
		return nil, nil
	}
	var tests []func(*clusterv1.ManagedCluster) bool
	for _, name := range names {
		set := &clusterv1beta2.ManagedClusterSet{}
		if err := inv.Reader.Get(ctx, types.NamespacedName{Name: name}, set); err != nil {
			if client.IgnoreNotFound(err) == nil {
				continue
			}
			return nil, fmt.Errorf("get ManagedClusterSet %s: %w", name, err)
		}
		sel := set.Spec.ClusterSelector
		switch sel.SelectorType {
		case clusterv1beta2.LabelSelector:
			s, err := metav1.LabelSelectorAsSelector(sel.LabelSelector)
			if err != nil {
				return nil, fmt.Errorf("ManagedClusterSet %s: bad label selector: %w", name, err)
			}
			tests = append(tests, func(mc *clusterv1.ManagedCluster) bool { return s.Matches(labels.Set(mc.Labels)) })
		default: // ExclusiveClusterSetLabel, the default
			setName := name
			tests = append(tests, func(mc *clusterv1.ManagedCluster) bool {
				return mc.Labels[clusterv1beta2.ClusterSetLabel] == setName
			})
		}
	}
	return func(mc *clusterv1.ManagedCluster) bool {
		for _, t := range tests {
			if t(mc) {
				return true
			}
		}
		return false
	}, nil
}

// AllowsNamespace reports whether deployments in namespace may use the policy, and if not, why.
func (inv *Inventory) AllowsNamespace(ctx context.Context, spec *seiv1alpha1.SeiPlacementPolicySpec, namespace string) (bool, string, error) {
	switch {
	case len(spec.Namespaces) > 0:
		for _, ns := range spec.Namespaces {
			if ns == namespace {
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("the policy allows namespaces %v only", spec.Namespaces), nil
	case spec.NamespaceSelector != nil:
		sel, err := metav1.LabelSelectorAsSelector(spec.NamespaceSelector)
		if err != nil {
			return false, "", fmt.Errorf("policy namespaceSelector: %w", err)
		}
		ns := &corev1.Namespace{}
		if err := inv.Reader.Get(ctx, types.NamespacedName{Name: namespace}, ns); err != nil {
			return false, "", fmt.Errorf("get namespace %s: %w", namespace, err)
		}
		if !sel.Matches(labels.Set(ns.Labels)) {
			return false, fmt.Sprintf("namespace %s does not match the policy's namespaceSelector %s", namespace, sel), nil
		}
	}
	return true, "", nil
}
