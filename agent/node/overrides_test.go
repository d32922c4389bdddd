package node_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// TestANodeWithBadOverridesRunsNothingUntilTheyAreFixed: the apiserver lets through a value of the
// wrong type (its rule checks keys only); the agent refuses it before any task, then runs the node once
// the spec is fixed, sending the fixed overrides.
func TestANodeWithBadOverridesRunsNothingUntilTheyAreFixed(t *testing.T) {
	g := NewWithT(t)
	sidecars := startAgentWithSidecars(t)
	ns := namespace(t)
	node := fullNode(ns, "bad-overrides")
	node.Spec.Overrides = map[string]string{"network.p2p.max_connections": "lots", "logging.level": "debug"}
	key := create(t, node)

	configValid := func() *metav1.Condition {
		return meta.FindStatusCondition(get(t, key).Status.Conditions, seiv1alpha1.NodeConfigValid)
	}
	g.Eventually(configValid).WithTimeout(20 * time.Second).Should(And(
		HaveField("Status", metav1.ConditionFalse),
		HaveField("Reason", seiv1alpha1.ReasonInvalidOverrides),
		HaveField("Message", ContainSubstring(`spec.overrides: override "network.p2p.max_connections": "lots" is not a valid uint`)),
	))
	g.Consistently(func(g Gomega) {
		n := get(t, key)
		g.Expect(n.Status.Plan).To(BeNil())
		g.Expect(n.Status.Phase).To(Equal(seiv1alpha1.NodePending))
	}).WithTimeout(2 * time.Second).Should(Succeed())
	g.Expect(sidecars.Node(ns, node.Name).Tasks()).To(BeEmpty(), "no sidecar task was submitted")
	err := member().Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: resources.StatefulSetName(node)}, &appsv1.StatefulSet{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "no StatefulSet: %v", err)
	g.Eventually(func() []string { return events(t, ns) }).WithTimeout(15*time.Second).Should(ConsistOf(ContainSubstring(
		`spec.overrides: override "network.p2p.max_connections": "lots" is not a valid uint`)), "one warning, not one per reconcile")

	n := get(t, key)
	n.Spec.Overrides["network.p2p.max_connections"] = "80"
	g.Expect(member().Client.Update(t.Context(), n)).To(Succeed())
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	g.Expect(configValid()).To(HaveField("Reason", seiv1alpha1.ReasonOverridesValid))
	var apply sidecartest.Task
	for _, task := range sidecars.Node(ns, node.Name).Tasks() {
		if task.Type == sidecar.TaskTypeConfigApply {
			apply = task
		}
	}
	g.Expect(apply.Params).To(HaveKeyWithValue("overrides", map[string]any{"network.p2p.max_connections": "80", "logging.level": "debug"}))
}

// events returns the notes of the events in ns.
func events(t *testing.T, ns string) []string {
	t.Helper()
	var list corev1.EventList
	NewWithT(t).Expect(member().Client.List(t.Context(), &list, client.InNamespace(ns))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Message)
	}
	return out
}
