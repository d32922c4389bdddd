package deployment_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
	"github.com/sei-protocol/sei-fleet/hub/member"
)

const holdFinalizer = "test.sei.io/hold"

// validatorsOn creates a policy over every member with the voting power cap off (so a validator could
// be placed next to another) and validators that never move by themselves, and a deployment of two
// validators under it; it waits until their network runs.
func validatorsOn(t *testing.T, ns string, policy seiv1alpha1.DeletionPolicy) client.ObjectKey {
	t.Helper()
	return validatorNetwork(t, ns, 2, func(pol *seiv1alpha1.SeiPlacementPolicy, dep *seiv1alpha1.SeiNodeDeployment) {
		pol.Spec.Failover = seiv1alpha1.FailoverSpec{Validators: seiv1alpha1.ValidatorFailoverManual}
		dep.Spec.DeletionPolicy = policy
	})
}

// A validator's record deleted while its deployment still wants it, its cluster tainted so that the
// scheduler would rather place it elsewhere, and no admission policy to stop the deletion: the record
// comes back on the same cluster only, its member copy is the same copy throughout (neither orphaned for
// good nor deleted), no second copy appears anywhere, the record is never rewritten while it is being
// deleted, and the record written again keeps the signing-state floor it had: its copy kept running, and
// a new floor would restart it.
//
// On the old code: under Retain the copy on eu was orphaned and the ordinal placed afresh on us (two
// copies); under Delete the terminating record was rewritten to us and the ordinal started on us
// with an empty signing state.
func TestADeletedValidatorRecordComesBackOnItsClusterOnly(t *testing.T) {
	for _, policy := range []seiv1alpha1.DeletionPolicy{seiv1alpha1.DeletionRetain, seiv1alpha1.DeletionDelete} {
		t.Run(string(policy), func(t *testing.T) {
			g := NewWithT(t)
			ctx := t.Context()
			ns := namespace(t)
			key := validatorsOn(t, ns, policy)

			old := recordOn(t, ns, "eu")
			g.Expect(old).NotTo(BeNil(), "two validators go to the first two regions by name: ap and eu")
			eu := fleet.Member("eu")
			copyBefore := &seiv1alpha1.SeiNode{}
			g.Expect(eu.Client.Get(ctx, client.ObjectKeyFromObject(old), copyBefore)).To(Succeed())
			g.Eventually(func() int64 { return highestHeight(t, key) }).Should(BeNumerically(">", 0))
			// The mirror records the UID of the copy it sees (sei.io/member-copy-uid); set here as it would.
			patch := client.MergeFrom(old.DeepCopy())
			old.Annotations[seiv1alpha1.AnnotationMemberCopyUID] = string(copyBefore.UID)
			g.Expect(fleet.Hub.Client.Patch(ctx, old, patch)).To(Succeed())
			g.Eventually(func() string {
				if p := placement(getDeployment(t, key), old); p != nil {
					return p.MemberCopyUID
				}
				return ""
			}).Should(Equal(string(copyBefore.UID)))

			// eu is evacuated by its admin: the scheduler would place a new validator elsewhere, and keeps
			// this one where it is (failover Manual).
			taint(t, "eu")
			g.Eventually(func() string { return condition(getDeployment(t, key), seiv1alpha1.DeploymentPlaced).Reason }).
				WithTimeout(30 * time.Second).Should(Equal(seiv1alpha1.ReasonClusterUnhealthy))

			// The record is deleted, and held in deletion by another finalizer for a while.
			g.Expect(addFinalizer(ctx, old, holdFinalizer)).To(Succeed())
			t.Cleanup(func() { _ = removeFinalizer(context.WithoutCancel(ctx), old, holdFinalizer) })
			heightBefore := highestHeight(t, key)
			g.Expect(fleet.Hub.Client.Delete(ctx, old)).To(Succeed())
			deleting := &seiv1alpha1.SeiNode{}
			g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(old), deleting)).To(Succeed())
			held := sampler(t, ns, old.Name)
			g.Consistently(func() error {
				if err := held(); err != nil {
					return err
				}
				rec := &seiv1alpha1.SeiNode{}
				if err := fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(old), rec); err != nil {
					return err
				}
				if rec.Spec.ClusterName != "eu" || rec.Generation != deleting.Generation {
					return fmt.Errorf("the record being deleted was rewritten: cluster %s, generation %d (was %d)",
						rec.Spec.ClusterName, rec.Generation, deleting.Generation)
				}
				return nil
			}).WithTimeout(6 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())

			// Let it go: the deployment writes it again, on eu.
			g.Expect(removeFinalizer(ctx, old, holdFinalizer)).To(Succeed())
			rec := &seiv1alpha1.SeiNode{}
			g.Eventually(func() error {
				if err := fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(old), rec); err != nil {
					return err
				}
				if rec.UID == old.UID {
					return fmt.Errorf("still the old record")
				}
				return held()
			}).WithTimeout(30 * time.Second).Should(Succeed())
			g.Expect(rec.Spec.ClusterName).To(Equal("eu"))
			g.Consistently(held).WithTimeout(5 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())

			// The same copy, taken back by the hub as the record says.
			g.Eventually(func(g Gomega) {
				after := &seiv1alpha1.SeiNode{}
				g.Expect(eu.Client.Get(ctx, client.ObjectKeyFromObject(old), after)).To(Succeed())
				g.Expect(after.UID).To(Equal(copyBefore.UID), "the copy was never deleted")
				g.Expect(after.DeletionTimestamp).To(BeNil())
				g.Expect(after.Labels).To(HaveKeyWithValue(member.LabelManagedBy, member.ManagedByHub))
				g.Expect(after.Labels).To(HaveKeyWithValue(seiv1alpha1.LabelDeploymentUID, string(getDeployment(t, key).UID)))
				g.Expect(after.Annotations).To(HaveKeyWithValue(seiv1alpha1.AnnotationDeletionPolicy, string(policy)))
				g.Expect(after.Spec.Genesis).To(Equal(old.Spec.Genesis), "the record written again starts from the same genesis")
				g.Expect(after.Spec.Validator.SigningStateFloor).To(Equal(rec.Spec.Validator.SigningStateFloor))
			}).WithTimeout(30 * time.Second).Should(Succeed())
			g.Expect(rec.Spec.Validator.SigningStateFloor).To(Equal(old.Spec.Validator.SigningStateFloor),
				"written again on the cluster its copy runs on: the floor it had (heights seen: %d), no restart", heightBefore)

			d := getDeployment(t, key)
			p := placement(d, rec)
			g.Expect(p).NotTo(BeNil())
			g.Expect(p.Cluster).To(Equal("eu"))
			g.Expect(p.SigningStateFloor).To(Equal(rec.Spec.Validator.SigningStateFloor))
			g.Expect(p.MemberCopyUID).To(Equal(string(copyBefore.UID)))
			g.Eventually(func() map[string]string {
				_ = fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(rec), rec)
				return rec.Annotations
			}).Should(HaveKeyWithValue(seiv1alpha1.AnnotationMemberCopyUID, string(copyBefore.UID)),
				"the record written again names the copy it takes back: a fence accepts \"gone\" only for that copy")
		})
	}
}

// recordOn returns the deployment "vals" record placed on cluster, or nil.
func recordOn(t *testing.T, ns, cluster string) *seiv1alpha1.SeiNode {
	t.Helper()
	list := &seiv1alpha1.SeiNodeList{}
	NewWithT(t).Expect(fleet.Hub.Client.List(t.Context(), list, client.InNamespace(ns))).To(Succeed())
	for i := range list.Items {
		if list.Items[i].Spec.ClusterName == cluster {
			return &list.Items[i]
		}
	}
	return nil
}

// sampler returns a check that the node name has at most one member copy, on eu, and no copy that is
// orphaned: one signer, in one place, that the hub manages.
func sampler(t *testing.T, ns, name string) func() error {
	return func() error {
		for _, m := range fleet.Members {
			c := &seiv1alpha1.SeiNode{}
			err := m.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, c)
			if err != nil {
				continue
			}
			if m.Name != "eu" {
				return fmt.Errorf("a copy of %s on %s", name, m.Name)
			}
			if c.Annotations[member.AnnotationOrphaned] != "" {
				return fmt.Errorf("the copy of %s on eu was orphaned", name)
			}
		}
		return nil
	}
}

func placement(d *seiv1alpha1.SeiNodeDeployment, rec *seiv1alpha1.SeiNode) *seiv1alpha1.ValidatorPlacement {
	for i := range d.Status.ValidatorPlacements {
		if fmt.Sprint(d.Status.ValidatorPlacements[i].Ordinal) == rec.Labels[seiv1alpha1.LabelOrdinal] {
			return &d.Status.ValidatorPlacements[i]
		}
	}
	return nil
}

// highestHeight is the highest block height the deployment's records show.
func highestHeight(t *testing.T, key client.ObjectKey) int64 {
	list := &seiv1alpha1.SeiNodeList{}
	NewWithT(t).Expect(fleet.Hub.Client.List(t.Context(), list, client.InNamespace(key.Namespace))).To(Succeed())
	var h int64
	for _, n := range list.Items {
		h = max(h, n.Status.Height)
	}
	return h
}

// taint makes cluster unhealthy for the hub (an admin's NoSelect taint) until the test ends.
func taint(t *testing.T, cluster string) {
	t.Helper()
	ctx := t.Context()
	set := func(ctx context.Context, taints []clusterv1.Taint) error {
		mc := &clusterv1.ManagedCluster{}
		if err := fleet.Hub.Client.Get(ctx, client.ObjectKey{Name: cluster}, mc); err != nil {
			return err
		}
		mc.Spec.Taints = taints
		return fleet.Hub.Client.Update(ctx, mc)
	}
	NewWithT(t).Expect(set(ctx, []clusterv1.Taint{{Key: "test.sei.io/evacuate", Effect: clusterv1.TaintEffectNoSelect,
		TimeAdded: metav1.Now()}})).To(Succeed())
	t.Cleanup(func() {
		ctx := context.WithoutCancel(ctx)
		for range 20 {
			if set(ctx, nil) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

func addFinalizer(ctx context.Context, obj client.Object, f string) error {
	patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
	controllerutil.AddFinalizer(obj, f)
	return fleet.Hub.Client.Patch(ctx, obj, patch)
}

func removeFinalizer(ctx context.Context, obj client.Object, f string) error {
	fresh := obj.DeepCopyObject().(client.Object)
	if err := fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(obj), fresh); err != nil {
		return client.IgnoreNotFound(err)
	}
	patch := client.MergeFrom(fresh.DeepCopyObject().(client.Object))
	controllerutil.RemoveFinalizer(fresh, f)
	return fleet.Hub.Client.Patch(ctx, fresh, patch)
}

func getDeployment(t *testing.T, key client.ObjectKey) *seiv1alpha1.SeiNodeDeployment {
	t.Helper()
	d := &seiv1alpha1.SeiNodeDeployment{}
	NewWithT(t).Expect(fleet.Hub.Client.Get(t.Context(), key, d)).To(Succeed())
	return d
}

func condition(d *seiv1alpha1.SeiNodeDeployment, typ string) metav1.Condition {
	if c := meta.FindStatusCondition(d.Status.Conditions, typ); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// dumpOnFailure logs a deployment's status and its records when the test fails.
func dumpOnFailure(t *testing.T, key client.ObjectKey) {
	framework.DumpOnFailure(t, fleet.Hub.Client, key)
}
