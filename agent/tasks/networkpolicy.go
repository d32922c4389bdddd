package tasks

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/kube"
	"github.com/sei-protocol/sei-fleet/planner"
)

// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;update;patch

// applyNetworkPolicy puts the NetworkPolicy around the node's pod before the pod exists, so its
// sidecar is never reachable by more than the configuration admits.
func applyNetworkPolicy(ctx context.Context, env *Env) (planner.Result, error) {
	if err := EnsureNetworkPolicy(ctx, env.Client, env.Scheme, env.Node, env.Config); err != nil {
		return planner.Result{}, err
	}
	return planner.Done()
}

// EnsureNetworkPolicy applies node's NetworkPolicy when c (the agent's cache) does not hold it as
// rendered: the node controller calls it on every steady-state reconcile too, so nodes that ran before
// the policy existed get one, and a policy deleted or edited by hand comes back, at no write when
// nothing changed.
func EnsureNetworkPolicy(ctx context.Context, c client.Client, scheme *runtime.Scheme, node *seiv1alpha1.SeiNode, cfg *config.Config) error {
	want, err := resources.BuildNetworkPolicy(node, cfg)
	if err != nil {
		return planner.Terminal(err)
	}
	have := &networkingv1.NetworkPolicy{}
	err = c.Get(ctx, client.ObjectKeyFromObject(want), have)
	switch {
	case err == nil && equality.Semantic.DeepEqual(have.Spec, want.Spec) && labelsContain(have.Labels, want.Labels):
		return nil
	case err != nil && !apierrors.IsNotFound(err):
		return fmt.Errorf("get NetworkPolicy %s: %w", client.ObjectKeyFromObject(want), err)
	}
	return kube.Apply(ctx, c, scheme, want, seiv1alpha1.FieldOwnerAgent)
}

func labelsContain(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
