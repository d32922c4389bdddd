package e2e

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func validators(ns, name, policy string, replicas int32) *seiv1alpha1.SeiNodeDeployment {
	return &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{
			ChainID: "fleet-" + ns, Image: seidImage(), Replicas: replicas, Role: seiv1alpha1.RoleValidator,
			Genesis: &seiv1alpha1.GenesisCeremonySpec{
				StakingAmount: "10000000usei", AccountBalance: "1000000000000usei",
				StartDelay: metav1.Duration{Duration: 5 * time.Second}, Deadline: metav1.Duration{Duration: 5 * time.Minute},
			},
			Placement: seiv1alpha1.PlacementSpec{PolicyName: policy},
		},
	}
}

// A validator deployment that would give one region 1/3 or more of the voting power is refused; a
// cluster in a new region lets it place.
func TestValidatorsRefusedUntilNoRegionHoldsAThird(t *testing.T) {
	requireLocal(t)
	g := NewWithT(t)
	ctx := t.Context()
	g.Expect(local.Deregister(ctx, "sa")).To(Succeed()) // three regions to start with
	ns := hubNamespace(t)
	policy := "bft-" + ns
	regionPolicy(t, policy, []string{"us", "eu", "ap", "sa"}, nil) // default maxVotingPowerFraction 1/3
	dep := validators(ns, "vals", policy, 4)
	key := create(t, dep)
	dumpOnFailure(t, key)

	// Three regions for four validators: one region would hold 2/4.
	g.Eventually(func() string { return condition(getDeployment(t, key), seiv1alpha1.DeploymentPlaced).Reason }).
		WithTimeout(30 * time.Second).Should(Equal(seiv1alpha1.ReasonVotingPowerFraction))
	placed := condition(getDeployment(t, key), seiv1alpha1.DeploymentPlaced)
	g.Expect(placed.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(placed.Message).To(ContainSubstring("(50.0%) of voting power"))
	g.Expect(placed.Message).To(ContainSubstring("at least 4 domains are needed"))
	g.Expect(placed.Message).To(ContainSubstring("1/3"))
	g.Expect(records(t, ns, "vals")).To(BeEmpty(), "nothing is placed")
	g.Consistently(func() int { return len(records(t, ns, "vals")) }).WithTimeout(3 * time.Second).Should(BeZero())

	// A fourth region appears: every region holds 1/4 < 1/3.
	registerSA(t)
	g.Eventually(func() metav1.ConditionStatus {
		return condition(getDeployment(t, key), seiv1alpha1.DeploymentPlaced).Status
	}).
		WithTimeout(60 * time.Second).Should(Equal(metav1.ConditionTrue))
	perRegion := map[string]int{}
	for _, rec := range records(t, ns, "vals") {
		perRegion[rec.Spec.ClusterName]++
	}
	g.Expect(perRegion).To(Equal(map[string]int{"us": 1, "eu": 1, "ap": 1, "sa": 1}))

	// The ceremony completes and the network runs.
	g.Eventually(readyCount(t, key)).WithTimeout(120 * time.Second).Should(Equal("4/4"))
	d := getDeployment(t, key)
	g.Expect(d.Status.Genesis).NotTo(BeNil())
	g.Expect(condition(d, seiv1alpha1.DeploymentGenesisCeremonyComplete).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(d.Status.Phase).To(Equal(seiv1alpha1.DeploymentReady))

	// Remove it while sa is still registered (registerSA's cleanup runs before create's).
	g.Expect(deleteAndWait(ctx, key)).To(Succeed())
}
