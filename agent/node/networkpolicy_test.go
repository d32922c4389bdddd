package node_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/node"
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
	t.Cleanup(sidecars.Close) // after the agent stops: cleanups run last-in first-out
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

// A NetworkPolicy the apiserver refuses (here an admission policy; a quota or a webhook would do the
// same) does not stop the steady state: the node's height is still read, and the refusal is reported.
func TestHeightIsObservedWhileTheNetworkPolicyIsRefused(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	var height atomic.Int64
	sidecars := sidecartest.NewFleet()
	t.Cleanup(sidecars.Close) // after the agent stops: cleanups run last-in first-out
	startAgent(t, agentOpts{sidecars: sidecars, height: func(context.Context, *seiv1alpha1.SeiNode) (node.ChainStatus, error) {
		return node.ChainStatus{Height: height.Add(1)}, nil
	}})
	ns := namespace(t)
	key := create(t, fullNode(ns, "np-refused"))
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	want, err := resources.BuildNetworkPolicy(get(t, key), config.Default())
	g.Expect(err).NotTo(HaveOccurred())

	// NetworkPolicies can no longer be created or changed in the namespace.
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "freeze-networkpolicies-" + ns},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{"networking.k8s.io"}, APIVersions: []string{"v1"},
						Resources: []string{"networkpolicies"}},
				},
			}}},
			Validations: []admissionregistrationv1.Validation{{Expression: "false", Message: "NetworkPolicies are frozen here"}},
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: policy.Name},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        policy.Name,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{corev1.LabelMetadataName: ns}}},
		},
	}
	for _, o := range []client.Object{policy, binding} {
		g.Expect(member().Client.Create(ctx, o)).To(Succeed())
		t.Cleanup(func() { _ = member().Client.Delete(context.WithoutCancel(t.Context()), o) })
	}
	g.Eventually(func() error {
		probe := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probe"}}
		err := member().Client.Create(ctx, probe)
		if err == nil {
			_ = member().Client.Delete(ctx, probe)
		}
		return err
	}).WithTimeout(30*time.Second).Should(MatchError(ContainSubstring("frozen here")), "the apiserver enforces the policy")

	// The agent's policy is deleted: the steady state tries to apply it again, and is refused.
	g.Expect(member().Client.Delete(ctx, want)).To(Succeed())
	time.Sleep(2 * time.Second) // the agent has seen the deletion, and tried again
	at := get(t, key).Status.Height
	g.Eventually(func() int64 { return get(t, key).Status.Height }).WithTimeout(10*time.Second).Should(BeNumerically(">=", at+5),
		"the height is still read while the NetworkPolicy is refused")
	g.Eventually(func() []string { return events(t, ns) }).WithTimeout(10*time.Second).
		Should(ContainElement(ContainSubstring("frozen here")), "the refusal is reported")
	g.Expect(member().Client.Get(ctx, client.ObjectKeyFromObject(want), &networkingv1.NetworkPolicy{})).NotTo(Succeed(), "still refused")
}
