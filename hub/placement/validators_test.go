package placement

import (
	"testing"

	. "github.com/onsi/gomega"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestScheduleValidatorPowerCap(t *testing.T) {
	fourRegions := append(threeRegions(), healthy("sa-1", "sa"))
	tests := []struct {
		name     string
		in       Input
		clusters map[string]int // nil: nothing placed
		failure  *Failure
	}{
		{
			name: "4 validators over 3 regions are refused under 1/3",
			in:   validators(4, threeRegions()...),
			failure: &Failure{Reason: seiv1alpha1.ReasonVotingPowerFraction, Message: "domain ap would hold 2/4 (50.0%) of voting power; " +
				"policy maxVotingPowerFraction 1/3 requires less than 33.3%; at least 4 domains are needed for 4 validators " +
				"(at most 1 per domain), but only 3 domains have a healthy eligible cluster"},
		},
		{
			name:     "4 validators over 4 regions are placed one per region",
			in:       validators(4, fourRegions...),
			clusters: map[string]int{"ap-1": 1, "eu-1": 1, "sa-1": 1, "us-1": 1},
		},
		{
			name: "3 validators alone can never be spread under 1/3",
			in:   validators(3, threeRegions()...),
			failure: &Failure{Reason: seiv1alpha1.ReasonVotingPowerFraction, Message: "domain ap would hold 1/3 (33.3%) of voting power; " +
				"policy maxVotingPowerFraction 1/3 requires less than 33.3%; one validator alone holds 1/3 (33.3%), so no spread over domains satisfies the policy"},
		},
		{
			name:     "external power makes room",
			in:       func() Input { in := validators(3, threeRegions()...); in.ExternalPower = 1; return in }(),
			clusters: map[string]int{"ap-1": 1, "eu-1": 1, "us-1": 1},
		},
		{
			name: "7 validators over 3 regions under 1/2",
			in: func() Input {
				in := validators(7, threeRegions()...)
				in.Policy.MaxVotingPowerFraction = "1/2"
				return in
			}(),
			clusters: map[string]int{"ap-1": 3, "eu-1": 2, "us-1": 2},
		},
		{
			name: "a decimal cap is exact: 0.5 refuses 2 of 4",
			in: func() Input {
				in := validators(4, threeRegions()...)
				in.Policy.MaxVotingPowerFraction = "0.5"
				return in
			}(),
			failure: &Failure{Reason: seiv1alpha1.ReasonVotingPowerFraction, Message: "domain ap would hold 2/4 (50.0%) of voting power; " +
				"policy maxVotingPowerFraction 0.5 requires less than 50.0%; at least 4 domains are needed for 4 validators " +
				"(at most 1 per domain), but only 3 domains have a healthy eligible cluster"},
		},
		{
			name: "0.51 allows 2 of 4",
			in: func() Input {
				in := validators(4, threeRegions()...)
				in.Policy.MaxVotingPowerFraction = "0.51"
				return in
			}(),
			clusters: map[string]int{"ap-1": 2, "eu-1": 1, "us-1": 1},
		},
		{
			name: "all or nothing: one validator without room stops them all",
			in: func() Input {
				in := withMaxPerCluster(validators(4, threeRegions()...), 1)
				in.Policy.MaxVotingPowerFraction = "1"
				return in
			}(),
			failure: &Failure{Reason: seiv1alpha1.ReasonMaxNodesPerCluster, Message: "no validator placed: validators are placed all " +
				"together or not at all, and ordinal 3 cannot be: every healthy eligible cluster is full under maxNodesPerCluster 1, " +
				"counting other deployments' nodes (ap-1 1, eu-1 1, us-1 1)"},
		},
		{
			name: "capacity forces an uneven spread the cap refuses",
			in: func() Input {
				in := withMaxPerCluster(validators(4, fourRegions...), 1)
				in.Policy.MaxSkew = 5
				in.Usage = map[string]int{"sa-1": 1}
				in.Clusters = append(in.Clusters, healthy("us-2", "us"))
				return in
			}(),
			failure: &Failure{Reason: seiv1alpha1.ReasonVotingPowerFraction, Message: "domain us would hold 2/4 (50.0%) of voting power; " +
				"policy maxVotingPowerFraction 1/3 requires less than 33.3%; at least 4 domains are needed for 4 validators " +
				"(at most 1 per domain) and 4 domains have a healthy eligible cluster, but maxNodesPerCluster, maxSkew or nodes " +
				"already placed leave too little room"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			d := Schedule(tt.in)
			g.Expect(d.Failure).To(Equal(tt.failure))
			if tt.clusters == nil {
				g.Expect(d.Assignments).To(BeEmpty())
				g.Expect(d.Unplaced).To(HaveLen(tt.in.Replicas))
				return
			}
			g.Expect(perCluster(d)).To(Equal(tt.clusters))
		})
	}
}

func TestScheduleWarnsAboutPowerAlreadyTooConcentrated(t *testing.T) {
	g := NewWithT(t)
	in := validators(4, append(threeRegions(), healthy("sa-1", "sa"))...)
	in.Current = map[int]string{0: "ap-1", 1: "ap-1", 2: "eu-1", 3: "us-1"}

	d := Schedule(in)

	g.Expect(d.Assignments).To(Equal(in.Current))
	g.Expect(d.Failure).To(Equal(&Failure{Reason: seiv1alpha1.ReasonVotingPowerFraction, Message: "domain ap holds 2/4 (50.0%) of " +
		"voting power; policy maxVotingPowerFraction 1/3 requires less than 33.3%; at least 4 domains are needed for 4 validators " +
		"(at most 1 per domain) and 4 domains have a healthy eligible cluster, but maxNodesPerCluster, maxSkew or nodes already " +
		"placed leave too little room; nodes already placed never move automatically"}))
	g.Expect(d.Domains).To(ContainElement(DomainCount{Name: "ap", Nodes: 2, Power: 2, EligibleClusters: 1, HealthyClusters: 1}))
}
