package e2e

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
)

// A member's kubeconfig Secret swapped to another member's, under validators that may move after a
// fence (AfterFence): the hub must not take "not found" on the other member for the validator gone.
// It refuses the swapped cluster (IdentityChanged), the validator stays where it runs, one copy at
// every instant; with the Secret put back, everything converges.
func TestSwappedKubeconfigNeverFencesAValidator(t *testing.T) {
	requireLocal(t)
	g := NewWithT(t)
	ctx := t.Context()
	registerSA(t)
	ns := hubNamespace(t)
	policy := "identity-" + ns
	all := []string{"us", "eu", "ap", "sa"}
	regionPolicy(t, policy, all, func(s *seiv1alpha1.SeiPlacementPolicySpec) {
		s.Failover.Validators = seiv1alpha1.ValidatorFailoverAfterFence
		s.MaxVotingPowerFraction = "1/2"
	})
	dep := validators(ns, "vals", policy, 3)
	dep.Spec.Placement.ClusterSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "region", Operator: metav1.LabelSelectorOpIn, Values: all},
	}}
	key := create(t, dep)
	dumpOnFailure(t, key)
	g.Eventually(readyCount(t, key)).WithTimeout(120 * time.Second).Should(Equal("3/3"))

	victim := records(t, ns, "vals")[0]
	from := victim.Spec.ClusterName
	other := ""
	for _, r := range records(t, ns, "vals") {
		if r.Spec.ClusterName != from {
			other = r.Spec.ClusterName // a member that runs another validator: "not found" for the victim
		}
	}
	stopSampling := sampleCopies(t, victim)

	// The admin pastes the wrong member's kubeconfig into the victim cluster's Secret.
	wrong, _, err := fleet.Member(other).UserKubeconfig(framework.HubUser)
	g.Expect(err).NotTo(HaveOccurred())
	secret := &corev1.Secret{}
	g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKey{Namespace: seiv1alpha1.DefaultSystemNamespace, Name: from + seiv1alpha1.KubeconfigSecretSuffix}, secret)).To(Succeed())
	secret.Data[seiv1alpha1.KubeconfigSecretKey] = wrong
	g.Expect(fleet.Hub.Client.Update(ctx, secret)).To(Succeed())
	restored := false
	restore := func() {
		if !restored {
			restored = true
			_ = local.Register(context.WithoutCancel(ctx), from, map[string]string{"region": regions[from], "env": "e2e"})
		}
	}
	defer restore()

	g.Eventually(func() string {
		p := &seiv1alpha1.SeiPlacementPolicy{}
		_ = fleet.Hub.Client.Get(ctx, client.ObjectKey{Name: policy}, p)
		for _, c := range p.Status.Clusters {
			if c.Name == from {
				return c.Reason
			}
		}
		return ""
	}).WithTimeout(30 * time.Second).Should(Equal("IdentityChanged"))
	g.Eventually(func() string { return condition(getDeployment(t, key), seiv1alpha1.DeploymentPlaced).Reason }).
		WithTimeout(30 * time.Second).Should(Equal(seiv1alpha1.ReasonAwaitingFence))

	// The fence keeps trying, and never completes through the other member.
	g.Consistently(func() map[string]string {
		r := &seiv1alpha1.SeiNode{}
		_ = fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(&victim), r)
		return map[string]string{"cluster": r.Spec.ClusterName, "fenced": r.Annotations[seiv1alpha1.AnnotationFencedCluster]}
	}).WithTimeout(20 * time.Second).WithPolling(200 * time.Millisecond).Should(Equal(map[string]string{"cluster": from, "fenced": ""}))
	running := &seiv1alpha1.SeiNode{}
	g.Expect(fleet.Member(from).Client.Get(ctx, client.ObjectKeyFromObject(&victim), running)).To(Succeed())
	g.Expect(running.DeletionTimestamp).To(BeNil(), "the copy that runs was not touched")

	restore()
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal("3/3"))
	maxCopies, _ := stopSampling()
	g.Expect(maxCopies).To(Equal(1), "one validator identity, one place, at every instant")
	assertOneCopyPerRecord(t, ns, "vals", 3)
}
