package node

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// TestConfigValidNamesTheBadKeys covers what the apiserver's rule lets through only for objects stored
// before it: keys the sidecar does not accept, and keys the fleet sets.
func TestConfigValidNamesTheBadKeys(t *testing.T) {
	overrides := func(o map[string]string) func(*seiv1alpha1.SeiNode) {
		return func(n *seiv1alpha1.SeiNode) { n.Spec.Overrides = o }
	}
	for _, tc := range []struct {
		name   string
		node   *seiv1alpha1.SeiNode
		reason string
		msg    string
	}{
		{"none", testNode(), seiv1alpha1.ReasonOverridesValid, ""},
		{"sei-config keys", testNode(overrides(map[string]string{"network.p2p.max_connections": "80"})), seiv1alpha1.ReasonOverridesValid, ""},
		{"seid's key", testNode(overrides(map[string]string{"p2p.max-num-inbound-peers": "80"})), seiv1alpha1.ReasonInvalidOverrides,
			`spec.overrides: override "p2p.max-num-inbound-peers": unknown key; did you mean "network.p2p.max_connections"?`},
		{"the mode", testNode(ceremony, overrides(map[string]string{"mode": "full"})), seiv1alpha1.ReasonInvalidOverrides,
			`spec.overrides: override "mode": not settable through overrides`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			updateConditions(tc.node, podObservation{})
			c := meta.FindStatusCondition(tc.node.Status.Conditions, seiv1alpha1.NodeConfigValid)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(tc.reason))
			g.Expect(c.Status == metav1.ConditionTrue).To(Equal(tc.msg == ""))
			g.Expect(c.Message).To(HavePrefix(tc.msg))
		})
	}
}
