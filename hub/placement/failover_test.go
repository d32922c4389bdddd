package placement

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestScheduleFullNodeFailover(t *testing.T) {
	euDown := []Cluster{healthy("ap-1", "ap"), downFor(healthy("eu-1", "eu"), 5*time.Minute), healthy("us-1", "us")}
	current := map[int]string{0: "ap-1", 1: "eu-1", 2: "us-1"}
	tests := []struct {
		name    string
		in      Input
		to      string // where ordinal 1 ends up
		note    string
		moves   []Move
		blocked []Blocked
	}{
		{
			name: "no toleration: full nodes never move",
			in:   fullNodes(3, euDown...),
			to:   "eu-1",
			note: "kept: cluster eu-1 unhealthy for 5m0s; failover.fullNodes.tolerationSeconds is unset, so full nodes never move",
		},
		{
			name: "within the toleration",
			in:   withToleration(fullNodes(3, euDown...), 600),
			to:   "eu-1",
			note: "kept: cluster eu-1 unhealthy for 5m0s, under toleration 600s",
		},
		{
			name:  "past the toleration",
			in:    withToleration(fullNodes(3, euDown...), 60),
			to:    "ap-1",
			note:  "moved from eu-1 to ap-1: cluster unhealthy for 5m0s ≥ toleration 60s",
			moves: []Move{{Ordinal: 1, From: "eu-1", To: "ap-1", Reason: "cluster unhealthy for 5m0s ≥ toleration 60s"}},
		},
		{
			name: "past the toleration but nowhere to go",
			in:   withMaxPerCluster(withToleration(fullNodes(3, euDown...), 60), 1),
			to:   "eu-1",
			note: "blocked: node ord 1 on cluster eu-1 should move (cluster unhealthy for 5m0s ≥ toleration 60s) but stays: " +
				"every healthy eligible cluster is full under maxNodesPerCluster 1, counting other deployments' nodes (ap-1 1, us-1 1)",
			blocked: []Blocked{{Ordinal: 1, Cluster: "eu-1", Reason: seiv1alpha1.ReasonMaxNodesPerCluster,
				Message: "node ord 1 on cluster eu-1 should move (cluster unhealthy for 5m0s ≥ toleration 60s) but stays: " +
					"every healthy eligible cluster is full under maxNodesPerCluster 1, counting other deployments' nodes (ap-1 1, us-1 1)"}},
		},
		{
			name:  "a cluster that is gone moves at once",
			in:    fullNodes(3, healthy("ap-1", "ap"), healthy("us-1", "us")),
			to:    "ap-1",
			note:  "moved from eu-1 to ap-1: cluster no longer exists",
			moves: []Move{{Ordinal: 1, From: "eu-1", To: "ap-1", Reason: "cluster no longer exists"}},
		},
		{
			name: "a cluster no longer selected moves at once",
			in: func() Input {
				in := fullNodes(3, healthy("ap-1", "ap", "tier", "a"), healthy("eu-1", "eu", "tier", "b"), healthy("us-1", "us", "tier", "a"))
				in.Policy.ClusterSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "a"}}
				return in
			}(),
			to:    "ap-1",
			note:  "moved from eu-1 to ap-1: cluster not selected by the policy's clusterSelector",
			moves: []Move{{Ordinal: 1, From: "eu-1", To: "ap-1", Reason: "cluster not selected by the policy's clusterSelector"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			tt.in.Current = current
			d := Schedule(tt.in)
			g.Expect(d.Assignments).To(HaveLen(3))
			g.Expect(d.Assignments[1]).To(Equal(tt.to))
			g.Expect(d.Assignments[0]).To(Equal("ap-1"))
			g.Expect(d.Assignments[2]).To(Equal("us-1"))
			g.Expect(d.Notes[1]).To(Equal(tt.note))
			g.Expect(d.Moves).To(Equal(tt.moves))
			g.Expect(d.Blocked).To(Equal(tt.blocked))
		})
	}
}

func TestScheduleValidatorFailover(t *testing.T) {
	clusters := []Cluster{
		healthy("af-1", "af"), healthy("ap-1", "ap"), downFor(healthy("eu-1", "eu"), 5*time.Minute),
		healthy("sa-1", "sa"), healthy("us-1", "us"),
	}
	since := "unhealthy since 2026-03-01T11:55:00Z"
	tests := []struct {
		name    string
		in      Input
		current string // cluster of ordinal 1
		to      string
		moves   []Move
		blocked *Blocked
	}{
		{
			name: "Manual: blocked, even with a long toleration passed",
			in:   withToleration(validators(4, clusters...), 1),
			to:   "eu-1",
			blocked: &Blocked{Ordinal: 1, Cluster: "eu-1", Reason: seiv1alpha1.ReasonClusterUnhealthy,
				Message: "validator ord 1 on cluster eu-1 (" + since + ") is not moved: policy failover.validators is Manual"},
		},
		{
			name: "Manual: a fence alone does not move it",
			in:   func() Input { in := validators(4, clusters...); in.Fenced = map[int]bool{1: true}; return in }(),
			to:   "eu-1",
			blocked: &Blocked{Ordinal: 1, Cluster: "eu-1", Reason: seiv1alpha1.ReasonClusterUnhealthy,
				Message: "validator ord 1 on cluster eu-1 (" + since + ") is not moved: policy failover.validators is Manual"},
		},
		{
			name: "AfterFence without a fence: awaiting it",
			in:   withAfterFence(validators(4, clusters...)),
			to:   "eu-1",
			blocked: &Blocked{Ordinal: 1, Cluster: "eu-1", Reason: seiv1alpha1.ReasonAwaitingFence,
				Message: "validator ord 1 on cluster eu-1 (" + since + ") is not moved: awaiting fence confirmation from eu-1"},
		},
		{
			name: "AfterFence with a fence: moved to the empty domain",
			in: func() Input {
				in := withAfterFence(validators(4, clusters...))
				in.Fenced = map[int]bool{1: true}
				return in
			}(),
			to: "af-1",
			moves: []Move{{Ordinal: 1, From: "eu-1", To: "af-1",
				Reason: since + "; eu-1 confirmed the node is gone and failover.validators is AfterFence"}},
		},
		{
			name: "AfterFence with a fence but the move would break the power cap",
			in: func() Input {
				in := withAfterFence(validators(4, clusters[1:]...))
				in.Fenced = map[int]bool{1: true}
				return in
			}(),
			to: "eu-1",
			blocked: &Blocked{Ordinal: 1, Cluster: "eu-1", Reason: seiv1alpha1.ReasonVotingPowerFraction,
				Message: "node ord 1 on cluster eu-1 should move (" + since + "; eu-1 confirmed the node is gone and failover.validators is AfterFence) " +
					"but stays: domain ap would hold 2/4 (50.0%) of voting power; policy maxVotingPowerFraction 1/3 requires less than 33.3%; " +
					"at least 4 domains are needed for 4 validators (at most 1 per domain), but only 3 domains have a healthy eligible cluster"},
		},
		{
			name:    "a cluster that is gone: blocked under Manual",
			in:      validators(4, clusters...),
			current: "eu-old",
			to:      "eu-old",
			blocked: &Blocked{Ordinal: 1, Cluster: "eu-old", Reason: ReasonClusterNotEligible,
				Message: "validator ord 1 on cluster eu-old (cluster no longer exists) is not moved: policy failover.validators is Manual"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			from := tt.current
			if from == "" {
				from = "eu-1"
			}
			tt.in.Current = map[int]string{0: "ap-1", 1: from, 2: "sa-1", 3: "us-1"}
			d := Schedule(tt.in)
			g.Expect(d.Assignments[1]).To(Equal(tt.to))
			g.Expect(d.Moves).To(Equal(tt.moves))
			if tt.blocked == nil {
				g.Expect(d.Blocked).To(BeEmpty())
				g.Expect(d.Failure).To(BeNil())
				return
			}
			g.Expect(d.Blocked).To(Equal([]Blocked{*tt.blocked}))
			g.Expect(d.Failure).NotTo(BeNil())
			g.Expect(d.Failure.Reason).To(Equal(tt.blocked.Reason))
			g.Expect(tt.blocked.Message).To(HaveSuffix(d.Failure.Message))
		})
	}
}

// Right after the hub starts no cluster has been probed: every one is "unhealthy, health unknown". No
// validator is fenced for that; before this rule a hub restart under AfterFence fenced every
// validator at once (the fault suite's restarts halted a real chain with it).
func TestAValidatorIsNotFencedBeforeItsClusterWasProbed(t *testing.T) {
	g := NewWithT(t)
	unknown := func(c Cluster) Cluster {
		c.Healthy, c.HealthUnknown = false, true
		return downFor(c, 0)
	}
	in := withAfterFence(validators(4, unknown(healthy("ap-1", "ap")), unknown(healthy("eu-1", "eu")),
		unknown(healthy("sa-1", "sa")), unknown(healthy("us-1", "us"))))
	in.Current = map[int]string{0: "ap-1", 1: "eu-1", 2: "sa-1", 3: "us-1"}
	d := Schedule(in)
	g.Expect(d.Blocked).To(BeEmpty(), "nothing awaits a fence")
	g.Expect(d.Moves).To(BeEmpty())
	g.Expect(d.Assignments).To(Equal(in.Current))
	g.Expect(d.Notes[1]).To(Equal("kept: cluster eu-1 not probed or engaged yet since the hub started"))

	// Once probed and found unhealthy, the fence is due as before.
	in.Clusters[1].HealthUnknown = false
	d = Schedule(in)
	g.Expect(d.Blocked).To(HaveLen(1))
	g.Expect(d.Blocked[0].Reason).To(Equal(seiv1alpha1.ReasonAwaitingFence))
}
