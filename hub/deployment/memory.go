package deployment

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	hubgenesis "github.com/sei-protocol/sei-fleet/hub/genesis"
	"github.com/sei-protocol/sei-fleet/planner"
)

// A validator's record can go — deleted by hand (no admission policy stops it in a dev fleet), or
// released while its cluster was away — while its member copy keeps running with its keys. Placing the
// ordinal afresh would then start a second signer elsewhere. So the hub remembers, in the deployment's
// status (status.validatorPlacements), where each validator ordinal runs, and that memory, not the
// records, is where the scheduler finds it:
//
//   - the place plan writes an entry in the same status write that persists the plan, before any
//     record is written, and it moves an entry to another cluster only for a move after a fence that
//     an uncached read confirmed;
//   - records only add facts about the cluster the memory names (copy UID, fence, heights, floor);
//     what a record says about another cluster never moves the memory, so a stale cache cannot;
//   - an entry goes only when its ordinal is scaled away and no record of it is left.

// DefaultFloorMargin is what the hub adds to the highest block height it saw when it sets a validator's
// signingStateFloor. The heights it sees lag the chain: the agent reads them every --height-interval
// (30s by default) and the mirror copies them up a moment later. Sei makes a block about every 400ms, so
// the chain moves about 75 blocks in that lag; 1000 covers a lag of more than six minutes at that pace,
// or 30s at 30ms blocks. The cost of a floor above the chain's height is that the validator signs
// nothing until the chain reaches it: at most about 1000 blocks missed, which can jail it for downtime
// (recoverable), never tombstone it.
// DefaultFloorMargin is the hub's default (--signing-floor-margin).
const DefaultFloorMargin = 1000

// maxReplicas is the most replicas a deployment has (spec.replicas' maximum): ordinals are below it.
const maxReplicas = 200

// rememberPlacement sets where ordinal runs. A new cluster forgets what was known about the old one
// (its copy, its fence); the floor only ever rises.
func rememberPlacement(dep *seiv1alpha1.SeiNodeDeployment, ordinal int, cluster string, floor int64) {
	p := dep.Status.PlacementOf(ordinal)
	if p == nil {
		dep.Status.ValidatorPlacements = append(dep.Status.ValidatorPlacements, seiv1alpha1.ValidatorPlacement{Ordinal: int32(ordinal)})
		p = &dep.Status.ValidatorPlacements[len(dep.Status.ValidatorPlacements)-1]
	}
	if p.Cluster != cluster {
		p.Cluster, p.MemberCopyUID, p.Fenced = cluster, "", false
	}
	p.SigningStateFloor = max(p.SigningStateFloor, floor)
	sortPlacements(dep)
}

func sortPlacements(dep *seiv1alpha1.SeiNodeDeployment) {
	sort.Slice(dep.Status.ValidatorPlacements, func(i, j int) bool {
		return dep.Status.ValidatorPlacements[i].Ordinal < dep.Status.ValidatorPlacements[j].Ordinal
	})
}

// remember brings the memory up to date with the records (live or being deleted): a record adds what it
// knows about the cluster the memory names, and starts the memory of a validator placed before the hub
// kept one. It never moves an entry to another cluster: that is the place plan's alone.
func remember(dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode) {
	if dep.Spec.Role != seiv1alpha1.RoleValidator {
		dep.Status.ValidatorPlacements = nil
		return
	}
	alive := map[int]bool{}
	for i := range records {
		rec := &records[i]
		ord := ordinalOf(rec)
		if ord < 0 || ord >= maxReplicas || rec.Spec.ClusterName == "" {
			continue // not one the deployment can have made: its memory could not hold it
		}
		alive[ord] = true
		p := dep.Status.PlacementOf(ord)
		if p == nil {
			rememberPlacement(dep, ord, rec.Spec.ClusterName, 0)
			p = dep.Status.PlacementOf(ord)
		}
		// Heights and floors are facts about the chain and the key, wherever the record says it runs.
		p.Height = max(p.Height, rec.Status.Height)
		if v := rec.Spec.Validator; v != nil {
			p.SigningStateFloor = max(p.SigningStateFloor, v.SigningStateFloor)
		}
		if rec.Spec.ClusterName != p.Cluster {
			continue // a move being written, or a stale cache: nothing it says about a copy counts
		}
		if uid := rec.Annotations[seiv1alpha1.AnnotationMemberCopyUID]; uid != "" && len(uid) <= 128 {
			p.MemberCopyUID = uid
		}
		if id := rec.Status.NodeID; id != "" && len(id) <= 64 {
			p.NodeID = id
		}
		p.Fenced = rec.Annotations[seiv1alpha1.AnnotationFencedCluster] == p.Cluster
	}
	kept := dep.Status.ValidatorPlacements[:0]
	for _, p := range dep.Status.ValidatorPlacements {
		if int(p.Ordinal) < int(dep.Spec.Replicas) || alive[int(p.Ordinal)] {
			kept = append(kept, p)
		}
	}
	dep.Status.ValidatorPlacements = kept
	if len(kept) == 0 {
		dep.Status.ValidatorPlacements = nil
	}
}

// signingFloor is the signingStateFloor for a validator written onto a cluster anew: the highest block
// height the hub saw for the deployment, plus margin. Zero before the genesis time: no block, so
// no vote, can exist yet (ceremony validators start at genesis with an empty signing state).
func signingFloor(dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode, now time.Time, margin int64) int64 {
	g := dep.Status.Genesis
	if g == nil || now.Before(g.GenesisTime.Time) {
		return 0
	}
	return highestHeight(dep, records) + margin
}

// highestHeight is the highest block height the hub saw for a deployment: in any record, status row or
// remembered placement.
func highestHeight(dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode) int64 {
	var highest int64
	for i := range records {
		highest = max(highest, records[i].Status.Height)
	}
	for _, n := range dep.Status.Nodes {
		highest = max(highest, n.Height)
	}
	for _, p := range dep.Status.ValidatorPlacements {
		highest = max(highest, p.Height)
	}
	return highest
}

// startFromGenesis gives a validator record written anew after the ceremony the genesis and the peers
// its node already runs with, so a copy that kept running is not changed by more than its floor.
func (e *Env) startFromGenesis(ctx context.Context, in *recordInput) error {
	dep := e.Deployment
	g := dep.Status.Genesis
	if dep.Spec.Role != seiv1alpha1.RoleValidator || g == nil || in.Genesis != nil {
		return nil
	}
	cm := &corev1.ConfigMap{}
	key := client.ObjectKey{Namespace: dep.Namespace, Name: g.ConfigMapName}
	if err := e.HubReader.Get(ctx, key, cm); err != nil {
		return fmt.Errorf("read genesis ConfigMap %s: %w", key, err)
	}
	all, err := genesisPeers(cm)
	if err != nil {
		return planner.Terminal(err)
	}
	nodeID := ""
	if p := dep.Status.PlacementOf(in.Ordinal); p != nil {
		nodeID = p.NodeID
	}
	in.Genesis = &seiv1alpha1.GenesisSource{ConfigMapName: g.ConfigMapName, SHA256: g.SHA256}
	in.Peers = hubgenesis.Peers(all, nodeID)
	return nil
}

// restoreCopyUID puts back, on a validator record written anew on the cluster the memory names, the UID
// of the member copy the hub last saw there: a fence accepts "gone" only for that copy.
func (e *Env) restoreCopyUID(ctx context.Context, ordinal int, cluster string) error {
	p := e.Deployment.Status.PlacementOf(ordinal)
	if e.Deployment.Spec.Role != seiv1alpha1.RoleValidator || p == nil || p.Cluster != cluster || p.MemberCopyUID == "" {
		return nil
	}
	rec, err := e.fresh(ctx, ordinal)
	if err != nil || rec == nil || rec.Annotations[seiv1alpha1.AnnotationMemberCopyUID] != "" {
		return err
	}
	return annotate(ctx, e, rec, seiv1alpha1.AnnotationMemberCopyUID, p.MemberCopyUID)
}
