package e2e

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/member"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
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
				hubBefore, agentBefore := writesIn(local.HubWrites, ns), agentWritesIn(ns)
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
				agentWrites += agentWritesIn(ns) - agentBefore
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

// BenchmarkDirectToRunning is BenchmarkApplyToRunning's baseline: the same N full nodes, as the hub
// would place them (the member copies it would write, spread over three members), created straight on
// the members by the benchmark, timed to all N Running there. Via hub / direct is what the hub adds:
//
//	go test ./e2e/ -run '^$' -bench 'ApplyToRunning|DirectToRunning' -count 5 > bench.txt
//	benchstat -col '.name@(DirectToRunning ApplyToRunning)' -row /nodes bench.txt
func BenchmarkDirectToRunning(b *testing.B) {
	if local == nil {
		b.Skip("needs the in-process fleet: it counts the agents' writes")
	}
	members := []string{"us", "eu", "ap"} // the regions BenchmarkApplyToRunning's policy spreads over
	for _, n := range []int32{3, 12, 30} {
		b.Run(fmt.Sprintf("nodes=%d/clusters=%d", n, len(members)), func(b *testing.B) {
			g := NewWithT(b)
			ctx := b.Context()
			var agentWrites int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ns := fmt.Sprintf("direct-%d-%d-%d", n, time.Now().UnixNano()%1e6, i)
				for _, m := range members {
					g.Expect(fleet.Member(m).Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
				}
				agentBefore := agentWritesIn(ns)
				copies := directCopies(ns, "bench", members, n)
				b.StartTimer()
				g.Expect(createAll(ctx, copies)).To(Succeed())
				g.Eventually(func() int32 { return runningOn(ctx, members, ns) }).
					WithTimeout(5 * time.Minute).WithPolling(50 * time.Millisecond).Should(Equal(n))
				b.StopTimer()
				agentWrites += agentWritesIn(ns) - agentBefore
				for _, c := range copies {
					g.Expect(client.IgnoreNotFound(fleet.Member(c.Spec.ClusterName).Client.Delete(ctx, c))).To(Succeed())
				}
				for _, c := range copies {
					g.Eventually(func() error {
						return fleet.Member(c.Spec.ClusterName).Client.Get(ctx, client.ObjectKeyFromObject(c), &seiv1alpha1.SeiNode{})
					}).WithTimeout(2 * time.Minute).ShouldNot(Succeed())
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(agentWrites)/float64(b.N), "agent-writes/op")
			b.ReportMetric(float64(agentWrites)/float64(b.N)/float64(n), "writes/node")
		})
	}
}

// directCopies are the member copies the hub writes for a full-node deployment of n replicas placed
// round-robin over members (hub/deployment's records, through member.Copy): same spec, labels and
// annotations.
func directCopies(ns, name string, members []string, n int32) []*seiv1alpha1.SeiNode {
	dep := fullNodes(ns, name, "direct", n)
	var out []*seiv1alpha1.SeiNode
	for i := range int(n) {
		cluster := members[i%len(members)]
		spec := seiv1alpha1.SeiNodeSpec{ChainID: dep.Spec.ChainID, ClusterName: cluster, Image: dep.Spec.Image,
			NodeSettings: dep.Spec.Template, FullNode: &seiv1alpha1.FullNodeSpec{}}
		rec := &seiv1alpha1.SeiNode{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s-%d", name, i),
				Labels: map[string]string{
					seiv1alpha1.LabelDeployment: name, seiv1alpha1.LabelDeploymentUID: "direct-" + ns,
					seiv1alpha1.LabelOrdinal: strconv.Itoa(i), seiv1alpha1.LabelChain: dep.Spec.ChainID,
					seiv1alpha1.LabelRole: string(spec.Mode()), seiv1alpha1.LabelCluster: cluster,
					seiv1alpha1.LabelPolicy: "direct",
				},
				Annotations: map[string]string{seiv1alpha1.AnnotationDeletionPolicy: string(seiv1alpha1.DeletionDelete)},
			},
			Spec: spec,
		}
		out = append(out, member.Copy(rec, "bench-direct"))
	}
	return out
}

// createAll writes the copies at once, as the hub's mirror workers do: one at a time, thirty writes
// to apiservers on a loaded machine took seconds, and the last node started that much later.
func createAll(ctx context.Context, copies []*seiv1alpha1.SeiNode) error {
	errs := make([]error, len(copies))
	var wg sync.WaitGroup
	for i, c := range copies {
		wg.Go(func() { errs[i] = member.Create(ctx, fleet.Member(c.Spec.ClusterName).Client, fleet.Scheme, c) })
	}
	wg.Wait()
	return aggregate.Join(errs...)
}

// runningOn counts the SeiNodes of namespace ns Running on members.
func runningOn(ctx context.Context, members []string, ns string) int32 {
	var running int32
	for _, m := range members {
		list := &seiv1alpha1.SeiNodeList{}
		if fleet.Member(m).Client.List(ctx, list, client.InNamespace(ns)) != nil {
			return 0
		}
		for _, node := range list.Items {
			if node.Status.Phase == seiv1alpha1.NodeRunning {
				running++
			}
		}
	}
	return running
}

// agentWritesIn counts the writes every agent made in namespace ns.
func agentWritesIn(ns string) int {
	n := 0
	for _, rec := range local.AgentWrites {
		n += writesIn(rec, ns)
	}
	return n
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
