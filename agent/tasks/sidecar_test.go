package tasks

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestConfigApplySendsOnlyOverridesTheSidecarTakes(t *testing.T) {
	g := NewWithT(t)
	node := &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "ns"},
		Spec: seiv1alpha1.SeiNodeSpec{Archive: &seiv1alpha1.ArchiveSpec{},
			NodeSettings: seiv1alpha1.NodeSettings{Overrides: map[string]string{"network.p2p.max_connections": "80"}}},
	}
	env := &Env{Node: node}
	raw, err := sidecarParams(env, sidecar.TaskTypeConfigApply)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(MatchJSON(`{"mode": "archive", "overrides": {"network.p2p.max_connections": "80"}}`))

	// The spec changed under a running plan.
	node.Spec.Overrides = map[string]string{"network.p2p.max_connections": "0x10", "p2p.max-num-inbound-peers": "80"}
	_, err = sidecarParams(env, sidecar.TaskTypeConfigApply)
	g.Expect(err).To(MatchError(And(
		ContainSubstring(`spec.overrides: override "network.p2p.max_connections": "0x10" is not a valid uint`),
		ContainSubstring(`; override "p2p.max-num-inbound-peers": unknown key`))))
}
