package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/member"
)

func update(t *testing.T, key client.ObjectKey, mutate func(*seiv1alpha1.SeiNodeDeployment)) {
	t.Helper()
	NewWithT(t).Eventually(func() error {
		d := getDeployment(t, key)
		mutate(d)
		return fleet.Hub.Client.Update(t.Context(), d)
	}).WithTimeout(10 * time.Second).Should(Succeed())
}

// memberCopies counts the copies of a deployment's nodes on every member.
func memberCopies(t *testing.T, ns, dep string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range fleet.Members {
		list := &seiv1alpha1.SeiNodeList{}
		if err := m.Client.List(t.Context(), list, client.InNamespace(ns), client.MatchingLabels{seiv1alpha1.LabelDeployment: dep}); err == nil {
			out[m.Name] = len(list.Items)
		}
	}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestScaleRollOutAcrossRegionsAndDelete(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns := hubNamespace(t)
	policy := "lifecycle-" + ns
	_, names := registeredRegions(t, 3)
	regionPolicy(t, policy, names, nil)
	dep := fullNodes(ns, "rpc", policy, 3)
	dep.Spec.DeletionPolicy = seiv1alpha1.DeletionDelete
	one := intstr.FromInt32(1)
	dep.Spec.UpdateStrategy.MaxUnavailable = &one
	key := create(t, dep)
	dumpOnFailure(t, key)
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal("3/3"))

	// Scale up: new nodes spread, old ones stay where they are.
	before := map[string]string{}
	for _, r := range records(t, ns, "rpc") {
		before[r.Name] = r.Spec.ClusterName
	}
	update(t, key, func(d *seiv1alpha1.SeiNodeDeployment) { d.Spec.Replicas = 5 })
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal("5/5"))
	perRegion := map[string]int{}
	for _, r := range records(t, ns, "rpc") {
		perRegion[r.Spec.ClusterName]++
		if c, ok := before[r.Name]; ok {
			g.Expect(r.Spec.ClusterName).To(Equal(c), "placement is sticky")
		}
	}
	least, most := 5, 0
	for _, n := range perRegion {
		least, most = min(least, n), max(most, n)
	}
	g.Expect(most-least).To(BeNumerically("<=", 1), "spread within maxSkew 1: %v", perRegion)

	// Scale down: the highest ordinals go, and with them their member copies (deletionPolicy Delete).
	update(t, key, func(d *seiv1alpha1.SeiNodeDeployment) { d.Spec.Replicas = 2 })
	g.Eventually(func() int { return total(memberCopies(t, ns, "rpc")) }).WithTimeout(60 * time.Second).Should(Equal(2))
	g.Eventually(readyCount(t, key)).WithTimeout(30 * time.Second).Should(Equal("2/2"))
	// The records of removed nodes go once their agents confirm the nodes are gone.
	g.Eventually(func() []string {
		var kept []string
		for _, r := range records(t, ns, "rpc") {
			kept = append(kept, r.Name)
		}
		return kept
	}).WithTimeout(30 * time.Second).Should(ConsistOf("rpc-0", "rpc-1"))

	// An image rollout, one region at a time, one node at a time.
	update(t, key, func(d *seiv1alpha1.SeiNodeDeployment) { d.Spec.Replicas = 3 })
	g.Eventually(readyCount(t, key)).WithTimeout(60 * time.Second).Should(Equal("3/3"))
	watch := watchRollout(t, ns, "rpc")
	update(t, key, func(d *seiv1alpha1.SeiNodeDeployment) { d.Spec.Image = "seid:v2" })
	g.Eventually(updatedReplicas(t, key)).WithTimeout(90 * time.Second).Should(Equal(int32(3)))
	g.Eventually(readyCount(t, key)).WithTimeout(30 * time.Second).Should(Equal("3/3"))
	order, maxDown := watch()
	g.Expect(order).To(HaveLen(3))
	g.Expect(maxDown).To(BeNumerically("<=", 1), "never more than maxUnavailable nodes down")
	seen := map[string]bool{}
	for i, c := range order {
		g.Expect(seen[c] && order[i-1] != c).To(BeFalse(), "regions are rolled one after another: %v", order)
		seen[c] = true
	}
	d := getDeployment(t, key)
	g.Expect(condition(d, seiv1alpha1.DeploymentRolloutInProgress).Status).To(BeEquivalentTo("False"))
	for _, r := range records(t, ns, "rpc") {
		g.Expect(r.Status.CurrentImage).To(Equal("seid:v2"))
	}

	// Deletion with deletionPolicy Delete removes every member copy, then the deployment. Every member
	// is reachable, so the deletion is never reported blocked while the agents tear their nodes down.
	g.Expect(fleet.Hub.Client.Delete(ctx, getDeployment(t, key))).To(Succeed())
	var blocked []string
	g.Eventually(func() error {
		d := &seiv1alpha1.SeiNodeDeployment{}
		err := fleet.Hub.Client.Get(ctx, key, d)
		if c := meta.FindStatusCondition(d.Status.Conditions, seiv1alpha1.DeploymentDeletionBlocked); err == nil && c != nil && c.Status == metav1.ConditionTrue {
			blocked = append(blocked, c.Message)
		}
		return err
	}).WithTimeout(60 * time.Second).WithPolling(50 * time.Millisecond).ShouldNot(Succeed())
	g.Expect(blocked).To(BeEmpty(), "DeletionBlocked is for unreachable members only")
	g.Expect(total(memberCopies(t, ns, "rpc"))).To(BeZero())
	g.Expect(records(t, ns, "rpc")).To(BeEmpty())
}

// watchRollout samples a deployment's records until stopped, and returns the clusters in the order their
// records moved to a new template, and the most nodes seen not ready at once.
func watchRollout(t *testing.T, ns, dep string) func() ([]string, int) {
	ctx, cancel := context.WithCancel(t.Context())
	var mu sync.Mutex
	first := map[string]string{}
	var order []string
	maxDown := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			list := &seiv1alpha1.SeiNodeList{}
			if err := fleet.Hub.Client.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{seiv1alpha1.LabelDeployment: dep}); err == nil {
				mu.Lock()
				down := 0
				for _, r := range list.Items {
					hash := r.Annotations[seiv1alpha1.AnnotationTemplateHash]
					if prev, ok := first[r.Name]; !ok {
						first[r.Name] = hash
					} else if prev != hash && prev != "" {
						order = append(order, r.Spec.ClusterName)
						first[r.Name] = ""
					}
					if r.Status.CurrentImage != r.Spec.Image || r.Status.Phase != seiv1alpha1.NodeRunning {
						down++
					}
				}
				maxDown = max(maxDown, down)
				mu.Unlock()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return func() ([]string, int) {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return order, maxDown
	}
}

// copyDeletionPolicies lists the deletion policy each member copy of a deployment carries.
func copyDeletionPolicies(t *testing.T, ns, dep string) []string {
	t.Helper()
	var out []string
	for _, m := range fleet.Members {
		list := &seiv1alpha1.SeiNodeList{}
		if err := m.Client.List(t.Context(), list, client.InNamespace(ns), client.MatchingLabels{seiv1alpha1.LabelDeployment: dep}); err == nil {
			for _, n := range list.Items {
				out = append(out, n.Annotations[seiv1alpha1.AnnotationDeletionPolicy])
			}
		}
	}
	return out
}

func TestDeletionWithRetainOrphansRunningNodes(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns := hubNamespace(t)
	policy := "retain-" + ns
	_, names := registeredRegions(t, 3)
	regionPolicy(t, policy, names, nil)
	dep := fullNodes(ns, "keep", policy, 2)
	dep.Spec.DeletionPolicy = seiv1alpha1.DeletionDelete
	key := create(t, dep)
	dumpOnFailure(t, key)
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal("2/2"))
	g.Expect(copyDeletionPolicies(t, ns, "keep")).To(ConsistOf("Delete", "Delete"))

	// The owner changes its mind: the member copies learn it at once, not only when deleted, so a
	// copy whose cluster is away when its record goes is still retained.
	update(t, key, func(d *seiv1alpha1.SeiNodeDeployment) { d.Spec.DeletionPolicy = seiv1alpha1.DeletionRetain })
	g.Eventually(func() []string { return copyDeletionPolicies(t, ns, "keep") }).WithTimeout(30 * time.Second).
		Should(ConsistOf("Retain", "Retain"))

	g.Expect(fleet.Hub.Client.Delete(ctx, getDeployment(t, key))).To(Succeed())
	g.Eventually(func() error { return fleet.Hub.Client.Get(ctx, key, &seiv1alpha1.SeiNodeDeployment{}) }).
		WithTimeout(60 * time.Second).ShouldNot(Succeed())
	g.Expect(records(t, ns, "keep")).To(BeEmpty())
	copies := memberCopies(t, ns, "keep")
	g.Expect(total(copies)).To(Equal(2), "the member copies keep running")
	for _, m := range fleet.Members {
		list := &seiv1alpha1.SeiNodeList{}
		g.Expect(m.Client.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		for _, n := range list.Items {
			g.Expect(n.Labels).NotTo(HaveKey(member.LabelManagedBy), "orphaned: the hub no longer manages it")
			g.Expect(n.Annotations).To(HaveKey(member.AnnotationOrphaned))
			g.Expect(n.Status.Phase).To(Equal(seiv1alpha1.NodeRunning))
		}
	}
	// The sweeper leaves orphans alone.
	g.Consistently(func() int { return total(memberCopies(t, ns, "keep")) }).WithTimeout(5 * time.Second).Should(Equal(2))
}
