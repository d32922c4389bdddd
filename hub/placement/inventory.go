package placement

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// pseudoDomainPrefix names the domain of a node whose cluster has no known topology domain (the cluster is
// gone or lacks the label). Label values cannot contain "/", so these never collide with real domains, and
// power checks still treat such a cluster as one failure domain.
const pseudoDomainPrefix = "cluster/"

// clusterInfo is a Cluster with what the scheduler derives from the policy.
type clusterInfo struct {
	Cluster
	domain   string // topology label value, or a pseudo domain when the label is missing
	eligible bool
	reason   string // why not eligible
	message  string
}

// inventory is the cluster list indexed and judged once per Schedule call.
type inventory struct {
	byName  map[string]*clusterInfo
	sorted  []*clusterInfo // by name, so every walk is deterministic
	topoKey string
	// targetList and targetDomains are the targets, by name and grouped by domain (domains by name),
	// worked out once: the scheduler asks for them for every node it places.
	targetList    []*clusterInfo
	targetDomains []targetDomain
}

// targetDomain is one domain's target clusters, by name.
type targetDomain struct {
	name     string
	clusters []*clusterInfo
}

// newInventory indexes clusters and decides eligibility. Duplicate or empty names are input errors: with
// them the result would depend on slice order.
func newInventory(clusters []Cluster, policySel, deploymentSel *metav1.LabelSelector, topoKey string) (*inventory, error) {
	pol, err := selector(policySel)
	if err != nil {
		return nil, fmt.Errorf("policy clusterSelector: %w", err)
	}
	dep, err := selector(deploymentSel)
	if err != nil {
		return nil, fmt.Errorf("deployment clusterSelector: %w", err)
	}
	inv := &inventory{byName: make(map[string]*clusterInfo, len(clusters)), topoKey: topoKey}
	for _, c := range clusters {
		if c.Name == "" {
			return nil, fmt.Errorf("a cluster has no name")
		}
		if _, dup := inv.byName[c.Name]; dup {
			return nil, fmt.Errorf("cluster %s is listed twice", c.Name)
		}
		ci := &clusterInfo{Cluster: c}
		set := labels.Set(c.Labels)
		domain, hasDomain := c.Labels[topoKey]
		switch {
		case !pol.Matches(set):
			ci.reason, ci.message = ReasonNotSelected, "not selected by the policy's clusterSelector"
		case !dep.Matches(set):
			ci.reason, ci.message = ReasonNotSelected, "not selected by the deployment's clusterSelector"
		case !hasDomain || domain == "":
			ci.reason = ReasonMissingTopologyLabel
			ci.message = fmt.Sprintf("has no value for topology label %s, so it belongs to no domain", topoKey)
		default:
			ci.eligible = true
		}
		if hasDomain && domain != "" {
			ci.domain = domain
		} else {
			ci.domain = pseudoDomainPrefix + c.Name
		}
		inv.byName[c.Name] = ci
		inv.sorted = append(inv.sorted, ci)
	}
	slices.SortFunc(inv.sorted, func(a, b *clusterInfo) int { return strings.Compare(a.Name, b.Name) })
	byDomain := map[string]int{}
	for _, ci := range inv.sorted {
		if !ci.eligible || !ci.Healthy {
			continue
		}
		inv.targetList = append(inv.targetList, ci)
		i, ok := byDomain[ci.domain]
		if !ok {
			i = len(inv.targetDomains)
			byDomain[ci.domain] = i
			inv.targetDomains = append(inv.targetDomains, targetDomain{name: ci.domain})
		}
		inv.targetDomains[i].clusters = append(inv.targetDomains[i].clusters, ci)
	}
	slices.SortFunc(inv.targetDomains, func(a, b targetDomain) int { return strings.Compare(a.name, b.name) })
	return inv, nil
}

func selector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

// domainOf returns the domain a node on the named cluster counts in, known cluster or not.
func (inv *inventory) domainOf(cluster string) string {
	if ci, ok := inv.byName[cluster]; ok {
		return ci.domain
	}
	return pseudoDomainPrefix + cluster
}

// eligible lists the eligible clusters, by name.
func (inv *inventory) eligible() []*clusterInfo {
	var out []*clusterInfo
	for _, ci := range inv.sorted {
		if ci.eligible {
			out = append(out, ci)
		}
	}
	return out
}

// targets lists the clusters that may receive new nodes: eligible and healthy, by name.
func (inv *inventory) targets() []*clusterInfo { return inv.targetList }

// spreadDomains are the domains maxSkew is measured over: those with a healthy eligible cluster, by name.
func (inv *inventory) spreadDomains() []string {
	out := make([]string, 0, len(inv.targetDomains))
	for _, d := range inv.targetDomains {
		out = append(out, d.name)
	}
	return out
}

// whyIneligible says, for a message, why a node's cluster no longer qualifies; empty when it does.
func (inv *inventory) whyIneligible(cluster string) string {
	ci, ok := inv.byName[cluster]
	switch {
	case !ok:
		return "cluster no longer exists"
	case !ci.eligible:
		return "cluster " + ci.message
	}
	return ""
}
