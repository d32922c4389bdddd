package rollout

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// fleet builds n ready nodes on revision "old" wanting "new", spread round-robin over the domains.
func fleet(prefix string, n int, domains ...string) []Node {
	nodes := make([]Node, n)
	for i := range nodes {
		nodes[i] = Node{
			Name: fmt.Sprintf("%s-%d", prefix, i), Ordinal: i, Domain: domains[i%len(domains)], Power: 1,
			CurrentRevision: "old", DesiredRevision: "new", Ready: true,
		}
	}
	return nodes
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		update   []string
		waiting  map[string]string
		stalled  string
		complete bool
	}{
		{
			name:   "one at a time by default, in domain then ordinal order",
			in:     Input{Nodes: fleet("n", 4, "us", "eu"), ByTopology: true},
			update: []string{"n-1"},
			waiting: map[string]string{
				"n-3": "maxUnavailable 1 reached: n-1 unavailable",
				"n-0": "waiting for domain eu to finish", "n-2": "waiting for domain eu to finish",
			},
		},
		{
			name:    "without topology, ordinal order",
			in:      Input{Nodes: fleet("n", 3, "us", "eu"), MaxUnavailable: ptr.To(intstr.FromInt32(2))},
			update:  []string{"n-0", "n-1"},
			waiting: map[string]string{"n-2": "maxUnavailable 2 reached: n-0, n-1 unavailable"},
		},
		{
			name:   "a percentage rounds down but never below 1",
			in:     Input{Nodes: fleet("n", 3, "x"), MaxUnavailable: ptr.To(intstr.FromString("10%"))},
			update: []string{"n-0"},
			waiting: map[string]string{
				"n-1": "maxUnavailable 1 reached: n-0 unavailable", "n-2": "maxUnavailable 1 reached: n-0 unavailable",
			},
		},
		{
			name: "a node that is not ready and outdated is updated at once, outside the budget and the domain order",
			in: func() Input {
				nodes := fleet("n", 4, "ap", "us")
				nodes[3].Ready = false
				return Input{Nodes: nodes, ByTopology: true, MaxUnavailable: ptr.To(intstr.FromInt32(2))}
			}(),
			update: []string{"n-0", "n-3"},
			waiting: map[string]string{
				"n-2": "maxUnavailable 2 reached: n-3, n-0 unavailable", "n-1": "waiting for domain ap to finish",
			},
		},
		{
			name: "nodes already down are updated even over the budget",
			in: func() Input {
				nodes := fleet("n", 3, "x")
				nodes[1].Ready, nodes[2].Ready = false, false
				return Input{Nodes: nodes}
			}(),
			update:  []string{"n-1", "n-2"},
			waiting: map[string]string{"n-0": "maxUnavailable 1 reached: n-1, n-2 unavailable"},
		},
		{
			name: "in-progress and not-ready nodes use the budget",
			in: func() Input {
				nodes := fleet("n", 3, "x")
				nodes[0].Updating, nodes[0].CurrentRevision = true, "new"
				nodes[1].Ready, nodes[1].CurrentRevision = false, "new"
				return Input{Nodes: nodes, MaxUnavailable: ptr.To(intstr.FromInt32(2))}
			}(),
			waiting: map[string]string{
				"n-0": "update in progress", "n-1": "updated; waiting for it to become ready",
				"n-2": "maxUnavailable 2 reached: n-0, n-1 unavailable",
			},
		},
		{
			name:   "validators never take 1/3 of the power down",
			in:     Input{Nodes: fleet("v", 7, "a", "b", "c"), Validators: true, MaxUnavailable: ptr.To(intstr.FromInt32(7))},
			update: []string{"v-0", "v-1"},
			waiting: map[string]string{
				"v-2": "taking it down would make 3/7 (42.8%) of voting power unavailable; it must stay below 1/3 (33.3%)",
				"v-3": "taking it down would make 3/7 (42.8%) of voting power unavailable; it must stay below 1/3 (33.3%)",
				"v-4": "taking it down would make 3/7 (42.8%) of voting power unavailable; it must stay below 1/3 (33.3%)",
				"v-5": "taking it down would make 3/7 (42.8%) of voting power unavailable; it must stay below 1/3 (33.3%)",
				"v-6": "taking it down would make 3/7 (42.8%) of voting power unavailable; it must stay below 1/3 (33.3%)",
			},
		},
		{
			name: "first fit: a smaller validator goes when a bigger one does not fit",
			in: func() Input {
				nodes := fleet("v", 3, "x")
				nodes[0].Power = 5
				return Input{Nodes: nodes, Validators: true, ExternalPower: 8, MaxUnavailable: ptr.To(intstr.FromInt32(3))}
			}(),
			update: []string{"v-1", "v-2"},
			waiting: map[string]string{
				"v-0": "taking it down would make 5/15 (33.3%) of voting power unavailable; it must stay below 1/3 (33.3%)",
			},
		},
		{
			name: "three validators alone: stalled, and it says why",
			in:   Input{Nodes: fleet("v", 3, "a", "b", "c"), Validators: true, ByTopology: true},
			waiting: map[string]string{
				"v-0": "taking it down would make 1/3 (33.3%) of voting power unavailable; it must stay below 1/3 (33.3%)",
				"v-1": "waiting for domain a to finish", "v-2": "waiting for domain a to finish",
			},
			stalled: "no update can start safely: v-0: taking it down would make 1/3 (33.3%) of voting power unavailable; it must stay below 1/3 (33.3%)",
		},
		{
			name: "a custom power cap",
			in: Input{Nodes: fleet("v", 3, "a", "b", "c"), Validators: true, PowerCap: Fraction{Num: 1, Den: 2},
				MaxUnavailable: ptr.To(intstr.FromInt32(3))},
			update: []string{"v-0"},
			waiting: map[string]string{
				"v-1": "taking it down would make 2/3 (66.6%) of voting power unavailable; it must stay below 1/2 (50.0%)",
				"v-2": "taking it down would make 2/3 (66.6%) of voting power unavailable; it must stay below 1/2 (50.0%)",
			},
		},
		{
			name: "a power cap of 1 is still a cap: the whole power never goes down at once",
			in: Input{Nodes: fleet("v", 3, "a", "b", "c"), Validators: true, PowerCap: Fraction{Num: 1, Den: 1},
				MaxUnavailable: ptr.To(intstr.FromInt32(3))},
			update: []string{"v-0", "v-1"},
			waiting: map[string]string{
				"v-2": "taking it down would make 3/3 (100.0%) of voting power unavailable; it must stay below 1/1 (100.0%)",
			},
		},
		{
			name: "complete",
			in: func() Input {
				nodes := fleet("n", 2, "x")
				for i := range nodes {
					nodes[i].CurrentRevision = "new"
				}
				return Input{Nodes: nodes}
			}(),
			complete: true,
		},
		{
			name:     "no nodes is complete",
			in:       Input{},
			complete: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			step, err := Plan(tt.in)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(step.Update).To(Equal(tt.update))
			if tt.waiting == nil {
				tt.waiting = map[string]string{}
			}
			g.Expect(step.Waiting).To(Equal(tt.waiting))
			g.Expect(step.Stalled).To(Equal(tt.stalled))
			g.Expect(step.Complete).To(Equal(tt.complete))
		})
	}
}

func TestPlanRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		err  string
	}{
		{"duplicate name", Input{Nodes: append(fleet("n", 2, "x"), fleet("n", 1, "y")...)}, "invalid rollout input: node n-0 is listed twice"},
		{"no name", Input{Nodes: []Node{{}}}, "invalid rollout input: a node has no name"},
		{"validator without power", Input{Nodes: []Node{{Name: "v"}}, Validators: true},
			"invalid rollout input: validator v has voting power 0; it must be positive"},
		{"bad cap", Input{PowerCap: Fraction{Num: 2, Den: 1}}, "invalid rollout input: power cap 2/1 must be greater than 0 and at most 1"},
		{"zero maxUnavailable", Input{MaxUnavailable: ptr.To(intstr.FromInt32(0))}, "invalid rollout input: maxUnavailable 0 must be at least 1"},
		{"bad percentage", Input{MaxUnavailable: ptr.To(intstr.FromString("lots"))},
			`invalid rollout input: maxUnavailable: invalid value for IntOrString: invalid type: string is not a percentage`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := Plan(tt.in)
			g.Expect(err).To(MatchError(tt.err))
		})
	}
}

func TestPlanIgnoresInputOrder(t *testing.T) {
	g := NewWithT(t)
	nodes := fleet("v", 9, "c", "a", "b")
	nodes[4].Ready = false
	nodes[7].Updating = true
	in := Input{Nodes: nodes, ByTopology: true, Validators: true, ExternalPower: 20, MaxUnavailable: ptr.To(intstr.FromString("50%"))}
	want, err := Plan(in)
	g.Expect(err).NotTo(HaveOccurred())
	for seed := range uint64(10) {
		in.Nodes = slices.Clone(nodes)
		rand.New(rand.NewPCG(seed, 3)).Shuffle(len(in.Nodes), func(i, j int) { in.Nodes[i], in.Nodes[j] = in.Nodes[j], in.Nodes[i] })
		g.Expect(Plan(in)).To(Equal(want))
	}
}
