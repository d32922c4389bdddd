package deployment

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	hubgenesis "github.com/sei-protocol/sei-fleet/hub/genesis"
	"github.com/sei-protocol/sei-fleet/internal/genesis"
	"github.com/sei-protocol/sei-fleet/internal/genesiscm"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Keys and annotations of the genesis ConfigMap.
const (
	genesisPeersKey             = "peers"
	annotationGenesisTime       = "sei.io/genesis-time"
	annotationGenesisValidators = "sei.io/genesis-validators"
)

// GenesisConfigMapName names the ConfigMap that holds a deployment's genesis, on the hub and on every
// member hosting one of its nodes. The hash in the name keeps a later network under the same
// deployment name from ever colliding with an old one's ConfigMaps.
func GenesisConfigMapName(dep *seiv1alpha1.SeiNodeDeployment, sha256 string) string {
	return dep.Name + "-genesis-" + sha256[:12]
}

// awaitGentxs waits until every validator published its signed gentx, up to spec.genesis.deadline.
// Each gentx is checked with the others as it arrives: one that assembly would refuse (a minted
// consensus key equal to an external gentx's) fails the ceremony at once, before any genesis exists.
func awaitGentxs(_ context.Context, env *Env, pt *seiv1alpha1.PlannedTask) (planner.Result, error) {
	missing := missingGentxs(env)
	if len(missing) == 0 {
		return planner.Done() // assembly checks the full set
	}
	if err := hubgenesis.Check(env.Deployment, publishedGentxs(env), missing, env.now()); err != nil {
		return planner.Result{}, planner.Terminalf("%s: %v", seiv1alpha1.ReasonInvalidGentx, err)
	}
	deadline := env.Deployment.Spec.Genesis.Deadline.Duration
	wait, expired := waitFor(env, pt, deadline)
	if expired {
		return planner.Result{}, planner.Terminalf("%s: no gentx after %s from %s", seiv1alpha1.ReasonCeremonyDeadline, deadline, strings.Join(missing, ", "))
	}
	return planner.Running(wait) // a gentx arrives in a record's status, which wakes the deployment
}

// publishedGentxs returns the gentxs the deployment's validators published, ordered by record name.
func publishedGentxs(env *Env) [][]byte {
	records := append([]seiv1alpha1.SeiNode(nil), env.Records...)
	sort.Slice(records, func(i, j int) bool { return records[i].Name < records[j].Name })
	var gentxs [][]byte
	for i := range records {
		if g := records[i].Status.Gentx; g != "" {
			gentxs = append(gentxs, []byte(g))
		}
	}
	return gentxs
}

func missingGentxs(env *Env) []string {
	have := map[int]bool{}
	for i := range env.Records {
		if env.Records[i].Status.Gentx != "" {
			have[ordinalOf(&env.Records[i])] = true
		}
	}
	var missing []string
	for ord := 0; ord < int(env.Deployment.Spec.Replicas); ord++ {
		if !have[ord] {
			missing = append(missing, RecordName(env.Deployment, ord))
		}
	}
	return missing
}

// assembleGenesis assembles the genesis exactly once. It persists the genesis on the hub (an immutable
// ConfigMap with its sha256) and in the deployment's status before anything is distributed: it returns
// "running" once so the status write happens first. A genesis already persisted — after a restart at
// any step — is reused, never assembled again.
func assembleGenesis(ctx context.Context, env *Env, _ *seiv1alpha1.PlannedTask) (planner.Result, error) {
	dep := env.Deployment
	if dep.Status.Genesis != nil {
		return planner.Done()
	}
	cm, err := persistedGenesis(ctx, env)
	if err != nil {
		return planner.Result{}, err
	}
	if cm == nil {
		if cm, err = createGenesis(ctx, env); err != nil {
			return planner.Result{}, err
		}
	}
	status, err := genesisStatus(cm)
	if err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	dep.Status.Genesis = status
	return planner.Running(time.Millisecond) // persist status.genesis before distributing
}

// persistedGenesis finds the genesis this deployment (by UID) assembled before, if any: read from the
// API, not a cache, so a restart in the middle never misses it.
func persistedGenesis(ctx context.Context, env *Env) (*corev1.ConfigMap, error) {
	dep := env.Deployment
	list := &corev1.ConfigMapList{}
	if err := env.HubReader.List(ctx, list, client.InNamespace(dep.Namespace), client.MatchingLabels{
		seiv1alpha1.LabelDeploymentUID: string(dep.UID), seiv1alpha1.LabelComponent: seiv1alpha1.ComponentGenesis,
	}); err != nil {
		return nil, fmt.Errorf("list genesis ConfigMaps of %s: %w", dep.Name, err)
	}
	switch len(list.Items) {
	case 0:
		return nil, nil
	case 1:
		return &list.Items[0], nil
	default:
		return nil, planner.Terminalf("deployment %s has %d genesis ConfigMaps: refusing to choose", dep.Name, len(list.Items))
	}
}

func createGenesis(ctx context.Context, env *Env) (*corev1.ConfigMap, error) {
	dep := env.Deployment
	in, err := hubgenesis.Input(dep, publishedGentxs(env), env.now())
	if err != nil {
		return nil, planner.Terminalf("%s: %v", seiv1alpha1.ReasonInvalidGentx, err)
	}
	res, err := genesis.Assemble(in)
	if err != nil {
		return nil, planner.Terminalf("%s: %v", seiv1alpha1.ReasonInvalidGentx, err)
	}
	peers, err := json.Marshal(res.PersistentPeers())
	if err != nil {
		return nil, fmt.Errorf("encode peers: %w", err)
	}
	key := client.ObjectKey{Namespace: dep.Namespace, Name: GenesisConfigMapName(dep, res.SHA256)}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: key.Namespace, Name: key.Name,
			Labels: map[string]string{
				seiv1alpha1.LabelDeployment: dep.Name, seiv1alpha1.LabelDeploymentUID: string(dep.UID),
				seiv1alpha1.LabelChain: dep.Spec.ChainID, seiv1alpha1.LabelComponent: seiv1alpha1.ComponentGenesis,
			},
			Annotations: map[string]string{
				seiv1alpha1.AnnotationGenesisSHA256: res.SHA256,
				annotationGenesisTime:               in.GenesisTime.UTC().Format(time.RFC3339),
				annotationGenesisValidators:         strconv.Itoa(len(res.Validators)),
			},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(dep, seiv1alpha1.GroupVersion.WithKind("SeiNodeDeployment"))},
		},
		Immutable: ptr.To(true),
		Data:      map[string]string{genesiscm.Key: string(res.Genesis), genesisPeersKey: string(peers)},
	}
	if err := env.Hub.Create(ctx, cm); err != nil {
		if apierrors.IsAlreadyExists(err) { // an earlier attempt won: use that one, never a second genesis
			existing := &corev1.ConfigMap{}
			if err := env.HubReader.Get(ctx, key, existing); err != nil {
				return nil, fmt.Errorf("read genesis ConfigMap %s: %w", key, err)
			}
			return existing, nil
		}
		return nil, fmt.Errorf("create genesis ConfigMap %s: %w", key, err)
	}
	return cm, nil
}

// genesisStatus reads a genesis ConfigMap back, checking its content against its recorded hash.
func genesisStatus(cm *corev1.ConfigMap) (*seiv1alpha1.GenesisStatus, error) {
	want := cm.Annotations[seiv1alpha1.AnnotationGenesisSHA256]
	if got, _ := genesiscm.Hash(cm); got != want {
		return nil, fmt.Errorf("genesis ConfigMap %s/%s hashes to %s but records %s", cm.Namespace, cm.Name, got, want)
	}
	t, err := time.Parse(time.RFC3339, cm.Annotations[annotationGenesisTime])
	if err != nil {
		return nil, fmt.Errorf("genesis ConfigMap %s/%s: bad genesis time: %w", cm.Namespace, cm.Name, err)
	}
	n, _ := strconv.Atoi(cm.Annotations[annotationGenesisValidators])
	return &seiv1alpha1.GenesisStatus{SHA256: want, ConfigMapName: cm.Name, GenesisTime: metav1.NewTime(t), Validators: int32(n)}, nil
}

// genesisPeers reads the persistent peers stored with a genesis.
func genesisPeers(cm *corev1.ConfigMap) ([]string, error) {
	var peers []string
	if err := json.Unmarshal([]byte(cm.Data[genesisPeersKey]), &peers); err != nil {
		return nil, fmt.Errorf("genesis ConfigMap %s/%s: bad peers: %w", cm.Namespace, cm.Name, err)
	}
	return peers, nil
}

// distributeGenesis points every record at the persisted genesis and gives it its peers: the other
// genesis validators, by nodeID@address.
func distributeGenesis(ctx context.Context, env *Env, _ *seiv1alpha1.PlannedTask) (planner.Result, error) {
	dep := env.Deployment
	if dep.Status.Genesis == nil {
		return planner.Result{}, planner.Terminalf("no genesis to distribute")
	}
	cm := &corev1.ConfigMap{}
	key := client.ObjectKey{Namespace: dep.Namespace, Name: dep.Status.Genesis.ConfigMapName}
	if err := env.HubReader.Get(ctx, key, cm); err != nil {
		return planner.Result{}, fmt.Errorf("read genesis ConfigMap %s: %w", key, err)
	}
	all, err := genesisPeers(cm)
	if err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	ref := &seiv1alpha1.GenesisSource{ConfigMapName: cm.Name, SHA256: dep.Status.Genesis.SHA256}
	for i := range env.Records {
		rec := &env.Records[i]
		if !rec.DeletionTimestamp.IsZero() {
			continue
		}
		in := recordInput{Ordinal: ordinalOf(rec), Policy: env.Policy, Genesis: ref, Peers: hubgenesis.Peers(all, rec.Status.NodeID)}
		if err := rewrite(ctx, env, in); err != nil {
			return planner.Result{}, err
		}
	}
	return planner.Done()
}
