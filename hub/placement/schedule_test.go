package placement

import (
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestScheduleSpreadsNewNodes(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		clusters map[string]int
	}{
		{
			name:     "6 full nodes over 3 regions go 2 per region",
			in:       fullNodes(6, threeRegions()...),
			clusters: map[string]int{"ap-1": 2, "eu-1": 2, "us-1": 2},
		},
		{
			name:     "ties go to the domain name first",
			in:       fullNodes(2, threeRegions()...),
			clusters: map[string]int{"ap-1": 1, "eu-1": 1},
		},
		{
			name: "within a domain the cluster with fewer nodes, then less load, then the name",
			in: func() Input {
				in := fullNodes(4, healthy("eu-b", "eu"), healthy("eu-a", "eu"), healthy("eu-c", "eu"))
				in.Usage = map[string]int{"eu-a": 3}
				return in
			}(),
			clusters: map[string]int{"eu-b": 2, "eu-c": 1, "eu-a": 1},
		},
		{
			name:     "an unhealthy cluster gets no new nodes",
			in:       fullNodes(3, healthy("ap-1", "ap"), downFor(healthy("eu-1", "eu"), 0), healthy("us-1", "us")),
			clusters: map[string]int{"ap-1": 2, "us-1": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			d := Schedule(tt.in)
			g.Expect(d.Failure).To(BeNil())
			g.Expect(d.Unplaced).To(BeEmpty())
			g.Expect(perCluster(d)).To(Equal(tt.clusters))
		})
	}
}

func TestScheduleNotesSayWhy(t *testing.T) {
	g := NewWithT(t)
	d := Schedule(fullNodes(2, threeRegions()...))
	g.Expect(d.Notes).To(Equal(map[int]string{
		0: "new: least-loaded domain ap, cluster ap-1",
		1: "new: least-loaded domain eu, cluster eu-1",
	}))
	g.Expect(d.Domains).To(Equal([]DomainCount{
		{Name: "ap", Nodes: 1, EligibleClusters: 1, HealthyClusters: 1},
		{Name: "eu", Nodes: 1, EligibleClusters: 1, HealthyClusters: 1},
		{Name: "us", Nodes: 0, EligibleClusters: 1, HealthyClusters: 1},
	}))
}

func TestScheduleIsSticky(t *testing.T) {
	g := NewWithT(t)
	in := fullNodes(4, append(threeRegions(), healthy("sa-1", "sa"))...)
	in.Current = map[int]string{0: "us-1", 1: "us-1", 2: "eu-1"}

	d := Schedule(in)

	g.Expect(d.Failure).To(BeNil())
	g.Expect(d.Moves).To(BeEmpty())
	g.Expect(d.Assignments).To(Equal(map[int]string{0: "us-1", 1: "us-1", 2: "eu-1", 3: "ap-1"}))
	g.Expect(perDomain(d)).To(Equal(map[string]int{"ap": 1, "eu": 1, "us": 2}))
	g.Expect(d.Notes[0]).To(Equal("kept"))
}

func TestScheduleScaleDownKeepsLowestOrdinals(t *testing.T) {
	g := NewWithT(t)
	in := fullNodes(3, threeRegions()...)
	in.Current = map[int]string{0: "us-1", 1: "ap-1", 2: "eu-1", 3: "us-1", 4: "ap-1", 5: "eu-1"}

	d := Schedule(in)

	g.Expect(d.Assignments).To(Equal(map[int]string{0: "us-1", 1: "ap-1", 2: "eu-1"}))
	g.Expect(d.Removed).To(Equal([]int{3, 4, 5}))
	g.Expect(d.Notes[5]).To(Equal("removed: scaled down to 3 replicas"))
	g.Expect(d.Failure).To(BeNil())
}

func TestScheduleMaxNodesPerClusterCountsUsage(t *testing.T) {
	g := NewWithT(t)
	in := withMaxPerCluster(fullNodes(5, threeRegions()...), 2)
	in.Policy.MaxSkew = 5 // only capacity limits here; eu, full from the start, would pin the skew
	in.Usage = map[string]int{"ap-1": 1, "eu-1": 2}

	d := Schedule(in)

	g.Expect(perCluster(d)).To(Equal(map[string]int{"ap-1": 1, "us-1": 2}))
	g.Expect(d.Unplaced).To(Equal([]int{3, 4}))
	g.Expect(d.Failure).To(Equal(&Failure{
		Reason: seiv1alpha1.ReasonMaxNodesPerCluster,
		Message: "every healthy eligible cluster is full under maxNodesPerCluster 2, counting other deployments' nodes " +
			"(ap-1 2, eu-1 2, us-1 2)",
	}))
	g.Expect(d.Notes[3]).To(HavePrefix("unplaced: every healthy eligible cluster is full"))
}

func TestScheduleMaxSkew(t *testing.T) {
	g := NewWithT(t)
	// ap is full from other deployments, so it stays at 0 and pins the minimum.
	in := withMaxPerCluster(fullNodes(4, threeRegions()...), 3)
	in.Usage = map[string]int{"ap-1": 3}

	d := Schedule(in)

	g.Expect(perCluster(d)).To(Equal(map[string]int{"eu-1": 1, "us-1": 1}))
	g.Expect(d.Unplaced).To(Equal([]int{2, 3}))
	g.Expect(d.Failure).To(Equal(&Failure{
		Reason: seiv1alpha1.ReasonMaxSkew,
		Message: "the least-loaded domain with room is eu; one more node there would make 2 against 0 in domain ap, " +
			"a skew of 2 over maxSkew 1, and no healthy eligible cluster in ap has room (maxNodesPerCluster 3)",
	}))

	in.Policy.MaxSkew = 2
	g.Expect(Schedule(in).Unplaced).To(BeEmpty())
}

func TestScheduleSkewLetsALaggingDomainCatchUp(t *testing.T) {
	g := NewWithT(t)
	in := fullNodes(7, append(threeRegions(), healthy("sa-1", "sa"))...)
	in.Current = map[int]string{0: "ap-1", 1: "ap-1", 2: "eu-1", 3: "eu-1", 4: "us-1", 5: "us-1"}

	d := Schedule(in)

	g.Expect(d.Failure).To(BeNil())
	g.Expect(d.Assignments[6]).To(Equal("sa-1"))
}

func TestScheduleEligibility(t *testing.T) {
	tier := func(v string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{"tier": v}}
	}
	tests := []struct {
		name    string
		in      Input
		failure *Failure
		notes   map[string]string // cluster → reason for the ineligible ones
	}{
		{
			name:    "no clusters at all",
			in:      fullNodes(1),
			failure: &Failure{Reason: seiv1alpha1.ReasonNoEligibleClusters, Message: "no cluster is eligible: none of the 0 known clusters matches the policy's and the deployment's clusterSelectors and has topology label region"},
		},
		{
			name: "policy and deployment selectors intersect",
			in: func() Input {
				in := fullNodes(1, healthy("a", "ap", "tier", "gold"), healthy("b", "eu", "tier", "silver"))
				in.Policy.ClusterSelector = tier("gold")
				in.DeploymentSelector = tier("silver")
				return in
			}(),
			failure: &Failure{Reason: seiv1alpha1.ReasonNoEligibleClusters, Message: "no cluster is eligible: none of the 2 known clusters matches the policy's and the deployment's clusterSelectors and has topology label region"},
			notes:   map[string]string{"a": ReasonNotSelected, "b": ReasonNotSelected},
		},
		{
			name:    "a cluster without the topology label is not eligible",
			in:      fullNodes(1, healthy("bare", ""), healthy("eu-1", "eu")),
			notes:   map[string]string{"bare": ReasonMissingTopologyLabel},
			failure: nil,
		},
		{
			name:    "eligible clusters that are all unhealthy",
			in:      fullNodes(1, downFor(healthy("eu-1", "eu"), 0), downFor(healthy("us-1", "us"), 0)),
			failure: &Failure{Reason: seiv1alpha1.ReasonClusterUnhealthy, Message: "none of the 2 eligible clusters is healthy (eu-1, us-1)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			d := Schedule(tt.in)
			g.Expect(d.Failure).To(Equal(tt.failure))
			notes := map[string]string{}
			for _, c := range d.Clusters {
				if !c.Eligible {
					notes[c.Name] = c.Reason
				}
			}
			g.Expect(notes).To(Equal(orEmpty(tt.notes)))
		})
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func TestScheduleInvalidInputChangesNothing(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Input)
		message string
	}{
		{"bad fraction", func(in *Input) { in.Policy.MaxVotingPowerFraction = "2/1" },
			`invalid placement input: maxVotingPowerFraction: fraction "2/1" must be greater than 0 and at most 1`},
		{"duplicate cluster", func(in *Input) { in.Clusters = append(in.Clusters, healthy("eu-1", "eu")) },
			"invalid placement input: cluster eu-1 is listed twice"},
		{"bad selector", func(in *Input) {
			in.DeploymentSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "x", Operator: "Near"}}}
		}, `invalid placement input: deployment clusterSelector: "Near" is not a valid label selector operator`},
		{"validator without power", func(in *Input) { in.Validators = true },
			"invalid placement input: validator node power 0 must be positive"},
		{"negative usage", func(in *Input) { in.Usage = map[string]int{"eu-1": -1} },
			"invalid placement input: usage -1 of cluster eu-1 must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			in := fullNodes(2, threeRegions()...)
			in.Current = map[int]string{0: "us-1", 5: "eu-1"}
			tt.mutate(&in)
			d := Schedule(in)
			g.Expect(d.Failure).To(Equal(&Failure{Reason: ReasonInvalidInput, Message: tt.message}))
			g.Expect(d.Assignments).To(Equal(map[int]string{0: "us-1", 5: "eu-1"}))
		})
	}
}

func TestScheduleIsDeterministic(t *testing.T) {
	g := NewWithT(t)
	clusters := []Cluster{
		healthy("ap-1", "ap"), healthy("ap-2", "ap"), healthy("eu-1", "eu"),
		downFor(healthy("eu-2", "eu"), 0), healthy("us-1", "us"), healthy("us-2", "us"),
	}
	in := fullNodes(9, clusters...)
	in.Current = map[int]string{2: "eu-2", 4: "us-2"}
	first := Schedule(in)

	for i := range 20 {
		shuffled := slices.Clone(clusters)
		rand.New(rand.NewPCG(uint64(i), 1)).Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		in.Clusters = shuffled
		g.Expect(Schedule(in)).To(Equal(first), "shuffle %d", i)
	}
}
