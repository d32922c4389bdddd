package tasks

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// KeyRefusal says why a validator may not use its key Secrets: Reason is a condition reason
// (seiv1alpha1.ReasonKeySecretInUse or ReasonKeySecretOfAnotherDeployment), Message what to do.
type KeyRefusal struct {
	Reason  string
	Message string
}

func (r *KeyRefusal) Error() string { return r.Message }

// CheckKeyClaims refuses a validator whose key Secrets an older validator SeiNode in its namespace
// also names: one key signing in two pods is a double sign. The older node (by creation time, then
// name) keeps the Secret, even while it is being deleted: its pod may still run until it is fenced.
// Nodes that are not validators are never refused. c lists SeiNodes (the agent's cache will do: a
// node is in the cache before any node created after it).
func CheckKeyClaims(ctx context.Context, c client.Reader, node *seiv1alpha1.SeiNode) (*KeyRefusal, error) {
	if node.Spec.Validator == nil {
		return nil, nil
	}
	mine := keySecretSet(node)
	nodes := &seiv1alpha1.SeiNodeList{}
	if err := c.List(ctx, nodes, client.InNamespace(node.Namespace)); err != nil {
		return nil, fmt.Errorf("list SeiNodes in %s: %w", node.Namespace, err)
	}
	sort.Slice(nodes.Items, func(i, j int) bool { return olderThan(&nodes.Items[i], &nodes.Items[j]) })
	for i := range nodes.Items {
		other := &nodes.Items[i]
		if other.UID == node.UID || other.Spec.Validator == nil || !olderThan(other, node) {
			continue
		}
		for _, name := range sortedKeys(mine) {
			if keySecretSet(other)[name] {
				return &KeyRefusal{Reason: seiv1alpha1.ReasonKeySecretInUse, Message: fmt.Sprintf(
					"key Secret %s is also used by validator SeiNode %s, created earlier, which keeps it: this node runs no pod "+
						"while both name it (one key in two pods signs twice); name other key Secrets, or delete %s first",
					name, other.Name, other.Name)}, nil
			}
		}
	}
	return nil, nil
}

// CheckMintedKeys refuses a validator whose minted key Secrets were minted for another deployment:
// their sei.io/deployment-uid label differs from the node's (a missing label counts as empty). A
// deployment deleted and created again under the same name is another network, and its validators
// must not sign with the old one's keys. r reads Secrets (uncached). Absent Secrets are fine: they will
// be minted with the node's label.
func CheckMintedKeys(ctx context.Context, r client.Reader, node *seiv1alpha1.SeiNode) (*KeyRefusal, error) {
	if node.Spec.Validator == nil || !node.Spec.Validator.Identity.Mint {
		return nil, nil
	}
	names := resources.KeySecretNames(node)
	for _, name := range []string{names.NodeKey, names.SigningKey, names.OperatorKey} {
		if name == "" {
			continue
		}
		secret := &corev1.Secret{}
		err := r.Get(ctx, client.ObjectKey{Namespace: node.Namespace, Name: name}, secret)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read Secret %s/%s: %w", node.Namespace, name, err)
		}
		if refusal := mintedFor(secret, node); refusal != nil {
			return refusal, nil
		}
	}
	return nil, nil
}

// mintedFor refuses a minted Secret whose deployment UID is not the node's.
func mintedFor(secret *corev1.Secret, node *seiv1alpha1.SeiNode) *KeyRefusal {
	want, got := node.Labels[seiv1alpha1.LabelDeploymentUID], secret.Labels[seiv1alpha1.LabelDeploymentUID]
	if node.Spec.Validator == nil || got == want {
		return nil
	}
	return &KeyRefusal{Reason: seiv1alpha1.ReasonKeySecretOfAnotherDeployment, Message: fmt.Sprintf(
		"key Secret %s was minted for deployment UID %q, not this node's %q: a deployment recreated under the same name "+
			"never inherits the old one's keys. Delete the Secret to mint new keys, or, if this key really belongs to "+
			"this deployment, label it %s=%s",
		secret.Name, got, want, seiv1alpha1.LabelDeploymentUID, want)}
}

// keySecretSet is the set of node's key Secret names.
func keySecretSet(node *seiv1alpha1.SeiNode) map[string]bool {
	names := resources.KeySecretNames(node)
	set := map[string]bool{}
	for _, n := range []string{names.NodeKey, names.SigningKey, names.OperatorKey} {
		if n != "" {
			set[n] = true
		}
	}
	return set
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// olderThan orders nodes by creation time, then name (creation times have one-second resolution).
func olderThan(a, b *seiv1alpha1.SeiNode) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}
