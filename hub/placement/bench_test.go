package placement

import (
	"fmt"
	"testing"

	"k8s.io/utils/ptr"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// BenchmarkPlace decides one more deployment of 100 nodes on 100 clusters in 10 regions, under a
// policy capping nodes per cluster, with 100, 1,000 and 10,000 nodes of other deployments already
// placed under it (their usage is what the scheduler sees of them). The cost per decision should not
// grow with the nodes already placed. Run:
//
//	go test ./hub/placement/ -run '^$' -bench Place -benchmem
func BenchmarkPlace(b *testing.B) {
	clusters := benchClusters(100, 10)
	for _, validators := range []bool{false, true} {
		for _, existing := range []int{100, 1_000, 10_000} {
			name := fmt.Sprintf("fullnodes/existing=%d", existing)
			if validators {
				name = fmt.Sprintf("validators/existing=%d", existing)
			}
			b.Run(name, func(b *testing.B) {
				pol := benchPolicy()
				usage := benchUsage(b, pol, clusters, existing)
				in := Input{
					Policy: pol, Clusters: clusters, Replicas: 100, Validators: validators, NodePower: 10,
					ExternalPower: 100, Usage: usage, Now: testNow,
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if d := Schedule(in); d.Failure != nil || len(d.Assignments) != 100 {
						b.Fatalf("not placed: %+v", d.Failure)
					}
				}
			})
		}
	}
}

// benchClusters is n healthy clusters spread over the given number of regions.
func benchClusters(n, regions int) []Cluster {
	out := make([]Cluster, 0, n)
	for i := range n {
		region := fmt.Sprintf("r%02d", i%regions)
		out = append(out, healthy(fmt.Sprintf("%s-c%03d", region, i), region))
	}
	return out
}

// benchPolicy caps clusters well above what the largest case places (10,100 nodes on 100 clusters).
func benchPolicy() seiv1alpha1.SeiPlacementPolicySpec {
	return seiv1alpha1.SeiPlacementPolicySpec{TopologyKey: "region", MaxNodesPerCluster: ptr.To[int32](150)}
}

// benchUsage places existing nodes as deployments of 100 full nodes, one after another as the hub
// would, and returns their usage per cluster.
func benchUsage(b *testing.B, pol seiv1alpha1.SeiPlacementPolicySpec, clusters []Cluster, existing int) map[string]int {
	usage := map[string]int{}
	for range existing / 100 {
		d := Schedule(Input{Policy: pol, Clusters: clusters, Replicas: 100, Usage: usage, Now: testNow})
		if d.Failure != nil {
			b.Fatalf("existing deployment not placed: %s", d.Failure.Message)
		}
		for _, c := range d.Assignments {
			usage[c]++
		}
	}
	return usage
}
