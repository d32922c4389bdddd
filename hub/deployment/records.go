package deployment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// RecordName is the name of a deployment's record for ordinal.
func RecordName(dep *seiv1alpha1.SeiNodeDeployment, ordinal int) string {
	return fmt.Sprintf("%s-%d", dep.Name, ordinal)
}

// ordinalOf reads a record's ordinal label, or -1.
func ordinalOf(n *seiv1alpha1.SeiNode) int {
	o, err := strconv.Atoi(n.Labels[seiv1alpha1.LabelOrdinal])
	if err != nil {
		return -1
	}
	return o
}

// TemplateHash identifies what a rollout moves records to: the image and the node template, and the
// halt height of a scheduled upgrade (omitted when there is none, so that hashes written before
// upgrades existed stay the same).
func TemplateHash(dep *seiv1alpha1.SeiNodeDeployment) string {
	raw, _ := json.Marshal(struct {
		Image      string                   `json:"image"`
		Template   seiv1alpha1.NodeSettings `json:"template"`
		HaltHeight int64                    `json:"haltHeight,omitempty"`
	}{desiredImage(dep), dep.Spec.Template, desiredHaltHeight(dep)})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])[:16]
}

// mode returns the SeiNode mode fields for the deployment's role.
func applyMode(spec *seiv1alpha1.SeiNodeSpec, dep *seiv1alpha1.SeiNodeDeployment, name string) {
	switch dep.Spec.Role {
	case seiv1alpha1.RoleValidator:
		v := &seiv1alpha1.ValidatorSpec{Identity: seiv1alpha1.ValidatorIdentity{Mint: true}}
		if g := dep.Spec.Genesis; g != nil {
			v.Ceremony = &seiv1alpha1.CeremonySpec{Moniker: name, StakingAmount: g.StakingAmount, AccountBalance: g.AccountBalance}
		}
		spec.Validator = v
	case seiv1alpha1.RoleArchive:
		spec.Archive = &seiv1alpha1.ArchiveSpec{}
	case seiv1alpha1.RoleSeed:
		spec.Seed = &seiv1alpha1.SeedSpec{}
	default:
		spec.FullNode = &seiv1alpha1.FullNodeSpec{}
	}
}

// recordInput is what a record is written from.
type recordInput struct {
	Ordinal int
	Cluster string
	// Template, when set, is written as the record's image and settings with its hash; when nil the
	// existing record's image, settings and hash are kept (a move or a genesis update is not a rollout).
	Template *seiv1alpha1.SeiNodeDeployment
	Existing *seiv1alpha1.SeiNode
	Genesis  *seiv1alpha1.GenesisSource
	Peers    []string
	// Witnesses are the default light-client witnesses (RPC host:port) of a new full node whose
	// bootstrap names none.
	Witnesses []string
	Policy    string
	// Floor is a validator's signingStateFloor; the record keeps its own when that is higher (a floor
	// never decreases, and a write that is not a placement anew passes none).
	Floor int64
}

// buildRecord renders the hub record for one ordinal. Fields the hub wrote before and does not change
// now (genesis, peers, template) are carried over from the existing record: server-side apply would
// otherwise remove them.
func buildRecord(dep *seiv1alpha1.SeiNodeDeployment, in recordInput) *seiv1alpha1.SeiNode {
	name := RecordName(dep, in.Ordinal)
	spec := seiv1alpha1.SeiNodeSpec{ChainID: dep.Spec.ChainID, ClusterName: in.Cluster, Paused: dep.Spec.Paused}
	applyMode(&spec, dep, name)
	hash := TemplateHash(dep)
	if in.Template != nil || in.Existing == nil {
		spec.Image = desiredImage(dep)
		spec.NodeSettings = *dep.Spec.Template.DeepCopy()
		spec.HaltHeight = desiredHaltHeight(dep)
	} else {
		spec.Image = in.Existing.Spec.Image
		spec.NodeSettings = *in.Existing.Spec.NodeSettings.DeepCopy()
		spec.HaltHeight = in.Existing.Spec.HaltHeight
		hash = in.Existing.Annotations[seiv1alpha1.AnnotationTemplateHash]
	}
	spec.Genesis, spec.Peers = in.Genesis, in.Peers
	applyBootstrap(&spec, dep, in)
	if v := spec.Validator; v != nil {
		v.SigningStateFloor = in.Floor
		if in.Existing != nil && in.Existing.Spec.Validator != nil {
			v.SigningStateFloor = max(v.SigningStateFloor, in.Existing.Spec.Validator.SigningStateFloor)
		}
	}
	if in.Existing != nil {
		if spec.Genesis == nil {
			spec.Genesis = in.Existing.Spec.Genesis
		}
		if spec.Peers == nil {
			spec.Peers = in.Existing.Spec.Peers
		}
	}
	return &seiv1alpha1.SeiNode{
		TypeMeta: metav1.TypeMeta{APIVersion: seiv1alpha1.GroupVersion.String(), Kind: "SeiNode"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: dep.Namespace, Name: name,
			Labels: map[string]string{
				seiv1alpha1.LabelDeployment: dep.Name,
				// The agent binds the keys it mints to one deployment by this (a deployment recreated
				// under the same name is another network).
				seiv1alpha1.LabelDeploymentUID: string(dep.UID),
				seiv1alpha1.LabelOrdinal:       strconv.Itoa(in.Ordinal),
				seiv1alpha1.LabelChain:         dep.Spec.ChainID,
				seiv1alpha1.LabelRole:          string(spec.Mode()),
				seiv1alpha1.LabelCluster:       in.Cluster,
				seiv1alpha1.LabelPolicy:        in.Policy,
			},
			Annotations: map[string]string{
				seiv1alpha1.AnnotationDeletionPolicy: string(deletionPolicy(dep)),
				seiv1alpha1.AnnotationTemplateHash:   hash,
			},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(dep, seiv1alpha1.GroupVersion.WithKind("SeiNodeDeployment"))},
			Finalizers:      []string{seiv1alpha1.FinalizerNodeRecord},
		},
		Spec: spec,
	}
}

func deletionPolicy(dep *seiv1alpha1.SeiNodeDeployment) seiv1alpha1.DeletionPolicy {
	if dep.Spec.DeletionPolicy == "" {
		return seiv1alpha1.DeletionRetain
	}
	return dep.Spec.DeletionPolicy
}

// applyBootstrap gives a new full node the deployment's bootstrap, with the default witnesses where
// it names none. An existing record keeps the bootstrap it was created with: bootstrap acts on a
// node's first start only, and admission refuses adding, removing or switching it later.
func applyBootstrap(spec *seiv1alpha1.SeiNodeSpec, dep *seiv1alpha1.SeiNodeDeployment, in recordInput) {
	if spec.FullNode == nil {
		return
	}
	if in.Existing != nil {
		if fn := in.Existing.Spec.FullNode; fn != nil {
			spec.FullNode.Bootstrap = fn.Bootstrap.DeepCopy()
		}
		return
	}
	b := dep.Spec.Bootstrap.DeepCopy()
	if b == nil {
		return
	}
	if lc := lightClient(b); lc != nil && len(lc.RPCServers) == 0 && len(in.Witnesses) > 0 {
		lc.RPCServers = slices.Clone(in.Witnesses)
	}
	spec.FullNode.Bootstrap = b
}

func lightClient(b *seiv1alpha1.BootstrapSpec) *seiv1alpha1.LightClientSpec {
	switch {
	case b.StateSync != nil:
		return &b.StateSync.LightClientSpec
	case b.Snapshot != nil:
		return &b.Snapshot.LightClientSpec
	}
	return nil
}

// witnessesFor picks a joiner's witnesses in cluster: those in other clusters first, so that the
// trust point comes from another cluster's node, and those in its own cluster only when fewer than
// two others exist (seid's light client wants a primary and a witness).
func witnessesFor(cluster string, all []Witness) []string {
	var others, same []string
	for _, w := range all {
		if w.Cluster == cluster {
			same = append(same, w.RPCAddress)
		} else {
			others = append(others, w.RPCAddress)
		}
	}
	if len(others) >= 2 {
		return others
	}
	others = append(others, same...)
	if len(others) == 1 { // admission wants two: name the one witness twice, as the sidecar would
		others = append(others, others[0])
	}
	return others
}
