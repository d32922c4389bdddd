package node_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// TestGenesisConfigMapArrivingWakesTheNode: verify-genesis waits for a genesis ConfigMap the hub has
// not distributed yet. The suite's executor looks at a waiting task again only after an hour, so the
// node reaching Running shows that the ConfigMap's creation woke it. (TestTerminatingDataClaimIsWaitedOut
// shows the same of a data claim's deletion; every test reaching Running, of the StatefulSet's status.)
func TestGenesisConfigMapArrivingWakesTheNode(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)

	genesis := `{"chain_id":"test-1"}`
	sum := sha256.Sum256([]byte(genesis))
	node := fullNode(ns, "late-genesis")
	node.Spec.Genesis = &seiv1alpha1.GenesisSource{ConfigMapName: "genesis-late", SHA256: hex.EncodeToString(sum[:])}
	key := create(t, node)

	g.Eventually(func(g Gomega) {
		plan := get(t, key).Status.Plan
		g.Expect(plan).NotTo(BeNil())
		var verify *seiv1alpha1.PlannedTask
		for i := range plan.Tasks {
			if plan.Tasks[i].Type == tasks.TypeVerifyGenesis {
				verify = &plan.Tasks[i]
			}
		}
		g.Expect(verify).NotTo(BeNil())
		g.Expect(verify.Status).To(Equal(seiv1alpha1.TaskRunning), "waiting for the ConfigMap")
	}).WithTimeout(30 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())

	// As the hub distributes it: labelled as a genesis.
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "genesis-late",
			Labels: map[string]string{seiv1alpha1.LabelComponent: seiv1alpha1.ComponentGenesis}},
		Immutable: ptr.To(true),
		Data:      map[string]string{"genesis.json": genesis},
	}
	g.Expect(member().Client.Create(ctx, cm)).To(Succeed())
	g.Eventually(phaseOf(t, key)).WithTimeout(30*time.Second).Should(Equal(seiv1alpha1.NodeRunning),
		"woken by the ConfigMap, not by a requeue an hour away")
	g.Expect(get(t, key).Status.GenesisSHA256).To(Equal(hex.EncodeToString(sum[:])))
}
