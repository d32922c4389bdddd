package node_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// The NetworkPolicy around a node's pod exists before the pod does, is what the builder renders (as
// the apiserver stores it), and comes back when deleted.
func TestNetworkPolicyIsAppliedBeforeThePodAndKept(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	sidecars := sidecartest.NewFleet()
	defer sidecars.Close()
	run := startAgent(t, agentOpts{sidecars: sidecars})
	ns := namespace(t)
	key := create(t, validator(ns, "val-np"))
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))

	policy, sts := -1, -1
	for i, w := range run.writes.Writes() {
		if w.Namespace != ns {
			continue
		}
		if w.Kind == "NetworkPolicy" && policy < 0 {
			policy = i
		}
		if w.Kind == "StatefulSet" && sts < 0 {
			sts = i
		}
	}
	g.Expect(policy).To(BeNumerically(">=", 0), "a NetworkPolicy was written")
	g.Expect(policy).To(BeNumerically("<", sts), "before the StatefulSet")
	policyWrites := func() int {
		n := 0
		for _, w := range run.writes.Writes() {
			if w.Namespace == ns && w.Kind == "NetworkPolicy" {
				n++
			}
		}
		return n
	}
	// The steady state re-applies only what differs (at most once more while the cache catches up).
	n := get(t, key)
	n.Annotations = map[string]string{"test.sei.io/nudge": "1"}
	g.Expect(member().Client.Update(ctx, n)).To(Succeed())
	g.Consistently(policyWrites).WithTimeout(2 * time.Second).Should(BeNumerically("<=", 2))

	want, err := resources.BuildNetworkPolicy(get(t, key), config.Default())
	g.Expect(err).NotTo(HaveOccurred())
	have := &networkingv1.NetworkPolicy{}
	g.Expect(member().Client.Get(ctx, client.ObjectKeyFromObject(want), have)).To(Succeed())
	g.Expect(have.OwnerReferences).To(Equal(want.OwnerReferences))
	defaulted(t, want)
	g.Expect(cmp.Diff(want.Spec, have.Spec)).To(BeEmpty(), "NetworkPolicy spec matches the builder")

	// Deleted by hand: the steady-state reconcile puts it back.
	g.Expect(member().Client.Delete(ctx, have)).To(Succeed())
	g.Eventually(func() error {
		return member().Client.Get(ctx, client.ObjectKeyFromObject(have), &networkingv1.NetworkPolicy{})
	}).WithTimeout(30 * time.Second).Should(Succeed())
}
