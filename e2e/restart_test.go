package e2e

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// restartHubWhen stops the hub as soon as cond holds, and starts a new one.
func restartHubWhen(t *testing.T, what string, cond func() bool) {
	t.Helper()
	g := NewWithT(t)
	g.Eventually(cond).WithTimeout(90*time.Second).WithPolling(20*time.Millisecond).Should(BeTrue(), what)
	g.Expect(local.StopHub()).To(Succeed())
	t.Logf("hub stopped: %s", what)
	g.Expect(local.StartHub(local.Context())).To(Succeed())
}

// assertOneCopyPerRecord checks that a deployment has exactly replicas records with distinct ordinals,
// each with exactly one member copy, on its cluster.
func assertOneCopyPerRecord(t *testing.T, ns, dep string, replicas int) {
	t.Helper()
	g := NewWithT(t)
	recs := records(t, ns, dep)
	g.Expect(recs).To(HaveLen(replicas))
	ords := map[string]bool{}
	for _, r := range recs {
		ords[r.Labels[seiv1alpha1.LabelOrdinal]] = true
		copies := 0
		for _, m := range fleet.Members {
			if m.Client.Get(t.Context(), client.ObjectKeyFromObject(&r), &seiv1alpha1.SeiNode{}) == nil {
				copies++
				g.Expect(m.Name).To(Equal(r.Spec.ClusterName))
			}
		}
		g.Expect(copies).To(Equal(1), "%s has one copy", r.Name)
	}
	g.Expect(ords).To(HaveLen(replicas))
	g.Expect(total(memberCopies(t, ns, dep))).To(Equal(replicas))
}

func TestHubRestartDuringPlacementAndRollout(t *testing.T) {
	requireLocal(t)
	g := NewWithT(t)
	ns := hubNamespace(t)
	policy := "restart-" + ns
	regionPolicy(t, policy, []string{"us", "eu", "ap"}, nil)
	dep := fullNodes(ns, "rpc", policy, 6)
	key := create(t, dep)
	dumpOnFailure(t, key)

	restartHubWhen(t, "placement is under way", func() bool {
		d := getDeployment(t, key)
		if planner.IsActive(d.Status.Plan) && d.Status.Plan.Type == "place" {
			return true
		}
		n := len(records(t, ns, "rpc"))
		return n > 0 && d.Status.ReadyReplicas < 6
	})
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal("6/6"))
	assertOneCopyPerRecord(t, ns, "rpc", 6)

	update(t, key, func(d *seiv1alpha1.SeiNodeDeployment) { d.Spec.Image = "seid:v2" })
	restartHubWhen(t, "the rollout has updated a node", func() bool {
		d := getDeployment(t, key)
		return planner.IsActive(d.Status.Plan) && d.Status.Plan.Type == "rollout" && d.Status.UpdatedReplicas >= 1
	})
	g.Eventually(updatedReplicas(t, key)).WithTimeout(120 * time.Second).Should(Equal(int32(6)))
	g.Eventually(readyCount(t, key)).WithTimeout(30 * time.Second).Should(Equal("6/6"))
	assertOneCopyPerRecord(t, ns, "rpc", 6)
}

func TestHubRestartDuringCeremonyKeepsTheSameGenesis(t *testing.T) {
	requireLocal(t)
	g := NewWithT(t)
	ctx := t.Context()
	ns := hubNamespace(t)
	policy := "restart-ceremony-" + ns
	regionPolicy(t, policy, []string{"us", "eu", "ap"}, func(s *seiv1alpha1.SeiPlacementPolicySpec) { s.MaxVotingPowerFraction = "1/2" })
	dep := validators(ns, "vals", policy, 3)
	key := create(t, dep)
	dumpOnFailure(t, key)

	var sha string
	restartHubWhen(t, "the genesis is persisted", func() bool {
		if g := getDeployment(t, key).Status.Genesis; g != nil {
			sha = g.SHA256
			return true
		}
		return false
	})
	g.Eventually(readyCount(t, key)).WithTimeout(120 * time.Second).Should(Equal("3/3"))
	d := getDeployment(t, key)
	g.Expect(d.Status.Genesis.SHA256).To(Equal(sha), "the same genesis after the restart")
	cms := &corev1.ConfigMapList{}
	g.Expect(fleet.Hub.Client.List(ctx, cms, client.InNamespace(ns), client.MatchingLabels{seiv1alpha1.LabelComponent: "genesis"})).To(Succeed())
	g.Expect(cms.Items).To(HaveLen(1), "one genesis, ever")
	for _, r := range records(t, ns, "vals") {
		g.Expect(r.Spec.Genesis.SHA256).To(Equal(sha))
		g.Expect(r.Status.GenesisSHA256).To(Equal(sha))
	}
	assertOneCopyPerRecord(t, ns, "vals", 3)
}
