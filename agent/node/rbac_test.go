package node_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
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

	// Only this test elects a leader; clear what an earlier run of it left.
	g.Expect(member().Client.DeleteAllOf(ctx, &corev1.Event{}, client.InNamespace(system.Name),
		client.MatchingFields{"reason": "LeaderElection"})).To(Succeed())

	sidecars := sidecartest.NewFleet()
	t.Cleanup(sidecars.Close) // after the agent stops: cleanups run last-in first-out
	startAgent(t, agentOpts{sidecars: sidecars, restConfig: cfg, production: true})
	// Leader election announces the new leader as a core Event; the generated RBAC must allow it.
	g.Eventually(func() ([]string, error) { return member().LeaderElectionEvents(ctx, system.Name) }).
		WithTimeout(20 * time.Second).Should(ContainElement("Lease/sei-fleet-agent"))
	ns := namespace(t)
	// Two nodes start from one genesis ConfigMap, as the hub writes it: each adds itself to its owners,
	// so the member's garbage collector removes it with the last of them.
	genesis := `{"chain_id":"test-1"}`
	sum := sha256.Sum256([]byte(genesis))
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "genesis-test-1"},
		Immutable:  ptr.To(true),
		Data:       map[string]string{"genesis.json": genesis},
	}
	g.Expect(member().Client.Create(ctx, cm)).To(Succeed())
	uids := map[types.UID]string{}
	var key client.ObjectKey
	for _, name := range []string{"least-privilege", "least-privilege-2"} {
		node := fullNode(ns, name)
		node.Spec.Genesis = &seiv1alpha1.GenesisSource{ConfigMapName: cm.Name, SHA256: hex.EncodeToString(sum[:])}
		key = create(t, node)
		uids[node.UID] = name
	}
	for _, name := range uids {
		g.Eventually(phaseOf(t, client.ObjectKey{Namespace: ns, Name: name})).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	}
	g.Expect(member().Client.Get(ctx, client.ObjectKeyFromObject(cm), cm)).To(Succeed())
	owners := map[types.UID]string{}
	for _, o := range cm.OwnerReferences {
		g.Expect(o.Kind).To(Equal("SeiNode"))
		g.Expect(o.Controller).To(BeNil(), "shared: no node controls it")
		owners[o.UID] = o.Name
	}
	g.Expect(owners).To(Equal(uids))
	g.Expect(get(t, key).Status.GenesisSHA256).To(Equal(hex.EncodeToString(sum[:])))

	lease := &coordinationv1.Lease{}
	g.Eventually(func() error {
		return member().Client.Get(ctx, client.ObjectKey{Namespace: system.Name, Name: seiv1alpha1.AgentHeartbeatLease}, lease)
	}).WithTimeout(20 * time.Second).Should(Succeed())
	g.Expect(*lease.Spec.HolderIdentity).To(Equal(clusterName))

	// The fence reads the kubelet's Node and Lease (kube-node-lease) with the same identity.
	kubelet := newKubeletNode(t, fmt.Sprintf("kubelet-rbac-%d", time.Now().UnixNano()%100000))
	pod := kubelet.bind(key)
	g.Expect(member().Client.Delete(ctx, get(t, key))).To(Succeed())
	g.Eventually(func() bool {
		p := &corev1.Pod{}
		return member().Client.Get(ctx, client.ObjectKeyFromObject(pod), p) == nil && !p.DeletionTimestamp.IsZero()
	}).WithTimeout(30 * time.Second).Should(BeTrue())
	g.Expect(member().Client.Delete(ctx, pod, client.GracePeriodSeconds(0))).To(Succeed())
	g.Eventually(func() string { r, _ := readyOf(t, key); return r }).WithTimeout(30 * time.Second).
		Should(Equal(seiv1alpha1.ReasonFenceUnconfirmed))
	kubelet.stopAndRenew(key)
	g.Eventually(exists(t, key)).WithTimeout(15*time.Second).Should(BeFalse(), "released at the kubelet's renewal after the grace period")
}
