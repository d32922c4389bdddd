package e2e

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

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// An unreachable member holds the deletion of a node placed there, with a condition that says so, until
// an admin lets go; the policy's status shows the cluster's health throughout.
func TestUnreachableMemberHoldsDeletionUntilReleased(t *testing.T) {
	requireLocal(t)
	g := NewWithT(t)
	ctx := t.Context()
	ns := hubNamespace(t)
	policy := "unreachable-" + ns
	regionPolicy(t, policy, []string{"us", "eu", "ap"}, nil)
	dep := fullNodes(ns, "rpc", policy, 3)
	dep.Spec.DeletionPolicy = seiv1alpha1.DeletionDelete
	key := create(t, dep)
	dumpOnFailure(t, key)
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal("3/3"))

	// The policy reports each eligible cluster, its domain, health, heartbeat and nodes.
	pol := &seiv1alpha1.SeiPlacementPolicy{}
	g.Eventually(func(g Gomega) {
		g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKey{Name: policy}, pol)).To(Succeed())
		g.Expect(pol.Status.EligibleClusters).To(Equal(int32(3)))
		g.Expect(pol.Status.HealthyClusters).To(Equal(int32(3)))
		for _, c := range pol.Status.Clusters {
			g.Expect(c.Healthy).To(BeTrue(), c.Name)
			g.Expect(c.Domain).To(Equal(regions[c.Name]))
			g.Expect(c.LastHeartbeat).NotTo(BeNil())
			g.Expect(c.Nodes).To(Equal(int32(1)), c.Name)
		}
	}).WithTimeout(30 * time.Second).Should(Succeed())

	ap := fleet.Member("ap")
	g.Expect(ap.Pause()).To(Succeed()) // a partition: ap answers nothing
	resumed := false
	defer func() {
		if !resumed {
			_ = ap.Resume()
		}
	}()
	g.Eventually(func() string {
		_ = fleet.Hub.Client.Get(ctx, client.ObjectKey{Name: policy}, pol)
		for _, c := range pol.Status.Clusters {
			if c.Name == "ap" && !c.Healthy {
				return c.Reason
			}
		}
		return ""
	}).WithTimeout(30*time.Second).Should(Equal("APIUnreachable"), "the policy shows ap unhealthy")

	// Deleting the deployment: the nodes on us and eu go; the one on ap holds the deletion.
	g.Expect(fleet.Hub.Client.Delete(ctx, getDeployment(t, key))).To(Succeed())
	var onAP string
	g.Eventually(func() []seiv1alpha1.SeiNode { return records(t, ns, "rpc") }).WithTimeout(60 * time.Second).Should(HaveLen(1))
	onAP = records(t, ns, "rpc")[0].Name
	g.Expect(records(t, ns, "rpc")[0].Spec.ClusterName).To(Equal("ap"))
	g.Eventually(func() string {
		c := condition(getDeployment(t, key), seiv1alpha1.DeploymentDeletionBlocked)
		return c.Message
	}).WithTimeout(30 * time.Second).Should(And(ContainSubstring(onAP), ContainSubstring("ap"), ContainSubstring(seiv1alpha1.AnnotationReleaseMember)))
	g.Consistently(func() error { return fleet.Hub.Client.Get(ctx, key, &seiv1alpha1.SeiNodeDeployment{}) }).
		WithTimeout(3*time.Second).Should(Succeed(), "the deployment waits for the unreachable member")

	// The admin lets go.
	rec := &seiv1alpha1.SeiNode{}
	g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: onAP}, rec)).To(Succeed())
	patch := client.MergeFrom(rec.DeepCopy())
	rec.Annotations[seiv1alpha1.AnnotationReleaseMember] = "true"
	g.Expect(fleet.Hub.Client.Patch(ctx, rec, patch)).To(Succeed())
	g.Eventually(func() error { return fleet.Hub.Client.Get(ctx, key, &seiv1alpha1.SeiNodeDeployment{}) }).
		WithTimeout(30*time.Second).ShouldNot(Succeed(), "released: the deployment is gone")

	// ap comes back: the copy no record accounts for is swept.
	g.Expect(ap.Resume()).To(Succeed())
	resumed = true
	g.Eventually(func() int { return total(memberCopies(t, ns, "rpc")) }).WithTimeout(60 * time.Second).Should(BeZero())
}

// A validator moves only after its old member confirmed the node is gone (failover.validators:
// AfterFence), here when a cluster admin taints the cluster for evacuation.
func TestValidatorMovesOnlyAfterFence(t *testing.T) {
	requireLocal(t)
	g := NewWithT(t)
	ctx := t.Context()
	registerSA(t)
	ns := hubNamespace(t)
	policy := "fence-" + ns
	regionPolicy(t, policy, []string{"us", "eu", "ap", "sa"}, func(s *seiv1alpha1.SeiPlacementPolicySpec) {
		s.Failover.Validators = seiv1alpha1.ValidatorFailoverAfterFence
		s.MaxVotingPowerFraction = "1/2"
	})
	dep := validators(ns, "vals", policy, 3)
	dep.Spec.Placement.ClusterSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "region", Operator: metav1.LabelSelectorOpIn, Values: []string{"us", "eu", "ap", "sa"}},
	}}
	key := create(t, dep)
	dumpOnFailure(t, key)
	g.Eventually(readyCount(t, key)).WithTimeout(120 * time.Second).Should(Equal("3/3"))
	// The move below must come after the genesis time (its floor says so): the nodes may be ready
	// before it, the hub then rightly moves the validator with no floor at all. Waiting for it keeps
	// the fence's speed (woken by events, not polled) from deciding which rule applies.
	genesis := getDeployment(t, key).Status.Genesis
	g.Expect(genesis).NotTo(BeNil())
	g.Eventually(func() bool { return time.Now().After(genesis.GenesisTime.Time) }).WithTimeout(time.Minute).Should(BeTrue())

	var victim seiv1alpha1.SeiNode
	for _, r := range records(t, ns, "vals") {
		victim = r
	}
	from := victim.Spec.ClusterName
	fromCluster := fleet.Member(from)

	// Sample, all along, how many member copies of the validator exist: never more than one.
	stopSampling := sampleCopies(t, victim)

	// The admin taints the victim's cluster: it is unhealthy, so the validator must leave — after a fence.
	mc := &clusterv1.ManagedCluster{}
	g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKey{Name: from}, mc)).To(Succeed())
	mc.Spec.Taints = []clusterv1.Taint{{Key: "sei.io/evacuate", Effect: clusterv1.TaintEffectNoSelect, TimeAdded: metav1.Now()}}
	g.Expect(fleet.Hub.Client.Update(ctx, mc)).To(Succeed())
	defer func() {
		_ = fleet.Hub.Client.Get(ctx, client.ObjectKey{Name: from}, mc)
		mc.Spec.Taints = nil
		_ = fleet.Hub.Client.Update(ctx, mc)
	}()

	// The old copy is fenced (deleted and confirmed gone by the agent there) before the record moves.
	g.Eventually(func() string {
		r := &seiv1alpha1.SeiNode{}
		_ = fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(&victim), r)
		return r.Spec.ClusterName
	}).WithTimeout(90 * time.Second).ShouldNot(Equal(from))
	moved := &seiv1alpha1.SeiNode{}
	g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(&victim), moved)).To(Succeed())
	g.Expect(fromCluster.Client.Get(ctx, client.ObjectKeyFromObject(&victim), &seiv1alpha1.SeiNode{})).NotTo(Succeed(), "no copy left on the old cluster")
	g.Expect(moved.Spec.Validator.SigningStateFloor).To(BeNumerically(">=", 1000),
		"moved after the genesis time: the key starts on a new volume above every height the hub saw (none here) by the margin")
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal("3/3"))
	assertOneCopyPerRecord(t, ns, "vals", 3)
	maxCopies, reappeared := stopSampling()
	g.Expect(maxCopies).To(Equal(1), "one validator identity, one place, at every instant")
	g.Expect(reappeared).To(BeFalse(), "the fenced copy never came back on the old cluster")
}

// sampleCopies counts, every few milliseconds until stopped, the member copies of rec, and notes
// whether a copy on its original cluster came back after it was gone.
func sampleCopies(t *testing.T, rec seiv1alpha1.SeiNode) func() (int, bool) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	var maxCopies int
	var goneFromOrigin, reappeared bool
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			n := 0
			for _, m := range fleet.Members {
				if m.Client.Get(ctx, client.ObjectKeyFromObject(&rec), &seiv1alpha1.SeiNode{}) == nil {
					n++
					if m.Name == rec.Spec.ClusterName && goneFromOrigin {
						reappeared = true
					}
				} else if m.Name == rec.Spec.ClusterName {
					goneFromOrigin = true
				}
			}
			maxCopies = max(maxCopies, n)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return func() (int, bool) {
		cancel()
		<-done
		return maxCopies, reappeared
	}
}

// While a member's apiserver is hung, the hub does not report its nodes as they last were: their
// records say Unknown, the deployment does not count them ready, and its NodesReady and Ready
// conditions name the cluster and since when (the first failed probe, the policy's unhealthySince).
// When the member answers again, status comes from the real copies. Before, the hub's caches of the
// hung member went on serving the last status: every node Running, 3/3 ready, Ready=True.
func TestAHungMembersNodesAreNotReportedReady(t *testing.T) {
	requireLocal(t)
	g := NewWithT(t)
	ctx := t.Context()
	ns := hubNamespace(t)
	policy := "hung-" + ns
	regionPolicy(t, policy, []string{"us", "eu", "ap"}, nil)
	key := create(t, fullNodes(ns, "rpc", policy, 3))
	dumpOnFailure(t, key)
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal("3/3"))
	g.Eventually(func() string {
		return string(condition(getDeployment(t, key), seiv1alpha1.DeploymentReadyCondition).Status)
	}).
		WithTimeout(30 * time.Second).Should(Equal("True"))
	var onAP string
	for _, r := range records(t, ns, "rpc") {
		if r.Spec.ClusterName == "ap" {
			onAP = r.Name
		}
	}
	g.Expect(onAP).NotTo(BeEmpty())

	ap := fleet.Member("ap")
	g.Expect(ap.Pause()).To(Succeed())
	resumed := false
	defer func() {
		if !resumed {
			_ = ap.Resume()
		}
	}()

	// The record on ap: Unknown, Ready Unknown.
	g.Eventually(func(g Gomega) {
		rec := &seiv1alpha1.SeiNode{}
		g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: onAP}, rec)).To(Succeed())
		g.Expect(rec.Status.Phase).To(Equal(seiv1alpha1.NodeUnknown))
		r := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeReady)
		g.Expect(r).NotTo(BeNil())
		g.Expect(r.Status).To(Equal(metav1.ConditionUnknown))
		g.Expect(r.Message).To(ContainSubstring("last reported phase Running"))
	}).WithTimeout(30 * time.Second).Should(Succeed())

	// The deployment: 2/3, and which cluster since when.
	var since string
	g.Eventually(func(g Gomega) {
		pol := &seiv1alpha1.SeiPlacementPolicy{}
		g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKey{Name: policy}, pol)).To(Succeed())
		for _, c := range pol.Status.Clusters {
			if c.Name == "ap" {
				g.Expect(c.UnhealthySince).NotTo(BeNil())
				since = c.UnhealthySince.UTC().Format(time.RFC3339)
			}
		}
		g.Expect(since).NotTo(BeEmpty())
	}).WithTimeout(30 * time.Second).Should(Succeed())
	g.Eventually(func(g Gomega) {
		d := getDeployment(t, key)
		g.Expect(d.Status.ReadyReplicas).To(Equal(int32(2)))
		nr := condition(d, seiv1alpha1.DeploymentNodesReady)
		g.Expect(nr.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(nr.Reason).To(Equal(seiv1alpha1.ReasonMembersUnreachable))
		g.Expect(nr.Message).To(Equal(fmt.Sprintf("2/3 nodes ready: the hub cannot read member cluster ap since %s (%s)", since, onAP)))
		r := condition(d, seiv1alpha1.DeploymentReadyCondition)
		g.Expect(r.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(r.Reason).To(Equal(seiv1alpha1.ReasonMembersUnreachable))
		g.Expect(d.Status.Phase).To(Equal(seiv1alpha1.DeploymentDegraded))
	}).WithTimeout(30 * time.Second).Should(Succeed())

	// ap answers again: the real copy's status, and Ready.
	g.Expect(ap.Resume()).To(Succeed())
	resumed = true
	g.Eventually(readyCount(t, key)).WithTimeout(60 * time.Second).Should(Equal("3/3"))
	g.Eventually(func(g Gomega) {
		d := getDeployment(t, key)
		g.Expect(condition(d, seiv1alpha1.DeploymentReadyCondition).Status).To(Equal(metav1.ConditionTrue))
		g.Expect(condition(d, seiv1alpha1.DeploymentNodesReady).Reason).To(Equal(seiv1alpha1.ReasonAllNodesReady))
		rec := &seiv1alpha1.SeiNode{}
		g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: onAP}, rec)).To(Succeed())
		g.Expect(rec.Status.Phase).To(Equal(seiv1alpha1.NodeRunning))
	}).WithTimeout(30 * time.Second).Should(Succeed())
}
