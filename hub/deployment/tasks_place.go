package deployment

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/kube"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Placement is the params of write-records: the scheduler's decision, fixed when the plan was built.
type Placement struct {
	// Place maps ordinal to cluster for every record to write (new or moved).
	Place map[int]string `json:"place,omitempty"`
	// Remove lists ordinals whose records go (scale down).
	Remove []int `json:"remove,omitempty"`
	// Join, for nodes joining another deployment's network, is the genesis and peers they start from.
	Join *JoinTarget `json:"join,omitempty"`
	// Floors maps a validator's ordinal to the signingStateFloor its record gets (at least; a record
	// never gets a lower floor than it has).
	Floors map[int]int64 `json:"floors,omitempty"`
	// From maps every ordinal of Place to the cluster its record named when the plan was made ("" for
	// none). A record found elsewhere when the plan runs was moved by a write the plan's view had not
	// seen: the plan fails rather than write from that view, and a new one is made.
	From map[int]string `json:"from,omitempty"`
	// Leaving maps a validator that moves to the cluster it leaves (the one its deployment's memory
	// named). The move is written only once that cluster, verified, holds no copy of it right then.
	Leaving map[int]string `json:"leaving,omitempty"`
}

// JoinTarget is the network a non-validator deployment joins.
type JoinTarget struct {
	Genesis seiv1alpha1.GenesisSource `json:"genesis"`
	Peers   []string                  `json:"peers"`
	// Witnesses are the joined deployment's nodes that serve state sync, with their RPC addresses:
	// the default light-client witnesses of joiners that bootstrap by state sync or snapshot.
	Witnesses []Witness `json:"witnesses,omitempty"`
	// Upgrade is the joined deployment's spec.upgrade: the joiner's nodes halt and switch with it.
	// Not part of a place plan's parameters.
	Upgrade *seiv1alpha1.UpgradeSpec `json:"-"`
}

// Witness is a node that serves state sync: its cluster and its RPC address (host:port).
type Witness struct {
	Cluster    string `json:"cluster"`
	RPCAddress string `json:"rpcAddress"`
}

// writeRecords writes the records the placement decided (new ones with the current template; moved
// ones keep their template) and deletes removed ones. Each record is read again, uncached, before it is
// written: one being deleted is never written (its ordinal is placed again once it is gone), and what
// is carried over from the old record comes from the apiserver, not from a cache that may be behind.
// Idempotent: server-side apply of the same record changes nothing, and deleting a deleted record is a
// no-op.
func writeRecords(ctx context.Context, env *Env, pt *seiv1alpha1.PlannedTask, p Placement) (planner.Result, error) {
	// New records are independent of each other: they are written concurrently, so a deployment of
	// hundreds of nodes costs a few round trips of wall time, not hundreds. A record that exists or
	// moves is written one at a time, in ordinal order, as before: a move may wait for its fence.
	var fresh, rest []int
	for _, ord := range slices.Sorted(maps.Keys(p.Place)) {
		if _, leaving := p.Leaving[ord]; p.From[ord] == "" && !leaving {
			fresh = append(fresh, ord)
		} else {
			rest = append(rest, ord)
		}
	}
	errs := make([]error, len(fresh))
	var wg sync.WaitGroup
	sem := make(chan struct{}, recordWriters)
	for i, ord := range fresh {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, _, errs[i] = writeRecord(ctx, env, pt, p, ord)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return planner.Result{}, err // the lowest ordinal's: the same error on every retry
		}
	}
	for _, ord := range rest {
		if wait, res, err := writeRecord(ctx, env, pt, p, ord); wait || err != nil {
			return res, err
		}
	}
	for _, ord := range p.Remove {
		rec := env.record(ord)
		if rec == nil {
			continue
		}
		if err := deleteRecord(ctx, env, rec); err != nil {
			return planner.Result{}, err
		}
	}
	return planner.Done()
}

// recordWriters bounds the new records one plan writes at once (the hub's client rate limit bounds
// them across plans).
const recordWriters = 16

// writeRecord writes ordinal's record as the placement decided. wait reports a move still waiting for
// its old copy to be gone (res says when to look again).
func writeRecord(ctx context.Context, env *Env, pt *seiv1alpha1.PlannedTask, p Placement, ord int) (bool, planner.Result, error) {
	dep := env.Deployment
	cluster := p.Place[ord]
	existing, err := env.fresh(ctx, ord)
	if err != nil {
		return false, planner.Result{}, err
	}
	if existing != nil && !existing.DeletionTimestamp.IsZero() {
		return false, planner.Result{}, nil
	}
	if from, ok := p.From[ord]; ok && from != clusterOf(existing) {
		return false, planner.Result{}, planner.Terminalf("record %s names cluster %q, the plan was made when it named %q: planning again",
			RecordName(dep, ord), clusterOf(existing), from)
	}
	if left, ok := p.Leaving[ord]; ok {
		if wait, res, err := confirmGone(ctx, env, pt, ord, left); wait {
			return true, res, err
		}
	}
	in := recordInput{Ordinal: ord, Cluster: cluster, Existing: existing, Policy: env.Policy, Floor: p.Floors[ord]}
	if p.Join != nil {
		g := p.Join.Genesis
		in.Genesis, in.Peers = &g, p.Join.Peers
		in.Witnesses = witnessesFor(cluster, p.Join.Witnesses)
	}
	if existing == nil {
		if err := env.startFromGenesis(ctx, &in); err != nil {
			return false, planner.Result{}, err
		}
	}
	if err := kube.Apply(ctx, env.Hub, env.Scheme, buildRecord(dep, in), seiv1alpha1.FieldOwnerHub); err != nil {
		return false, planner.Result{}, err
	}
	if existing == nil {
		return false, planner.Result{}, env.restoreCopyUID(ctx, ord, cluster)
	}
	if existing.Spec.ClusterName != cluster {
		// A completed move: the old cluster's fence marks no longer apply.
		for _, a := range []string{seiv1alpha1.AnnotationFencing, seiv1alpha1.AnnotationFencedCluster} {
			if _, ok := existing.Annotations[a]; ok {
				if err := annotate(ctx, env, existing, a, ""); err != nil {
					return false, planner.Result{}, err
				}
			}
		}
	}
	return false, planner.Result{}, nil
}

func clusterOf(rec *seiv1alpha1.SeiNode) string {
	if rec == nil {
		return ""
	}
	return rec.Spec.ClusterName
}

// rewrite applies a record that does not move (pause, genesis, rollout) from a fresh read of it: the
// cluster it is written with is the one the apiserver holds, so a cache that has not seen a move yet
// cannot move the record back. A record gone or being deleted is left alone.
func rewrite(ctx context.Context, env *Env, in recordInput) error {
	fresh, err := env.fresh(ctx, in.Ordinal)
	if err != nil || fresh == nil || !fresh.DeletionTimestamp.IsZero() {
		return err
	}
	in.Existing, in.Cluster = fresh, fresh.Spec.ClusterName
	return kube.Apply(ctx, env.Hub, env.Scheme, buildRecord(env.Deployment, in), seiv1alpha1.FieldOwnerHub)
}

// deleteRecord deletes a record after stamping the deployment's current deletion policy on it.
func deleteRecord(ctx context.Context, env *Env, rec *seiv1alpha1.SeiNode) error {
	if err := stampDeletionPolicy(ctx, env.Hub, env.Deployment, rec); err != nil {
		return err
	}
	if err := env.Hub.Delete(ctx, rec); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete SeiNode %s: %w", client.ObjectKeyFromObject(rec), err)
	}
	return nil
}

// stampDeletionPolicy sets the deployment's current deletion policy on a record when it differs.
func stampDeletionPolicy(ctx context.Context, hub client.Client, dep *seiv1alpha1.SeiNodeDeployment, rec *seiv1alpha1.SeiNode) error {
	want := string(deletionPolicy(dep))
	if rec.Annotations[seiv1alpha1.AnnotationDeletionPolicy] == want {
		return nil
	}
	patch := client.MergeFrom(rec.DeepCopy())
	if rec.Annotations == nil {
		rec.Annotations = map[string]string{}
	}
	rec.Annotations[seiv1alpha1.AnnotationDeletionPolicy] = want
	if err := hub.Patch(ctx, rec, patch, client.FieldOwner(seiv1alpha1.FieldOwnerHub)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("set deletion policy of SeiNode %s: %w", client.ObjectKeyFromObject(rec), err)
	}
	return nil
}

// FenceTarget is the params of fence-node.
type FenceTarget struct {
	Ordinal int    `json:"ordinal"`
	Cluster string `json:"cluster"`
}

// fencePatience bounds how long a fence waits for an unreachable cluster before the plan gives up (a
// later reconcile tries again).
const fencePatience = 10 * time.Minute

// fenceNode makes the old member of a validator delete its copy, then records the member's positive
// confirmation that the copy — and with it the pod that could sign — is gone. An unreachable cluster
// confirms nothing: the validator stays where it is. Nor does a cluster whose identity is not verified
// afresh (hub/clusters VerifyIdentity) before each delete and each "not found": a kubeconfig that now
// reaches another cluster answers "not found" for a copy that runs on.
func fenceNode(ctx context.Context, env *Env, pt *seiv1alpha1.PlannedTask, f FenceTarget) (planner.Result, error) {
	rec := env.record(f.Ordinal)
	if rec == nil || rec.Spec.ClusterName != f.Cluster {
		return planner.Done() // moved or gone meanwhile
	}
	if rec.Annotations[seiv1alpha1.AnnotationFencedCluster] == f.Cluster {
		return planner.Done()
	}
	// Mark the fence first, so the mirror never re-creates the copy being removed.
	if rec.Annotations[seiv1alpha1.AnnotationFencing] != f.Cluster {
		if err := annotate(ctx, env, rec, seiv1alpha1.AnnotationFencing, f.Cluster); err != nil {
			return planner.Result{}, err
		}
	}
	gone, found, why := removeCopy(ctx, env, f.Cluster, client.ObjectKeyFromObject(rec))
	if gone {
		// Gone from the verified cluster: no copy of that name, the one the hub last saw included.
		if err := annotate(ctx, env, rec, seiv1alpha1.AnnotationFencedCluster, f.Cluster); err != nil {
			return planner.Result{}, err
		}
		return planner.Done()
	}
	if seen := rec.Annotations[seiv1alpha1.AnnotationMemberCopyUID]; why == awaitingAgent && seen != "" && seen != string(found.UID) {
		// Not the copy the hub saw there: another one (re-created since, or made by someone else).
		// It could sign as well, so it went too, and the fence waits for it.
		why = fmt.Sprintf("another copy (uid %s) is there than the one the hub saw (uid %s): it is deleted too", found.UID, seen)
		ctrl.LoggerFrom(ctx).Info("Fence found another member copy than the one the hub saw",
			"SeiNode", klog.KObj(rec), "cluster", f.Cluster, "uid", found.UID, "seen", seen)
	}
	return waitOrGiveUp(env, pt, fmt.Errorf("cannot fence %s on %s: %s", rec.Name, f.Cluster, why))
}

// confirmGone re-checks, as a validator's record is about to move, that the cluster it leaves holds no
// copy of it. The fence confirmed that once, but a copy may have appeared since: a mirror that read the
// record before the fence mark, created its copy after the fence's "not found", and failed (or died)
// before taking it back. The moment the record names another cluster that copy would be a second
// signer, and nothing would look for it again. So the copy is removed as the fence removes one, and the
// move waits until the agent confirmed it gone. wait reports whether the caller must return res and
// err.
func confirmGone(ctx context.Context, env *Env, pt *seiv1alpha1.PlannedTask, ordinal int, cluster string) (bool, planner.Result, error) {
	name := RecordName(env.Deployment, ordinal)
	gone, found, why := removeCopy(ctx, env, cluster, client.ObjectKey{Namespace: env.Deployment.Namespace, Name: name})
	if gone {
		return false, planner.Result{}, nil
	}
	if found != nil {
		ctrl.LoggerFrom(ctx).Info("A copy is back on the cluster a validator leaves: deleting it before the move",
			"SeiNode", klog.KObj(found), "cluster", cluster, "uid", found.UID)
	}
	if why == awaitingAgent {
		why = fmt.Sprintf("a copy (uid %s) is on %s again: deleted, waiting for its agent to confirm it gone", found.UID, cluster)
	}
	res, err := waitOrGiveUp(env, pt, fmt.Errorf("cannot move %s off %s: %s", name, cluster, why))
	return true, res, err
}

// removeCopy deletes the member copy key on cluster and reports whether it is gone. "Gone" is trusted
// only from a cluster verified afresh (hub/clusters VerifyIdentity), and a copy found there is deleted
// by its UID; found is that copy. When it is not gone, why says what it waits for.
func removeCopy(ctx context.Context, env *Env, cluster string, key client.ObjectKey) (gone bool, found *seiv1alpha1.SeiNode, why string) {
	cl, err := env.Members.GetCluster(ctx, multicluster.ClusterName(cluster))
	if err != nil {
		return false, nil, "the cluster is not reachable"
	}
	if err := env.Members.VerifyIdentity(ctx, cluster); err != nil {
		ctrl.LoggerFrom(ctx).Info("Not fencing on a cluster whose identity is not verified", "cluster", cluster, "reason", err.Error())
		return false, nil, err.Error()
	}
	memberCopy := &seiv1alpha1.SeiNode{}
	switch err := cl.GetAPIReader().Get(ctx, key, memberCopy); {
	case apierrors.IsNotFound(err):
		return true, nil, ""
	case err != nil:
		return false, nil, err.Error()
	}
	if memberCopy.DeletionTimestamp.IsZero() {
		pre := client.Preconditions{UID: &memberCopy.UID}
		if err := cl.GetClient().Delete(ctx, memberCopy, pre); err != nil && !apierrors.IsNotFound(err) {
			return false, memberCopy, err.Error()
		}
	}
	return false, memberCopy, awaitingAgent
}

// awaitingAgent is removeCopy's why once the copy it found is deleted: its agent has yet to fence it.
const awaitingAgent = "the agent has not confirmed the node is gone"

// waitOrGiveUp keeps a task that waits on a member running, until fencePatience after it started: then
// the plan fails with why, and a later one tries again. What it waits for wakes the deployment: the
// member copy's deletion (CopiesGone) or the cluster's health changing (HealthEvents); the requeue is
// only the fallback, and the patience's end.
func waitOrGiveUp(env *Env, pt *seiv1alpha1.PlannedTask, why error) (planner.Result, error) {
	wait, expired := waitFor(env, pt, fencePatience)
	if expired {
		return planner.Result{}, planner.Terminal(why)
	}
	return planner.Running(wait)
}

// fallbackWait is how soon a task waiting on members looks again when no event woke it: events
// (the deployment's records, member copies deleted, cluster health) end the wait far sooner.
const fallbackWait = 30 * time.Second

// waitFor says how long a task that started at pt.StartedAt and waits on events may sleep: the
// fallback, or until just past its patience (0: none), and whether the patience is spent.
func waitFor(env *Env, pt *seiv1alpha1.PlannedTask, patience time.Duration) (time.Duration, bool) {
	if patience <= 0 || pt == nil || pt.StartedAt == nil {
		return fallbackWait, false
	}
	left := patience - env.now().Sub(pt.StartedAt.Time)
	if left < 0 {
		return 0, true
	}
	return min(fallbackWait, left+time.Second), false
}

// clearFence removes a record's fence marks for its own cluster.
func clearFence(ctx context.Context, env *Env, _ *seiv1alpha1.PlannedTask, f FenceTarget) (planner.Result, error) {
	rec := env.record(f.Ordinal)
	if rec == nil || rec.Spec.ClusterName != f.Cluster {
		return planner.Done()
	}
	for _, a := range []string{seiv1alpha1.AnnotationFencing, seiv1alpha1.AnnotationFencedCluster} {
		if rec.Annotations[a] == f.Cluster {
			if err := annotate(ctx, env, rec, a, ""); err != nil {
				return planner.Result{}, err
			}
		}
	}
	return planner.Done()
}

// annotate sets (or, for value "", removes) one annotation on a record.
func annotate(ctx context.Context, env *Env, rec *seiv1alpha1.SeiNode, key, value string) error {
	patch := client.MergeFrom(rec.DeepCopy())
	if rec.Annotations == nil {
		rec.Annotations = map[string]string{}
	}
	if value == "" {
		delete(rec.Annotations, key)
	} else {
		rec.Annotations[key] = value
	}
	if err := env.Hub.Patch(ctx, rec, patch, client.FieldOwner(seiv1alpha1.FieldOwnerHub)); err != nil {
		return fmt.Errorf("annotate SeiNode %s %s: %w", rec.Name, key, err)
	}
	return nil
}

// setPaused writes spec.paused of every record from the deployment.
func setPaused(ctx context.Context, env *Env, _ *seiv1alpha1.PlannedTask) (planner.Result, error) {
	for i := range env.Records {
		rec := &env.Records[i]
		if rec.Spec.Paused == env.Deployment.Spec.Paused || !rec.DeletionTimestamp.IsZero() {
			continue
		}
		if err := rewrite(ctx, env, recordInput{Ordinal: ordinalOf(rec), Policy: env.Policy}); err != nil {
			return planner.Result{}, err
		}
	}
	return planner.Done()
}
