package tasks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sei-protocol/sei-fleet/planner"
)

// GenesisKey is the ConfigMap key holding genesis.json.
const GenesisKey = "genesis.json"

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
			return planner.Running(5 * time.Second)
		}
		return planner.Result{}, fmt.Errorf("read genesis ConfigMap %s: %w", ref, err)
	}
	data := []byte(cm.Data[GenesisKey])
	if len(data) == 0 {
		data = cm.BinaryData[GenesisKey]
	}
	if len(data) == 0 {
		return planner.Result{}, planner.Terminalf("genesis ConfigMap %s has no %s", ref, GenesisKey)
	}
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if got != g.SHA256 {
		return planner.Result{}, planner.Terminalf("genesis ConfigMap %s hashes to %s but spec.genesis.sha256 is %s: refusing to use it", ref, got, g.SHA256)
	}
	env.Node.Status.GenesisSHA256 = got
	return planner.Done()
}
