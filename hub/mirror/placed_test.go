package mirror_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// A validator record whose spec.clusterName someone else changed (a kubectl patch; the admission
// policy that forbids it is not installed here) gets no copy on that cluster: its deployment placed it
// elsewhere, where its copy may still sign. Once the deployment places it there, the copy is made.
func TestMirrorCreatesAValidatorOnlyWhereItsDeploymentPlacedIt(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	us := fleet.Member("us")
	e := startHub(t, true)
	here, there := e.name("us"), e.name("eu")
	e.register(t, here, us)

	dep := &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "vals"},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{
			ChainID: "test-1", Image: "seid:v1", Replicas: 1, Role: seiv1alpha1.RoleValidator,
			Placement: seiv1alpha1.PlacementSpec{PolicyName: "p"},
			Genesis: &seiv1alpha1.GenesisCeremonySpec{StakingAmount: "10000000usei", AccountBalance: "1000000000000usei",
				StartDelay: metav1.Duration{Duration: 5 * time.Second}, Deadline: metav1.Duration{Duration: 5 * time.Minute}},
		},
	}
	g.Expect(fleet.Hub.Client.Create(ctx, dep)).To(Succeed())
	dep.Status.ValidatorPlacements = []seiv1alpha1.ValidatorPlacement{{Ordinal: 0, Cluster: there}}
	g.Expect(fleet.Hub.Client.Status().Update(ctx, dep)).To(Succeed())

	rec := node(e.ns, "vals-0", here, true)
	rec.Labels = map[string]string{seiv1alpha1.LabelOrdinal: "0", seiv1alpha1.LabelDeployment: "vals"}
	rec.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(dep, seiv1alpha1.GroupVersion.WithKind("SeiNodeDeployment"))}
	g.Expect(fleet.Hub.Client.Create(ctx, rec)).To(Succeed())

	g.Eventually(func() string {
		r := &seiv1alpha1.SeiNode{}
		_ = fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(rec), r)
		if c := meta.FindStatusCondition(r.Status.Conditions, seiv1alpha1.NodeMemberSynced); c != nil {
			return c.Reason
		}
		return ""
	}).WithTimeout(wait).WithPolling(poll).Should(Equal(seiv1alpha1.ReasonNotWherePlaced))
	g.Consistently(func() []string { return e.copies(t, us) }).WithTimeout(3*time.Second).WithPolling(poll).Should(BeEmpty(),
		"no copy where the deployment did not place the validator")

	dep.Status.ValidatorPlacements[0].Cluster = here
	g.Expect(fleet.Hub.Client.Status().Update(ctx, dep)).To(Succeed())
	g.Eventually(func() []string { return e.copies(t, us) }).WithTimeout(wait).WithPolling(poll).Should(Equal([]string{"vals-0"}))
}
