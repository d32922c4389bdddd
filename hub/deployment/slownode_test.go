package deployment_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
)

// A rollout of four validators over three regions never takes a node down while another is still
// catching up: each node restarted on the new image catches up slowly (seid says catching_up) until
// the test lets it go, and until then no other record is moved to the new image and every other
// node stays Ready on the old one. Behind is down: a validator that is behind counts against the 1/3
// budget and maxUnavailable as if it were stopped.
func TestARolloutWaitsForARestartedNodeToCatchUp(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns := namespace(t)
	key := validatorNetwork(t, ns, 4, nil)
	var names []string
	for _, rec := range recordsOf(t, ns) {
		s := &slowNode{}
		s.image.Store("seid:v2")
		slowOn.Store(ns+"/"+rec.Name, s)
		names = append(names, rec.Name)
	}
	t.Cleanup(func() {
		for _, n := range names {
			slowOn.Delete(ns + "/" + n)
		}
	})

	d := getDeployment(t, key)
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Image = "seid:v2"
	g.Expect(fleet.Hub.Client.Patch(ctx, d, patch)).To(Succeed())

	released := map[string]bool{}
	for step := range names {
		// One more node runs the new image, and it is still catching up.
		var slow *seiv1alpha1.SeiNode
		g.Eventually(func() error {
			var onV2 []*seiv1alpha1.SeiNode
			for _, rec := range recordsOf(t, ns) {
				if rec.Status.CurrentImage == "seid:v2" {
					onV2 = append(onV2, &rec)
				}
			}
			if len(onV2) != step+1 {
				return fmt.Errorf("%d nodes run seid:v2, want %d", len(onV2), step+1)
			}
			for _, n := range onV2 {
				if !released[n.Name] {
					slow = n
				}
			}
			if slow == nil {
				return fmt.Errorf("no new node on seid:v2")
			}
			if c := meta.FindStatusCondition(slow.Status.Conditions, seiv1alpha1.NodeCaughtUp); c == nil || c.Reason != seiv1alpha1.ReasonCatchingUp {
				return fmt.Errorf("%s on seid:v2 is not reported catching up: %v", slow.Name, c)
			}
			return nil
		}).WithTimeout(60 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
		g.Expect(meta.IsStatusConditionTrue(slow.Status.Conditions, seiv1alpha1.NodeReady)).To(BeFalse(), "%s catching up is not Ready", slow.Name)

		// While it catches up, the rollout takes no other node down.
		g.Consistently(func() error {
			for _, rec := range recordsOf(t, ns) {
				if rec.Name == slow.Name || released[rec.Name] {
					continue
				}
				if rec.Spec.Image != "seid:v1" {
					return fmt.Errorf("%s was moved to %s while %s still catches up", rec.Name, rec.Spec.Image, slow.Name)
				}
				if !meta.IsStatusConditionTrue(rec.Status.Conditions, seiv1alpha1.NodeReady) {
					return fmt.Errorf("%s is not Ready while %s still catches up", rec.Name, slow.Name)
				}
			}
			return nil
		}).WithTimeout(4 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())

		released[slow.Name] = true
		v, _ := slowOn.Load(ns + "/" + slow.Name)
		v.(*slowNode).image.Store("")
	}
	g.Eventually(func() string {
		d := getDeployment(t, key)
		return fmt.Sprintf("%d/%d updated, %d ready, %s", d.Status.UpdatedReplicas, d.Spec.Replicas, d.Status.ReadyReplicas, d.Status.Phase)
	}).WithTimeout(60 * time.Second).Should(Equal("4/4 updated, 4 ready, Ready"))
}

// validatorNetwork creates a policy over every member with the voting power cap off and a ceremony
// deployment of n validators under it, as edit changes them, and waits until they all run.
func validatorNetwork(t *testing.T, ns string, n int32, edit func(*seiv1alpha1.SeiPlacementPolicy, *seiv1alpha1.SeiNodeDeployment)) client.ObjectKey {
	t.Helper()
	g := NewWithT(t)
	ctx := t.Context()
	pol := &seiv1alpha1.SeiPlacementPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "vals-" + ns},
		Spec: seiv1alpha1.SeiPlacementPolicySpec{
			ClusterSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "region", Operator: metav1.LabelSelectorOpIn, Values: members},
			}},
			TopologyKey: "region", MaxVotingPowerFraction: "1",
		},
	}
	dep := &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vals"},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{
			ChainID: "vals-" + ns, Image: "seid:v1", Replicas: n, Role: seiv1alpha1.RoleValidator,
			Genesis: &seiv1alpha1.GenesisCeremonySpec{
				StakingAmount: "10000000usei", AccountBalance: "1000000000000usei",
				StartDelay: metav1.Duration{Duration: time.Second}, Deadline: metav1.Duration{Duration: 5 * time.Minute},
			},
			Placement: seiv1alpha1.PlacementSpec{PolicyName: pol.Name},
		},
	}
	if edit != nil {
		edit(pol, dep)
	}
	g.Expect(fleet.Hub.Client.Create(ctx, pol)).To(Succeed())
	t.Cleanup(func() { _ = fleet.Hub.Client.Delete(context.WithoutCancel(ctx), pol) })
	// Every member healthy (a taint an earlier test lifted may not be seen yet), so placement is known.
	g.Eventually(func() int32 {
		_ = fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(pol), pol)
		return pol.Status.HealthyClusters
	}).WithTimeout(30 * time.Second).Should(Equal(int32(len(members))))
	g.Expect(fleet.Hub.Client.Create(ctx, dep)).To(Succeed())
	key := client.ObjectKeyFromObject(dep)
	t.Cleanup(func() {
		if err := framework.DeleteDeploymentAndWait(context.WithoutCancel(ctx), fleet.Hub.Client, key); err != nil {
			t.Log(err)
		}
	})
	dumpOnFailure(t, key)
	g.Eventually(func() string {
		d := getDeployment(t, key)
		return fmt.Sprintf("%d/%d %s", d.Status.ReadyReplicas, d.Spec.Replicas, d.Status.Phase)
	}).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Equal(fmt.Sprintf("%d/%d Ready", n, n)))
	return key
}

// recordsOf lists the hub records of namespace ns, by name.
func recordsOf(t *testing.T, ns string) []seiv1alpha1.SeiNode {
	t.Helper()
	list := &seiv1alpha1.SeiNodeList{}
	NewWithT(t).Expect(fleet.Hub.Client.List(t.Context(), list, client.InNamespace(ns))).To(Succeed())
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	return list.Items
}
