package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/fraction"
)

// randomInput builds a small but varied scheduling problem: clusters with and without labels, some
// unhealthy, selectors, capacity, usage, current assignments (some on clusters that are gone) and fences.
func randomInput(r *rand.Rand) Input {
	in := Input{Now: testNow, Replicas: r.IntN(10), Validators: r.IntN(2) == 0, NodePower: 1 + r.Int64N(3)}
	if in.Validators {
		in.ExternalPower = r.Int64N(4)
	}
	domains := 1 + r.IntN(5)
	for i := range r.IntN(8) {
		c := healthy(fmt.Sprintf("c%d", i), fmt.Sprintf("r%d", r.IntN(domains)), "tier", []string{"gold", "silver"}[r.IntN(2)])
		if r.IntN(10) == 0 {
			delete(c.Labels, "region")
		}
		if r.IntN(3) == 0 {
			c.Labels["zone"] = "z"
		}
		if r.IntN(4) == 0 {
			c = downFor(c, time.Duration(r.IntN(20))*time.Minute)
			if r.IntN(5) == 0 {
				c.UnhealthySince = nil
			}
		}
		in.Clusters = append(in.Clusters, c)
	}
	p := &in.Policy
	p.MaxSkew = int32(r.IntN(4))
	if r.IntN(2) == 0 {
		p.MaxNodesPerCluster = ptr.To(int32(1 + r.IntN(4)))
	}
	p.MaxVotingPowerFraction = []string{"", "1/3", "1/2", "0.4", "2/3", "1"}[r.IntN(6)]
	if r.IntN(2) == 0 {
		p.Failover.FullNodes.TolerationSeconds = ptr.To([]int64{0, 60, 600}[r.IntN(3)])
	}
	p.Failover.Validators = []seiv1alpha1.ValidatorFailover{"", seiv1alpha1.ValidatorFailoverManual, seiv1alpha1.ValidatorFailoverAfterFence}[r.IntN(3)]
	if r.IntN(4) == 0 {
		p.ClusterSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "gold"}}
	}
	if r.IntN(4) == 0 {
		in.DeploymentSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "zone", Operator: metav1.LabelSelectorOpExists}}}
	}
	in.Current, in.Fenced, in.Usage = map[int]string{}, map[int]bool{}, map[string]int{}
	names := []string{"gone"}
	for _, c := range in.Clusters {
		names = append(names, c.Name)
		if r.IntN(3) == 0 {
			in.Usage[c.Name] = r.IntN(3)
		}
	}
	for ord := range 12 {
		if r.IntN(3) == 0 {
			in.Current[ord] = names[r.IntN(len(names))]
			in.Fenced[ord] = r.IntN(2) == 0
		}
	}
	return in
}

// facts is the test's own, independent reading of the input.
type facts struct {
	eligible, healthy map[string]bool
	domain            map[string]string
}

func readFacts(in Input) facts {
	f := facts{eligible: map[string]bool{}, healthy: map[string]bool{}, domain: map[string]string{}}
	for _, c := range in.Clusters {
		_, zone := c.Labels["zone"]
		region, hasRegion := c.Labels["region"]
		f.eligible[c.Name] = hasRegion &&
			(in.Policy.ClusterSelector == nil || c.Labels["tier"] == "gold") &&
			(in.DeploymentSelector == nil || zone)
		f.healthy[c.Name] = c.Healthy
		f.domain[c.Name] = region
		if !hasRegion {
			f.domain[c.Name] = pseudoDomainPrefix + c.Name
		}
	}
	return f
}

// mayMove says whether the failover rules allow the node at ord to leave its current cluster.
func mayMove(in Input, f facts, ord int, cluster string) bool {
	bad := !f.eligible[cluster] || !f.healthy[cluster]
	if in.Validators {
		return bad && in.Policy.Failover.Validators == seiv1alpha1.ValidatorFailoverAfterFence && in.Fenced[ord]
	}
	if !f.eligible[cluster] {
		return true
	}
	tol := in.Policy.Failover.FullNodes.TolerationSeconds
	if f.healthy[cluster] || tol == nil {
		return false
	}
	// A missing UnhealthySince counts as "just now".
	down := time.Duration(0)
	if since := in.Clusters[slices.IndexFunc(in.Clusters, func(c Cluster) bool { return c.Name == cluster })].UnhealthySince; since != nil {
		down = in.Now.Sub(*since)
	}
	return down >= time.Duration(*tol)*time.Second
}

func checkInvariants(g Gomega, in Input, d Decision) {
	f := readFacts(in)
	g.Expect(d.Failure == nil || d.Failure.Reason != ReasonInvalidInput).To(BeTrue(), "generated input is valid: %v", d.Failure)
	unplaced := map[int]bool{}
	for _, ord := range d.Unplaced {
		unplaced[ord] = true
	}
	for ord := range in.Replicas {
		_, placed := d.Assignments[ord]
		g.Expect(placed != unplaced[ord]).To(BeTrue(), "ordinal %d is either placed or unplaced", ord)
	}
	g.Expect(len(d.Assignments) + len(d.Unplaced)).To(Equal(in.Replicas))

	// Sticky: an existing node keeps its cluster unless the failover rules let it move, and then a Move says so.
	changed := map[int]bool{}
	for ord, from := range in.Current {
		if ord >= in.Replicas {
			g.Expect(d.Removed).To(ContainElement(ord))
			continue
		}
		g.Expect(d.Assignments).To(HaveKey(ord), "a placed node is never unplaced")
		if to := d.Assignments[ord]; to != from {
			changed[ord] = true
			g.Expect(mayMove(in, f, ord, from)).To(BeTrue(), "ordinal %d moved from %s to %s", ord, from, to)
			i := slices.IndexFunc(d.Moves, func(m Move) bool { return m.Ordinal == ord })
			g.Expect(i).NotTo(Equal(-1), "ordinal %d changed cluster without a Move", ord)
			if i >= 0 {
				g.Expect([]string{d.Moves[i].From, d.Moves[i].To}).To(Equal([]string{from, to}))
			}
		}
	}
	g.Expect(d.Moves).To(HaveLen(len(changed)))

	// New and moved nodes land on healthy eligible clusters with room.
	final := perCluster(d)
	received := map[string]bool{}
	newOrds := 0
	for ord, c := range d.Assignments {
		if _, existed := in.Current[ord]; existed && !changed[ord] {
			continue
		}
		newOrds++
		received[f.domain[c]] = true
		g.Expect(f.eligible[c] && f.healthy[c]).To(BeTrue(), "ordinal %d placed on %s", ord, c)
		if m := in.Policy.MaxNodesPerCluster; m != nil {
			g.Expect(final[c]+in.Usage[c]).To(BeNumerically("<=", *m), "cluster %s over maxNodesPerCluster", c)
		}
	}

	if !in.Validators || in.Replicas == 0 {
		return
	}
	// All or nothing: either nothing new or moved, or every ordinal that needed a cluster got one.
	if newOrds > 0 {
		g.Expect(d.Unplaced).To(BeEmpty())
	}
	frac := in.Policy.MaxVotingPowerFraction
	if frac == "" {
		frac = DefaultMaxVotingPowerFraction
	}
	c, err := fraction.Parse(frac)
	g.Expect(err).NotTo(HaveOccurred())
	total := int64(in.Replicas)*in.NodePower + in.ExternalPower
	for _, row := range d.Domains {
		if received[row.Name] && !c.IsOne() { // a cap of 1 caps nothing
			g.Expect(row.Power*c.Den).To(BeNumerically("<", c.Num*total), "domain %s holds %d of %d", row.Name, row.Power, total)
		}
	}
}

func TestScheduleProperties(t *testing.T) {
	for seed := range uint64(3000) {
		r := rand.New(rand.NewPCG(seed, 42))
		in := randomInput(r)
		d := Schedule(in)
		var failures []string
		checkInvariants(NewGomega(func(msg string, _ ...int) { failures = append(failures, msg) }), in, d)
		if len(failures) > 0 {
			t.Fatalf("seed %d: %v\ninput: %+v\ndecision: %+v", seed, failures, in, d)
		}
		g := NewWithT(t)
		shuffled := slices.Clone(in.Clusters)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		in.Clusters = shuffled
		g.Expect(Schedule(in)).To(Equal(d), "seed %d: cluster order changed the decision", seed)
	}
}

func FuzzSchedule(f *testing.F) {
	for _, seed := range []uint64{0, 1, 7, 99} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		in := randomInput(rand.New(rand.NewPCG(seed, seed>>7)))
		checkInvariants(NewWithT(t), in, Schedule(in))
	})
}
