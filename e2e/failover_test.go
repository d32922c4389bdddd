package e2e

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// A member whose apiserver goes away: its full nodes are re-placed after the policy's toleration, its
// validator is not (the deployment says why); when it comes back nothing is duplicated.
func TestMemberLossMovesFullNodesNotValidators(t *testing.T) {
	requireLocal(t)
	g := NewWithT(t)
	ctx := t.Context()
	ns := hubNamespace(t)
	policy := "failover-" + ns
	regionPolicy(t, policy, []string{"us", "eu", "ap"}, func(s *seiv1alpha1.SeiPlacementPolicySpec) {
		s.MaxVotingPowerFraction = "1/2" // three validators over three regions: 1/3 each
		s.Failover.FullNodes.TolerationSeconds = ptr.To(int64(3))
		s.Failover.Validators = seiv1alpha1.ValidatorFailoverManual
	})
	full := fullNodes(ns, "rpc", policy, 3)
	vals := validators(ns, "vals", policy, 3)
	fullKey, valKey := create(t, full), create(t, vals)
	dumpOnFailure(t, fullKey)
	dumpOnFailure(t, valKey)
	g.Eventually(readyCount(t, fullKey)).WithTimeout(90 * time.Second).Should(Equal("3/3"))
	g.Eventually(readyCount(t, valKey)).WithTimeout(120 * time.Second).Should(Equal("3/3"))

	onEU := func(dep string) string {
		for _, r := range records(t, ns, dep) {
			if r.Spec.ClusterName == "eu" {
				return r.Name
			}
		}
		return ""
	}
	fullOnEU, valOnEU := onEU("rpc"), onEU("vals")
	g.Expect(fullOnEU).NotTo(BeEmpty())
	g.Expect(valOnEU).NotTo(BeEmpty())

	// eu goes away.
	eu := fleet.Member("eu")
	g.Expect(eu.StopAPIServer()).To(Succeed())
	restarted := false
	defer func() {
		if !restarted {
			_ = eu.StartAPIServer()
		}
	}()

	// The full node moves after the toleration; the deployment is whole again without eu.
	g.Eventually(func() string {
		for _, r := range records(t, ns, "rpc") {
			if r.Name == fullOnEU {
				return r.Spec.ClusterName
			}
		}
		return ""
	}).WithTimeout(60 * time.Second).Should(BeElementOf("us", "ap"))
	g.Eventually(readyCount(t, fullKey)).WithTimeout(60 * time.Second).Should(Equal("3/3"))

	// The validator stays on eu, and the deployment says why.
	g.Eventually(func() string { return condition(getDeployment(t, valKey), seiv1alpha1.DeploymentPlaced).Reason }).
		WithTimeout(30 * time.Second).Should(Equal(seiv1alpha1.ReasonClusterUnhealthy))
	placed := condition(getDeployment(t, valKey), seiv1alpha1.DeploymentPlaced)
	g.Expect(placed.Message).To(ContainSubstring("eu"))
	g.Expect(placed.Message).To(ContainSubstring("Manual"))
	g.Consistently(func() string { return onEU("vals") }).WithTimeout(5 * time.Second).Should(Equal(valOnEU))

	// eu comes back, with new credentials: the admin refreshes its kubeconfig Secret, its agent restarts.
	g.Expect(eu.StartAPIServer()).To(Succeed())
	restarted = true
	g.Expect(local.StopAgent("eu")).To(Succeed())
	g.Expect(local.StartAgent(local.Context(), "eu")).To(Succeed())
	g.Expect(local.Register(ctx, "eu", map[string]string{"region": "eu", "env": "e2e"})).To(Succeed())

	// The stale full-node copy on eu is swept; every node exists on exactly one member.
	g.Eventually(func() error {
		return eu.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: fullOnEU}, &seiv1alpha1.SeiNode{})
	}).WithTimeout(60 * time.Second).ShouldNot(Succeed())
	g.Eventually(func() string { return condition(getDeployment(t, valKey), seiv1alpha1.DeploymentPlaced).Reason }).
		WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.ReasonPlaced))
	g.Eventually(readyCount(t, valKey)).WithTimeout(60 * time.Second).Should(Equal("3/3"))
	for _, dep := range []string{"rpc", "vals"} {
		recs := records(t, ns, dep)
		g.Expect(recs).To(HaveLen(3))
		for _, r := range recs {
			copies := 0
			for _, m := range fleet.Members {
				if m.Client.Get(ctx, client.ObjectKeyFromObject(&r), &seiv1alpha1.SeiNode{}) == nil {
					copies++
					g.Expect(m.Name).To(Equal(r.Spec.ClusterName))
				}
			}
			g.Expect(copies).To(Equal(1), "%s exists once", r.Name)
		}
	}
}
