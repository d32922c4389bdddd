package e2e

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// BenchmarkApplyToRunning measures, on real apiservers with the hub and three agents in-process, the
// time from applying a SeiNodeDeployment of N full nodes to all N Running on the hub, and the API writes
// the hub and the agents made for it. Run:
//
//	go test ./e2e/ -run '^$' -bench ApplyToRunning -benchtime 3x
func BenchmarkApplyToRunning(b *testing.B) {
	if local == nil {
		b.Skip("needs the in-process fleet: it counts the hub's and agents' writes")
	}
	for _, n := range []int32{3, 12, 30} {
		b.Run(fmt.Sprintf("nodes=%d/clusters=3", n), func(b *testing.B) {
			g := NewWithT(b)
			ctx := b.Context()
			policy := fmt.Sprintf("bench-%d", n)
			p := &seiv1alpha1.SeiPlacementPolicy{ObjectMeta: metav1.ObjectMeta{Name: policy},
				Spec: seiv1alpha1.SeiPlacementPolicySpec{TopologyKey: "region", ClusterSelector: &metav1.LabelSelector{
					MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "region", Operator: metav1.LabelSelectorOpIn, Values: []string{"us", "eu", "ap"}}}}}}
			g.Expect(client.IgnoreAlreadyExists(fleet.Hub.Client.Create(ctx, p))).To(Succeed())
			var hubWrites, agentWrites int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ns := fmt.Sprintf("bench-%d-%d-%d", n, time.Now().UnixNano()%1e6, i)
				g.Expect(fleet.Hub.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
				hubBefore, agentBefore := writesIn(local.HubWrites, ns), 0
				for _, rec := range local.AgentWrites {
					agentBefore += writesIn(rec, ns)
				}
				dep := fullNodes(ns, "bench", policy, n)
				dep.Spec.DeletionPolicy = seiv1alpha1.DeletionDelete
				b.StartTimer()
				g.Expect(fleet.Hub.Client.Create(ctx, dep)).To(Succeed())
				key := client.ObjectKeyFromObject(dep)
				g.Eventually(func() int32 {
					d := &seiv1alpha1.SeiNodeDeployment{}
					if fleet.Hub.Client.Get(ctx, key, d) != nil {
						return 0
					}
					return d.Status.ReadyReplicas
				}).WithTimeout(5 * time.Minute).WithPolling(50 * time.Millisecond).Should(Equal(n))
				b.StopTimer()
				hubWrites += writesIn(local.HubWrites, ns) - hubBefore
				for _, rec := range local.AgentWrites {
					agentWrites += writesIn(rec, ns)
				}
				agentWrites -= agentBefore
				g.Expect(fleet.Hub.Client.Delete(ctx, dep)).To(Succeed())
				g.Eventually(func() error { return fleet.Hub.Client.Get(ctx, key, &seiv1alpha1.SeiNodeDeployment{}) }).
					WithTimeout(2 * time.Minute).ShouldNot(Succeed())
				b.StartTimer()
			}
			b.ReportMetric(float64(hubWrites)/float64(b.N), "hub-writes/op")
			b.ReportMetric(float64(agentWrites)/float64(b.N), "agent-writes/op")
			b.ReportMetric(float64(hubWrites+agentWrites)/float64(b.N)/float64(n), "writes/node")
		})
	}
}

// writesIn counts the recorded writes in namespace ns.
func writesIn(r *testfleet.WriteRecorder, ns string) int {
	n := 0
	for _, w := range r.Writes() {
		if w.Namespace == ns {
			n++
		}
	}
	return n
}
