package placement

import (
	"fmt"
	"maps"
	"strings"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// state counts this deployment's nodes per cluster and per domain while Schedule assigns them.
type state struct {
	inv        *inventory
	rules      rules
	usage      map[string]int
	perCluster map[string]int
	perDomain  map[string]int
	spread     []string // domains maxSkew is measured over
}

func newState(inv *inventory, r rules, usage map[string]int) *state {
	return &state{
		inv:        inv,
		rules:      r,
		usage:      usage,
		perCluster: map[string]int{},
		perDomain:  map[string]int{},
		spread:     inv.spreadDomains(),
	}
}

func (s *state) add(cluster string) {
	s.perCluster[cluster]++
	s.perDomain[s.inv.domainOf(cluster)]++
}

// clone copies the counts so a tentative all-or-nothing pass can be thrown away.
func (s *state) clone() *state {
	c := *s
	c.perCluster = maps.Clone(s.perCluster)
	c.perDomain = maps.Clone(s.perDomain)
	return &c
}

// load is every node on the cluster under this policy: this deployment's and others'.
func (s *state) load(cluster string) int { return s.perCluster[cluster] + s.usage[cluster] }

func (s *state) hasRoom(cluster string) bool {
	return s.rules.maxPerCluster == 0 || s.load(cluster) < s.rules.maxPerCluster
}

// choice is where choose puts one node.
type choice struct {
	cluster, domain string
}

// choose picks the cluster for one more node: the domain with the fewest of the deployment's nodes among
// those with a healthy eligible cluster with room (ties by name), then within it the cluster with the
// fewest of the deployment's nodes, then the least total load, then the name. Only the least-loaded domain
// needs the maxSkew check: if it fails there, it fails in every other domain with room too.
func (s *state) choose() (choice, *Failure) {
	targets := s.inv.targets()
	if len(targets) == 0 {
		return choice{}, s.noTargets()
	}
	best := s.best()
	if best == nil {
		return choice{}, s.allFull(targets)
	}
	if f := s.checkSkew(best.domain); f != nil {
		return choice{}, f
	}
	return choice{cluster: best.Name, domain: best.domain}, nil
}

// best is the target with room that better ranks first, or nil. better ranks by domain first, so
// this picks the domain, then looks at that domain's clusters only: a node costs O(domains + clusters
// of one domain), not O(clusters). A domain without room is passed over for the next.
func (s *state) best() *clusterInfo {
	var full []bool // domains found without room; rare, so made when needed
	for {
		di := -1
		for i, d := range s.inv.targetDomains { // by name: the first of the least-loaded wins ties
			if (full == nil || !full[i]) && (di < 0 || s.perDomain[d.name] < s.perDomain[s.inv.targetDomains[di].name]) {
				di = i
			}
		}
		if di < 0 {
			return nil
		}
		var best *clusterInfo
		for _, ci := range s.inv.targetDomains[di].clusters {
			if s.hasRoom(ci.Name) && (best == nil || s.better(ci, best)) {
				best = ci
			}
		}
		if best != nil {
			return best
		}
		if full == nil {
			full = make([]bool, len(s.inv.targetDomains))
		}
		full[di] = true
	}
}

// better orders candidate clusters by the rules choose documents.
func (s *state) better(a, b *clusterInfo) bool {
	if da, db := s.perDomain[a.domain], s.perDomain[b.domain]; da != db {
		return da < db
	}
	if a.domain != b.domain {
		return a.domain < b.domain
	}
	if ca, cb := s.perCluster[a.Name], s.perCluster[b.Name]; ca != cb {
		return ca < cb
	}
	if la, lb := s.load(a.Name), s.load(b.Name); la != lb {
		return la < lb
	}
	return a.Name < b.Name
}

// checkSkew uses the Kubernetes topology-spread test: a node may go to a domain when that domain's count
// plus one exceeds the smallest count by at most maxSkew. So a domain that is already far behind can
// always catch up, even when the spread is out of bounds from earlier changes.
func (s *state) checkSkew(domain string) *Failure {
	minDomain := ""
	for _, d := range s.spread {
		if minDomain == "" || s.perDomain[d] < s.perDomain[minDomain] {
			minDomain = d
		}
	}
	skew := s.perDomain[domain] + 1 - s.perDomain[minDomain]
	if skew <= s.rules.maxSkew {
		return nil
	}
	return &Failure{
		Reason: seiv1alpha1.ReasonMaxSkew,
		Message: fmt.Sprintf("the least-loaded domain with room is %s; one more node there would make %d against %d in domain %s, "+
			"a skew of %d over maxSkew %d, and no healthy eligible cluster in %s has room (maxNodesPerCluster %d)",
			domain, s.perDomain[domain]+1, s.perDomain[minDomain], minDomain, skew, s.rules.maxSkew, minDomain, s.rules.maxPerCluster),
	}
}

func (s *state) noTargets() *Failure {
	eligible := s.inv.eligible()
	if len(eligible) == 0 {
		return &Failure{
			Reason: seiv1alpha1.ReasonNoEligibleClusters,
			Message: fmt.Sprintf("no cluster is eligible: none of the %d known clusters matches the policy's and the deployment's "+
				"clusterSelectors and has topology label %s", len(s.inv.sorted), s.rules.topoKey),
		}
	}
	names := make([]string, 0, len(eligible))
	for _, ci := range eligible {
		names = append(names, ci.Name)
	}
	return &Failure{
		Reason:  seiv1alpha1.ReasonClusterUnhealthy,
		Message: fmt.Sprintf("none of the %d eligible clusters is healthy (%s)", len(eligible), strings.Join(names, ", ")),
	}
}

func (s *state) allFull(targets []*clusterInfo) *Failure {
	loads := make([]string, 0, len(targets))
	for _, ci := range targets {
		loads = append(loads, fmt.Sprintf("%s %d", ci.Name, s.load(ci.Name)))
	}
	return &Failure{
		Reason: seiv1alpha1.ReasonMaxNodesPerCluster,
		Message: fmt.Sprintf("every healthy eligible cluster is full under maxNodesPerCluster %d, counting other deployments' nodes (%s)",
			s.rules.maxPerCluster, strings.Join(loads, ", ")),
	}
}
