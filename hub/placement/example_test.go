package placement_test

import (
	"fmt"
	"time"

	"github.com/sei-protocol/sei-fleet/hub/placement"
)

func region(name, r string) placement.Cluster {
	return placement.Cluster{Name: name, Labels: map[string]string{"region": r}, Healthy: true}
}

// Four validators under the default policy (no region may hold 1/3 or more of the voting power) need four
// regions: with three, the scheduler places none and says why.
func ExampleSchedule_validators() {
	in := placement.Input{
		Clusters:   []placement.Cluster{region("ap-1", "ap"), region("eu-1", "eu"), region("us-1", "us")},
		Replicas:   4,
		Validators: true,
		NodePower:  1,
		Now:        time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
	}
	d := placement.Schedule(in)
	fmt.Println(d.Failure.Reason)
	fmt.Println(d.Failure.Message)
	fmt.Println("unplaced:", d.Unplaced)

	in.Clusters = append(in.Clusters, region("sa-1", "sa"))
	d = placement.Schedule(in)
	for ord := range in.Replicas {
		fmt.Printf("%d → %s (%s)\n", ord, d.Assignments[ord], d.Notes[ord])
	}
	// Output:
	// VotingPowerFractionExceeded
	// domain ap would hold 2/4 (50.0%) of voting power; policy maxVotingPowerFraction 1/3 requires less than 33.3%; at least 4 domains are needed for 4 validators (at most 1 per domain), but only 3 domains have a healthy eligible cluster
	// unplaced: [0 1 2 3]
	// 0 → ap-1 (new: least-loaded domain ap, cluster ap-1)
	// 1 → eu-1 (new: least-loaded domain eu, cluster eu-1)
	// 2 → sa-1 (new: least-loaded domain sa, cluster sa-1)
	// 3 → us-1 (new: least-loaded domain us, cluster us-1)
}

// Full nodes on a cluster that has been unhealthy longer than the toleration move; the others stay put.
func ExampleSchedule_failover() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	down := region("eu-1", "eu")
	down.Healthy = false
	since := now.Add(-5 * time.Minute)
	down.UnhealthySince = &since
	toleration := int64(60)

	in := placement.Input{
		Clusters: []placement.Cluster{region("ap-1", "ap"), down, region("us-1", "us")},
		Replicas: 3,
		Current:  map[int]string{0: "ap-1", 1: "eu-1", 2: "us-1"},
		Now:      now,
	}
	in.Policy.Failover.FullNodes.TolerationSeconds = &toleration
	d := placement.Schedule(in)
	for _, m := range d.Moves {
		fmt.Printf("ordinal %d: %s → %s because %s\n", m.Ordinal, m.From, m.To, m.Reason)
	}
	fmt.Println(d.Notes[0])
	// Output:
	// ordinal 1: eu-1 → ap-1 because cluster unhealthy for 5m0s ≥ toleration 60s
	// kept
}
