package deployment_test

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/deployment"
	"github.com/sei-protocol/sei-fleet/hub/member"
	"github.com/sei-protocol/sei-fleet/hub/rollout"
	"github.com/sei-protocol/sei-fleet/internal/genesiscm"
	"github.com/sei-protocol/sei-fleet/internal/kube"
	"github.com/sei-protocol/sei-fleet/planner"
)

// The hub rebuilds a record from what it read (to pause it, give it its genesis, roll it out) and
// applies it whole, clusterName included. When what it read is a cache that has not seen a move yet,
// the old code moved the record back: the apiserver's record names west, the task wrote east. A real
// apiserver cannot be made stale on demand, so the stale read is handed to the task (Env.Records, as a
// reconcile gets it from the cache), and the record it writes is read back from the apiserver.
func TestARebuildFromAStaleCacheNeverMovesARecordBack(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		run  func(ctx context.Context, env *deployment.Env) (planner.Result, error)
		// wrote says the task did write the record (with the cluster it has).
		wrote func(g Gomega, rec *seiv1alpha1.SeiNode)
	}{
		{"pause", func(ctx context.Context, env *deployment.Env) (planner.Result, error) {
			env.Deployment.Spec.Paused = true
			return deployment.SetPaused(ctx, env, nil)
		}, func(g Gomega, rec *seiv1alpha1.SeiNode) { g.Expect(rec.Spec.Paused).To(BeTrue()) }},
		{"genesis", func(ctx context.Context, env *deployment.Env) (planner.Result, error) {
			d := env.Deployment
			cm := &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, Name: "stale-genesis"},
				Data:       map[string]string{genesiscm.Key: "{}", "peers": `["` + strings.Repeat("a", 40) + `@10.0.0.1:26656"]`},
			}
			if err := env.Hub.Create(ctx, cm); err != nil {
				return planner.Result{}, err
			}
			d.Status.Genesis = &seiv1alpha1.GenesisStatus{SHA256: sha, ConfigMapName: cm.Name}
			return deployment.DistributeGenesis(ctx, env, nil)
		}, func(g Gomega, rec *seiv1alpha1.SeiNode) {
			g.Expect(rec.Spec.Genesis).To(Equal(&seiv1alpha1.GenesisSource{ConfigMapName: "stale-genesis", SHA256: sha}))
		}},
		{"rollout", func(ctx context.Context, env *deployment.Env) (planner.Result, error) {
			env.Deployment.Spec.Image = "seid:v2"
			return deployment.Roll(ctx, env, nil)
		}, func(g Gomega, rec *seiv1alpha1.SeiNode) { g.Expect(rec.Spec.Image).To(Equal("seid:v2")) }},
		{"place", func(ctx context.Context, env *deployment.Env) (planner.Result, error) {
			// A plan made from the stale view: the node stays on east (to rejoin, say).
			return deployment.WriteRecords(ctx, env, nil, deployment.Placement{
				Place: map[int]string{0: "east"}, From: map[int]string{0: "east"}})
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ctx := t.Context()
			ns := namespace(t)
			dep := &seiv1alpha1.SeiNodeDeployment{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "stale", UID: types.UID("stale-" + ns)},
				Spec: seiv1alpha1.SeiNodeDeploymentSpec{ChainID: "stale", Image: "seid:v1", Replicas: 1, Role: seiv1alpha1.RoleFullNode,
					Placement: seiv1alpha1.PlacementSpec{PolicyName: "none"}},
			}
			// The apiserver's record was moved to west a moment ago (neither cluster is registered: the
			// mirror leaves it alone). The cache still has it on east.
			rec := deployment.BuildRecord(dep, 0, "west")
			g.Expect(kube.Apply(ctx, fleet.Hub.Client, fleet.Scheme, rec, seiv1alpha1.FieldOwnerHub)).To(Succeed())
			t.Cleanup(func() { release(context.WithoutCancel(ctx), t, client.ObjectKeyFromObject(rec)) })
			cached := &seiv1alpha1.SeiNode{}
			g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(rec), cached)).To(Succeed())
			cached.Spec.ClusterName = "east"
			cached.Labels[seiv1alpha1.LabelCluster] = "east"

			env := &deployment.Env{
				Deployment: dep, Records: []seiv1alpha1.SeiNode{*cached}, Hub: fleet.Hub.Client, HubReader: fleet.Hub.Client,
				Scheme: fleet.Scheme, Domains: map[string]string{"east": "east", "west": "west"}, Policy: "none",
				PowerCap: rollout.DefaultPowerCap,
			}
			_, err := tc.run(ctx, env)
			after := &seiv1alpha1.SeiNode{}
			g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(rec), after)).To(Succeed())
			g.Expect(after.Spec.ClusterName).To(Equal("west"), "a rebuild from a stale read moved the record back")
			if tc.wrote == nil {
				g.Expect(err).To(HaveOccurred(), "a plan made from a view the record has left fails, and a new one is made")
				g.Expect(planner.IsTerminal(err)).To(BeTrue())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			tc.wrote(g, after)
		})
	}
}

// release removes a record whose cluster the hub cannot reach (the mirror would hold it forever).
func release(ctx context.Context, t *testing.T, key client.ObjectKey) {
	rec := &seiv1alpha1.SeiNode{}
	if err := fleet.Hub.Client.Get(ctx, key, rec); err != nil {
		return
	}
	_ = fleet.Hub.Client.Delete(ctx, rec)
	if err := removeFinalizer(ctx, rec, seiv1alpha1.FinalizerNodeRecord); err != nil {
		t.Logf("release %s: %v", key, err)
	}
}

// A copy orphaned while its record was away (the sweeper lets go of a copy without a record under
// deletion policy Retain) is the same name the record comes back with: the mirror's server-side apply
// takes it back, the same object, managed by the hub again.
func TestARecordTakesBackItsOrphanedCopy(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns := namespace(t)
	dep := &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "adopt", UID: types.UID("adopt-" + ns)},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{ChainID: "adopt", Image: "seid:v1", Replicas: 1, Role: seiv1alpha1.RoleFullNode,
			Placement: seiv1alpha1.PlacementSpec{PolicyName: "none"}},
	}
	rec := deployment.BuildRecord(dep, 0, "us")
	g.Expect(kube.Apply(ctx, fleet.Hub.Client, fleet.Scheme, rec, seiv1alpha1.FieldOwnerHub)).To(Succeed())
	us := fleet.Member("us")
	t.Cleanup(func() {
		ctx := context.WithoutCancel(ctx)
		release(ctx, t, client.ObjectKeyFromObject(rec))
		_ = us.Client.Delete(ctx, &seiv1alpha1.SeiNode{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: rec.Name}})
	})
	memberCopy := &seiv1alpha1.SeiNode{}
	g.Eventually(func() error { return us.Client.Get(ctx, client.ObjectKeyFromObject(rec), memberCopy) }).
		WithTimeout(15 * time.Second).Should(Succeed())

	g.Expect(member.Orphan(ctx, us.Client, memberCopy, "2026-01-01T00:00:00Z")).To(Succeed())
	// Any change to the record makes the mirror push it again.
	fresh := &seiv1alpha1.SeiNode{}
	g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(rec), fresh)).To(Succeed())
	patch := client.MergeFrom(fresh.DeepCopy())
	fresh.Annotations["test.sei.io/touch"] = "1"
	g.Expect(fleet.Hub.Client.Patch(ctx, fresh, patch)).To(Succeed())

	g.Eventually(func(g Gomega) {
		after := &seiv1alpha1.SeiNode{}
		g.Expect(us.Client.Get(ctx, client.ObjectKeyFromObject(rec), after)).To(Succeed())
		g.Expect(after.UID).To(Equal(memberCopy.UID))
		g.Expect(after.Labels).To(HaveKeyWithValue(member.LabelManagedBy, member.ManagedByHub))
	}).WithTimeout(15 * time.Second).Should(Succeed())
}
