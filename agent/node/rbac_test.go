package node_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// The agent runs with exactly the RBAC generated from its markers (deploy/agent/rbac), with leader
// election and the heartbeat on, and still brings a node to Running.
func TestAgentRunsWithItsGeneratedLeastPrivilegeRBAC(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	system := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: seiv1alpha1.DefaultSystemNamespace}}
	if err := member().Client.Create(ctx, system); err != nil {
		g.Expect(apierrors.IsAlreadyExists(err)).To(BeTrue())
	}
	cfg, err := member().LeastPrivilegeConfig(ctx, "sei-fleet-agent-under-test", "../../deploy/agent/rbac/role.yaml")
	g.Expect(err).NotTo(HaveOccurred())

	sidecars := sidecartest.NewFleet()
	defer sidecars.Close()
	startAgent(t, agentOpts{sidecars: sidecars, restConfig: cfg, production: true})
	ns := namespace(t)
	node := fullNode(ns, "least-privilege")
	g.Expect(member().Client.Create(ctx, node)).To(Succeed())
	key := client.ObjectKeyFromObject(node)
	dumpOnFailure(t, key)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))

	lease := &coordinationv1.Lease{}
	g.Eventually(func() error {
		return member().Client.Get(ctx, client.ObjectKey{Namespace: system.Name, Name: seiv1alpha1.AgentHeartbeatLease}, lease)
	}).WithTimeout(20 * time.Second).Should(Succeed())
	g.Expect(*lease.Spec.HolderIdentity).To(Equal(clusterName))
}
