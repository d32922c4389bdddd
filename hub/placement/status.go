package placement

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// finish sorts the lists, fills the status rows and picks the Failure: the first placement failure, else
// a voting power warning, else the first blocked node.
func (sc *scheduler) finish() {
	d := &sc.d
	slices.Sort(d.Unplaced)
	slices.Sort(d.Removed)
	slices.SortFunc(d.Moves, func(a, b Move) int { return a.Ordinal - b.Ordinal })
	slices.SortFunc(d.Blocked, func(a, b Blocked) int { return a.Ordinal - b.Ordinal })
	d.Domains = sc.domainRows()
	d.Clusters = sc.clusterRows()
	switch {
	case sc.failed != nil:
		d.Failure = sc.failed
	case len(d.Blocked) > 0:
		first := d.Blocked[0]
		msg := first.Message
		if more := len(d.Blocked) - 1; more > 0 {
			msg += fmt.Sprintf(" (and %d more blocked)", more)
		}
		d.Failure = &Failure{Reason: first.Reason, Message: msg}
	}
}

// domainRows lists every domain with an eligible cluster or a node of the deployment.
func (sc *scheduler) domainRows() []DomainCount {
	rows := map[string]*DomainCount{}
	row := func(name string) *DomainCount {
		if rows[name] == nil {
			rows[name] = &DomainCount{Name: name}
		}
		return rows[name]
	}
	for _, ci := range sc.inv.eligible() {
		r := row(ci.domain)
		r.EligibleClusters++
		if ci.Healthy {
			r.HealthyClusters++
		}
	}
	for name, n := range sc.st.perDomain {
		if n > 0 {
			r := row(name)
			r.Nodes = n
			if sc.in.Validators {
				r.Power = int64(n) * sc.in.NodePower
			}
		}
	}
	out := make([]DomainCount, 0, len(rows))
	for _, name := range slices.Sorted(maps.Keys(rows)) {
		out = append(out, *rows[name])
	}
	return out
}

func (sc *scheduler) clusterRows() []ClusterNote {
	out := make([]ClusterNote, 0, len(sc.inv.sorted))
	for _, ci := range sc.inv.sorted {
		domain := ci.domain
		if strings.HasPrefix(domain, pseudoDomainPrefix) {
			domain = ""
		}
		out = append(out, ClusterNote{
			Name:     ci.Name,
			Domain:   domain,
			Eligible: ci.eligible,
			Healthy:  ci.Healthy,
			Nodes:    sc.st.perCluster[ci.Name],
			Reason:   ci.reason,
			Message:  ci.message,
		})
	}
	return out
}
