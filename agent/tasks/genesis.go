package tasks

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/genesiscm"
	"github.com/sei-protocol/sei-fleet/planner"
)

// verifyGenesis checks that the genesis ConfigMap the node is pointed at hashes to spec.genesis.sha256
// and records the hash in status. A mismatch is terminal: a node must never start from a genesis other
// than the one the ceremony hashed. (The pod's init container checks the same hash again before it
// copies the file, so a ConfigMap changed afterwards cannot slip through either.)
func verifyGenesis(ctx context.Context, env *Env) (planner.Result, error) {
	g := env.Node.Spec.Genesis
	if g == nil {
		return planner.Done()
	}
	ref := types.NamespacedName{Namespace: env.Node.Namespace, Name: g.ConfigMapName}
	cm := &corev1.ConfigMap{}
	if err := env.Reader.Get(ctx, ref, cm); err != nil {
		if apierrors.IsNotFound(err) {
			return planner.Watching() // a genesis ConfigMap's creation wakes the nodes naming it
		}
		return planner.Result{}, fmt.Errorf("read genesis ConfigMap %s: %w", ref, err)
	}
	got, data := genesiscm.Hash(cm)
	if len(data) == 0 {
		return planner.Result{}, planner.Terminalf("genesis ConfigMap %s has no %s", ref, genesiscm.Key)
	}
	if got != g.SHA256 {
		return planner.Result{}, planner.Terminalf("genesis ConfigMap %s hashes to %s but spec.genesis.sha256 is %s: refusing to use it", ref, got, g.SHA256)
	}
	if err := ownGenesis(ctx, env, cm); err != nil {
		return planner.Result{}, err
	}
	env.Node.Status.GenesisSHA256 = got
	return planner.Done()
}

// ownGenesis adds the node to the genesis ConfigMap's owners, so the member's garbage collector
// removes the ConfigMap once the last node started from it is gone (a retained, orphaned node keeps
// it). The hub writes the ConfigMap before the node exists, so only the agent can do this.
func ownGenesis(ctx context.Context, env *Env, cm *corev1.ConfigMap) error {
	// Nodes sharing the ConfigMap add themselves concurrently: on a conflict, read it again and retry.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		for _, o := range cm.OwnerReferences {
			if o.UID == env.Node.UID {
				return nil
			}
		}
		patch := client.MergeFromWithOptions(cm.DeepCopy(), client.MergeFromWithOptimisticLock{})
		cm.OwnerReferences = append(cm.OwnerReferences, metav1.OwnerReference{
			APIVersion: seiv1alpha1.GroupVersion.String(), Kind: "SeiNode", Name: env.Node.Name, UID: env.Node.UID,
		})
		err := env.Client.Patch(ctx, cm, patch, client.FieldOwner(seiv1alpha1.FieldOwnerAgent))
		if apierrors.IsConflict(err) {
			fresh := &corev1.ConfigMap{}
			if rerr := env.Reader.Get(ctx, client.ObjectKeyFromObject(cm), fresh); rerr != nil {
				return rerr
			}
			*cm = *fresh
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("add SeiNode %s to the owners of genesis ConfigMap %s: %w", env.Node.Name, cm.Name, err)
	}
	return nil
}
