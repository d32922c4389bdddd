package tasks

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Secret keys holding key material.
const (
	NodeKeyFile    = "node_key.json"
	SigningKeyFile = "priv_validator_key.json"
	MnemonicKey    = "mnemonic"
)

// ensureIdentity makes sure the node's keys exist in this cluster and records their public parts in
// status: the node ID for every node, and the consensus public key and operator address for
// validators. Minted keys are created only when absent, as immutable Secrets without an owner: deleting
// a SeiNode never deletes a validator's identity, and nothing ever overwrites a key.
//
// A validator is refused (terminally, before any key is read or minted) when an older validator in
// its namespace names one of its key Secrets, or when a Secret it would have minted was minted for
// another deployment (see CheckKeyClaims and CheckMintedKeys).
func ensureIdentity(ctx context.Context, env *Env) (planner.Result, error) {
	node := env.Node
	if err := checkKeys(ctx, env); err != nil {
		return planner.Result{}, err
	}
	names := resources.KeySecretNames(node)
	mint := node.Spec.Validator == nil || node.Spec.Validator.Identity.Mint

	nodeKeyJSON, err := env.keySecret(ctx, names.NodeKey, NodeKeyFile, mint, func() ([]byte, error) {
		k, err := seikeys.GenerateNodeKey(env.Rand)
		return k.JSON(), err
	})
	if err != nil {
		return planner.Result{}, err
	}
	nodeKey, err := seikeys.ParseNodeKey(nodeKeyJSON)
	if err != nil {
		return planner.Result{}, planner.Terminalf("Secret %s key %s is not a node key: %v", names.NodeKey, NodeKeyFile, err)
	}
	node.Status.NodeID = nodeKey.ID()

	if node.Spec.Validator == nil {
		return planner.Done()
	}
	signingJSON, err := env.keySecret(ctx, names.SigningKey, SigningKeyFile, mint, func() ([]byte, error) {
		k, err := seikeys.GenerateConsensusKey(env.Rand)
		return k.JSON(), err
	})
	if err != nil {
		return planner.Result{}, err
	}
	consensus, err := seikeys.ParseConsensusKey(signingJSON)
	if err != nil {
		return planner.Result{}, planner.Terminalf("Secret %s key %s is not a consensus key: %v", names.SigningKey, SigningKeyFile, err)
	}
	node.Status.ConsensusPubKey = consensus.PubKeyBase64()

	if names.OperatorKey == "" {
		return planner.Done()
	}
	mnemonic, err := env.keySecret(ctx, names.OperatorKey, MnemonicKey, mint, func() ([]byte, error) {
		m, err := seikeys.NewMnemonic(env.Rand)
		return []byte(m), err
	})
	if err != nil {
		return planner.Result{}, err
	}
	operator, err := seikeys.OperatorKeyFromMnemonic(string(mnemonic))
	if err != nil {
		return planner.Result{}, planner.Terminalf("Secret %s key %s is not a valid BIP-39 mnemonic", names.OperatorKey, MnemonicKey)
	}
	node.Status.OperatorAddress = operator.ValoperAddress()
	return planner.Done()
}

// keySecret returns the value under key of the Secret name in the node's namespace. When the Secret is
// absent and mint is set, it creates it (immutable) with generate's value; absent and not minted is an
// error that names the Secret. A concurrent creation is read back, never overwritten.
func (e *Env) keySecret(ctx context.Context, name, key string, mint bool, generate func() ([]byte, error)) ([]byte, error) {
	ref := types.NamespacedName{Namespace: e.Node.Namespace, Name: name}
	secret := &corev1.Secret{}
	err := e.Reader.Get(ctx, ref, secret)
	switch {
	case err == nil:
		if v := e.Node.Spec.Validator; v != nil && v.Identity.Mint {
			if refusal := mintedFor(secret, e.Node); refusal != nil {
				return nil, planner.Terminal(refusal)
			}
		}
		value, ok := secret.Data[key]
		if !ok || len(value) == 0 {
			return nil, planner.Terminalf("Secret %s has no %q key", ref, key)
		}
		return value, nil
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("read Secret %s: %w", ref, err)
	case !mint:
		return nil, fmt.Errorf("key Secret %s not found: create it in this cluster (key %q)", ref, key)
	}
	value, err := generate()
	if err != nil {
		return nil, fmt.Errorf("generate %s for Secret %s: %w", key, ref, err)
	}
	labels := map[string]string{
		seiv1alpha1.LabelNode:      e.Node.Name,
		seiv1alpha1.LabelChain:     e.Node.Spec.ChainID,
		seiv1alpha1.LabelComponent: key,
	}
	// Binds the key to the deployment the hub recorded on the node: a deployment recreated under the
	// same name has another UID, and its validators are refused these keys (mintedFor).
	if uid := e.Node.Labels[seiv1alpha1.LabelDeploymentUID]; uid != "" {
		labels[seiv1alpha1.LabelDeploymentUID] = uid
	}
	secret = &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ref.Namespace, Name: ref.Name,
			Labels: labels,
			Annotations: map[string]string{
				"sei.io/minted-by": "sei-fleet-agent: never overwritten; deleting it loses this identity",
			},
		},
		Immutable: ptr.To(true),
		Type:      corev1.SecretTypeOpaque,
		Data:      map[string][]byte{key: value},
	}
	if err := e.Client.Create(ctx, secret); err != nil {
		if apierrors.IsAlreadyExists(err) {
			// Another writer won the race: use its key, not ours.
			return e.keySecret(ctx, name, key, false, nil)
		}
		return nil, fmt.Errorf("create Secret %s: %w", ref, err)
	}
	return value, nil
}

// checkKeys runs CheckKeyClaims and CheckMintedKeys for env's node; a refusal is terminal.
func checkKeys(ctx context.Context, env *Env) error {
	for _, check := range []func() (*KeyRefusal, error){
		func() (*KeyRefusal, error) { return CheckKeyClaims(ctx, env.Client, env.Node) },
		func() (*KeyRefusal, error) { return CheckMintedKeys(ctx, env.Reader, env.Node) },
	} {
		refusal, err := check()
		if err != nil {
			return err
		}
		if refusal != nil {
			return planner.Terminal(refusal)
		}
	}
	return nil
}

var errNoOperatorKey = errors.New("a ceremony validator needs an operator key: set validator.identity.mint or operatorKeySecret")
