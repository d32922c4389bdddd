package deployment

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	hubgenesis "github.com/sei-protocol/sei-fleet/hub/genesis"
	"github.com/sei-protocol/sei-fleet/hub/placement"
	"github.com/sei-protocol/sei-fleet/hub/rollout"
	"github.com/sei-protocol/sei-fleet/internal/nodeconfig"
)

// evaluation is what a reconcile learned about where the deployment's nodes may and should run.
type evaluation struct {
	// blockedReason and blockedMessage say why nothing can be placed at all (policy missing, namespace
	// not allowed, join target not ready); empty when placement could run.
	blockedReason, blockedMessage string
	decision                      *placement.Decision
	domains                       map[string]string
	policy                        string
	powerCap                      rollout.Fraction
	join                          *JoinTarget
	// unconfirmed are validator ordinals the scheduler would move whose fence an uncached read of
	// the record does not confirm (the cache is behind): they are not moved by this decision.
	unconfirmed map[int]bool
	// now is when the decision was made (signing-state floors start at the genesis time).
	now time.Time
	// floorMargin is added to the highest height seen for a signing-state floor.
	floorMargin int64
}

func (e *evaluation) blocked(reason, format string, args ...any) *evaluation {
	e.blockedReason, e.blockedMessage = reason, fmt.Sprintf(format, args...)
	return e
}

// evaluate reads the policy, the cluster inventory, other deployments' usage and, for joiners, the
// network they join, and runs the scheduler over the deployment's current records.
func (r *Reconciler) evaluate(ctx context.Context, dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode) (*evaluation, error) {
	ev := &evaluation{policy: dep.Spec.Placement.PolicyName, powerCap: rollout.DefaultPowerCap, now: r.now(), floorMargin: r.floorMargin()}
	if msg := invalidOverrides(dep); msg != "" {
		return ev.blocked(seiv1alpha1.ReasonInvalidOverrides, "%s", msg), nil
	}
	if msg := invalidGenesis(dep, r.now()); msg != "" {
		return ev.blocked(seiv1alpha1.ReasonInvalidGenesisInput, "%s", msg), nil
	}
	pol := &seiv1alpha1.SeiPlacementPolicy{}
	if err := r.Hub.Get(ctx, client.ObjectKey{Name: ev.policy}, pol); err != nil {
		if apierrors.IsNotFound(err) {
			return ev.blocked(seiv1alpha1.ReasonPolicyNotFound, "SeiPlacementPolicy %s not found", ev.policy), nil
		}
		return nil, fmt.Errorf("get SeiPlacementPolicy %s: %w", ev.policy, err)
	}
	ok, why, err := r.Inventory.AllowsNamespace(ctx, &pol.Spec, dep.Namespace)
	if err != nil {
		return nil, err
	}
	if !ok {
		return ev.blocked(seiv1alpha1.ReasonNamespaceNotAllowed, "SeiPlacementPolicy %s does not allow namespace %s: %s", ev.policy, dep.Namespace, why), nil
	}
	if dep.Spec.Joins != nil {
		join, msg, err := r.joinTarget(ctx, dep)
		if err != nil {
			return nil, err
		}
		if join == nil {
			return ev.blocked(seiv1alpha1.ReasonJoinTargetNotReady, "%s", msg), nil
		}
		ev.join = join
	}
	clusters, err := r.Inventory.Clusters(ctx, &pol.Spec)
	if err != nil {
		return nil, err
	}
	usage, err := r.usage(ctx, pol, records)
	if err != nil {
		return nil, err
	}
	validators := dep.Spec.Role == seiv1alpha1.RoleValidator
	current, fenced := map[int]string{}, map[int]bool{}
	if validators {
		// A validator is where the memory says, with or without a live record: one whose record is
		// gone or going still runs there, and is placed nowhere else until that cluster confirms it gone.
		for _, p := range dep.Status.ValidatorPlacements {
			current[int(p.Ordinal)], fenced[int(p.Ordinal)] = p.Cluster, p.Fenced
		}
	} else {
		for i := range records {
			rec := &records[i]
			if ord := ordinalOf(rec); ord >= 0 && rec.DeletionTimestamp.IsZero() {
				current[ord] = rec.Spec.ClusterName
			}
		}
	}
	d := placement.Schedule(placement.Input{
		Policy: pol.Spec, DeploymentSelector: dep.Spec.Placement.ClusterSelector, Clusters: clusters,
		Replicas: int(dep.Spec.Replicas), Validators: validators, NodePower: nodePower(dep), ExternalPower: externalPower(dep),
		Current: current, Fenced: fenced, Usage: usage, Now: r.now(),
	})
	ev.decision = &d
	if validators {
		if ev.unconfirmed, err = r.unconfirmedMoves(ctx, dep, d.Moves); err != nil {
			return nil, err
		}
	}
	ev.domains = map[string]string{}
	for _, c := range d.Clusters {
		ev.domains[c.Name] = c.Domain
	}
	return ev, nil
}

// unconfirmedMoves re-reads, uncached, the record of every validator the scheduler moves, and returns
// those whose record does not confirm the fence the memory holds: the record exists and is not fenced
// on the cluster the validator leaves, or names another cluster. A move changes the memory for good,
// so it is decided on the apiserver's word, not the cache's. With no record at all the memory's own
// fence (kept from the record when it had one) stands.
func (r *Reconciler) unconfirmedMoves(ctx context.Context, dep *seiv1alpha1.SeiNodeDeployment, moves []placement.Move) (map[int]bool, error) {
	var out map[int]bool
	for _, m := range moves {
		rec := &seiv1alpha1.SeiNode{}
		err := r.HubReader.Get(ctx, client.ObjectKey{Namespace: dep.Namespace, Name: RecordName(dep, m.Ordinal)}, rec)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("read record of validator %d to confirm its fence: %w", m.Ordinal, err)
		case rec.Spec.ClusterName == m.From && rec.Annotations[seiv1alpha1.AnnotationFencedCluster] == m.From:
			continue
		}
		if out == nil {
			out = map[int]bool{}
		}
		out[m.Ordinal] = true
	}
	return out, nil
}

// invalidOverrides checks the template's overrides as the agent and the sidecar will, and says what is
// wrong with them, or "". The apiserver refuses unknown keys already, but not values, nor objects
// stored before its rule (or this sei-config version) came: checked here, a bad template places no
// record, mints no key and rolls out to no node.
func invalidOverrides(dep *seiv1alpha1.SeiNodeDeployment) string {
	if err := nodeconfig.ValidateOverrides(string(dep.Spec.Role.Mode()), dep.Spec.Template.Overrides); err != nil {
		return nodeconfig.Summary("spec.template.overrides", err)
	}
	return ""
}

// invalidGenesis checks a ceremony's input as assembly will, standing in for validators whose keys are
// not minted yet, and says what assembly would refuse, or "". Checked before anything is placed, bad
// input mints no key and starts no node; once the genesis exists there is nothing left to check.
func invalidGenesis(dep *seiv1alpha1.SeiNodeDeployment, now time.Time) string {
	if dep.Spec.Genesis == nil || dep.Status.Genesis != nil {
		return ""
	}
	pending := make([]string, 0, dep.Spec.Replicas)
	for ord := range int(dep.Spec.Replicas) {
		pending = append(pending, RecordName(dep, ord)) // the moniker buildRecord gives the validator
	}
	if err := hubgenesis.Check(dep, nil, pending, now); err != nil {
		return "spec.genesis: " + err.Error()
	}
	return ""
}

// usage counts, per cluster, the nodes other deployments placed under the same policy. Under a capped
// policy (maxNodesPerCluster), where the count decides whether a cluster is full, it is counted afresh
// from the cache; otherwise it only breaks ties towards emptier clusters, and the count kept per policy
// (valid until a record under it is created, deleted or moved) does.
func (r *Reconciler) usage(ctx context.Context, pol *seiv1alpha1.SeiPlacementPolicy, records []seiv1alpha1.SeiNode) (map[string]int, error) {
	counts := &r.usageCounts
	if pol.Spec.MaxNodesPerCluster != nil {
		counts = &policyUsage{} // not watched: counts every time
	}
	all, err := counts.of(ctx, r.Hub, pol.Name)
	if err != nil {
		return nil, err
	}
	out := maps.Clone(all)
	for i := range records {
		if rec := &records[i]; rec.Labels[seiv1alpha1.LabelPolicy] == pol.Name {
			out[rec.Spec.ClusterName]--
		}
	}
	for cluster, n := range out {
		if n <= 0 { // the deployment's own records, or a count a moment behind them
			delete(out, cluster)
		}
	}
	return out, nil
}

// joinTarget returns the genesis and peers of the network dep joins, or nil and why it is not ready.
func (r *Reconciler) joinTarget(ctx context.Context, dep *seiv1alpha1.SeiNodeDeployment) (*JoinTarget, string, error) {
	target := &seiv1alpha1.SeiNodeDeployment{}
	key := client.ObjectKey{Namespace: dep.Namespace, Name: dep.Spec.Joins.Deployment}
	if err := r.Hub.Get(ctx, key, target); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Sprintf("the deployment to join, %s, does not exist", key), nil
		}
		return nil, "", fmt.Errorf("get SeiNodeDeployment %s: %w", key, err)
	}
	if target.Spec.ChainID != dep.Spec.ChainID {
		return nil, fmt.Sprintf("the deployment to join, %s, runs chain %s, not %s", key, target.Spec.ChainID, dep.Spec.ChainID), nil
	}
	g := target.Status.Genesis
	if g == nil {
		return nil, fmt.Sprintf("waiting for %s to complete its genesis ceremony", key), nil
	}
	cm := &corev1.ConfigMap{}
	if err := r.HubReader.Get(ctx, client.ObjectKey{Namespace: dep.Namespace, Name: g.ConfigMapName}, cm); err != nil {
		return nil, "", fmt.Errorf("read genesis of %s: %w", key, err)
	}
	peers, err := genesisPeers(cm)
	if err != nil {
		return nil, "", err
	}
	witnesses, err := r.witnesses(ctx, target)
	if err != nil {
		return nil, "", err
	}
	if needsWitnesses(dep) && len(witnesses) == 0 {
		return nil, fmt.Sprintf("spec.bootstrap names no rpcServers: waiting for a node of %s that serves state sync (template.serveStateSync) to report its RPC address", key), nil
	}
	return &JoinTarget{Genesis: seiv1alpha1.GenesisSource{ConfigMapName: g.ConfigMapName, SHA256: g.SHA256}, Peers: peers, Witnesses: witnesses,
		Upgrade: target.Spec.Upgrade.DeepCopy()}, "", nil
}

// witnesses lists target's nodes that report an RPC address (they serve state sync), by name.
func (r *Reconciler) witnesses(ctx context.Context, target *seiv1alpha1.SeiNodeDeployment) ([]Witness, error) {
	recs := &seiv1alpha1.SeiNodeList{}
	if err := r.Hub.List(ctx, recs, client.InNamespace(target.Namespace), client.MatchingLabels{seiv1alpha1.LabelDeployment: target.Name}); err != nil {
		return nil, fmt.Errorf("list SeiNodes of %s: %w", client.ObjectKeyFromObject(target), err)
	}
	slices.SortFunc(recs.Items, func(a, b seiv1alpha1.SeiNode) int { return strings.Compare(a.Name, b.Name) })
	var out []Witness
	for i := range recs.Items {
		rec := &recs.Items[i]
		if rec.Status.RPCAddress != "" && rec.DeletionTimestamp.IsZero() {
			out = append(out, Witness{Cluster: rec.Spec.ClusterName, RPCAddress: rec.Status.RPCAddress})
		}
	}
	return out, nil
}

// needsWitnesses: dep bootstraps its nodes and names no witnesses, so the joined deployment's are used.
func needsWitnesses(dep *seiv1alpha1.SeiNodeDeployment) bool {
	b := dep.Spec.Bootstrap
	if b == nil {
		return false
	}
	lc := lightClient(b)
	return lc != nil && len(lc.RPCServers) == 0
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) floorMargin() int64 {
	if r.FloorMargin > 0 {
		return r.FloorMargin
	}
	return DefaultFloorMargin
}
