package placement

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteMaxPlaced searches every order of placements at domain level (clusters within a domain are
// interchangeable for counts) and returns the most nodes, up to n, that can be placed one by one under
// maxNodesPerCluster, maxSkew and, when perDomainCap >= 0, at most perDomainCap nodes per domain.
func bruteMaxPlaced(n int, room []int, maxSkew, perDomainCap int) int {
	memo := map[string]int{}
	counts := make([]int, len(room))
	var search func(placed int) int
	search = func(placed int) int {
		if placed == n {
			return n
		}
		key := fmt.Sprint(counts)
		if v, ok := memo[key]; ok {
			return v
		}
		best := placed
		low := slices.Min(counts)
		for d := range counts {
			if counts[d] >= room[d] || counts[d]+1-low > maxSkew || (perDomainCap >= 0 && counts[d] >= perDomainCap) {
				continue
			}
			counts[d]++
			best = max(best, search(placed+1))
			counts[d]--
		}
		memo[key] = best
		return best
	}
	if len(room) == 0 {
		return 0
	}
	return search(0)
}

// domainRoom is the room per spread domain of an input without current assignments.
func domainRoom(in Input) []int {
	f := readFacts(in)
	room := map[string]int{}
	for _, c := range in.Clusters {
		if !f.eligible[c.Name] || !f.healthy[c.Name] {
			continue
		}
		r := in.Replicas
		if m := in.Policy.MaxNodesPerCluster; m != nil {
			r = max(0, int(*m)-in.Usage[c.Name])
		}
		room[f.domain[c.Name]] += r
	}
	out := make([]int, 0, len(room))
	for _, d := range slices.Sorted(maps.Keys(room)) {
		out = append(out, room[d])
	}
	return out
}

// TestScheduleIsOptimal checks the water-filling greedy against exhaustive search: full nodes place as
// many as any order could, and validators are refused only when no placement satisfies every rule.
func TestScheduleIsOptimal(t *testing.T) {
	for seed := range uint64(2000) {
		r := rand.New(rand.NewPCG(seed, 7))
		in := randomInput(r)
		in.Current, in.Fenced = nil, nil
		in.Replicas = 1 + r.IntN(8)
		maxSkew := int(in.Policy.MaxSkew)
		if maxSkew == 0 {
			maxSkew = DefaultMaxSkew
		}
		room := domainRoom(in)
		d := Schedule(in)
		placed := len(d.Assignments)
		if !in.Validators {
			if want := bruteMaxPlaced(in.Replicas, room, maxSkew, -1); placed != want {
				t.Fatalf("seed %d: placed %d full nodes, exhaustive search places %d\ninput: %+v\ndecision: %+v", seed, placed, want, in, d)
			}
			continue
		}
		rl, err := resolveRules(in.Policy)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		perDomain := rl.maxPerDomain(in.NodePower, int64(in.Replicas)*in.NodePower+in.ExternalPower)
		feasible := bruteMaxPlaced(in.Replicas, room, maxSkew, int(perDomain)) == in.Replicas
		if feasible != (placed == in.Replicas) {
			t.Fatalf("seed %d: feasible %v but placed %d of %d validators\ninput: %+v\ndecision: %+v", seed, feasible, placed, in.Replicas, in, d)
		}
	}
}
