package placement

import (
	"time"

	"k8s.io/utils/ptr"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// healthy is a healthy cluster in a region, with optional extra label pairs.
func healthy(name, region string, kv ...string) Cluster {
	labels := map[string]string{}
	if region != "" {
		labels["region"] = region
	}
	for i := 0; i+1 < len(kv); i += 2 {
		labels[kv[i]] = kv[i+1]
	}
	return Cluster{Name: name, Labels: labels, Healthy: true}
}

// downFor makes a cluster unhealthy since d before testNow.
func downFor(c Cluster, d time.Duration) Cluster {
	c.Healthy = false
	c.UnhealthySince = ptr.To(testNow.Add(-d))
	return c
}

// fullNodes is an input for n full nodes over the clusters under the default policy.
func fullNodes(n int, clusters ...Cluster) Input {
	return Input{Replicas: n, Clusters: clusters, Now: testNow}
}

// validators is an input for n validators of power 1 each under the default (1/3) policy.
func validators(n int, clusters ...Cluster) Input {
	return Input{Replicas: n, Validators: true, NodePower: 1, Clusters: clusters, Now: testNow}
}

// threeRegions is one healthy cluster in each of ap, eu and us.
func threeRegions() []Cluster {
	return []Cluster{healthy("ap-1", "ap"), healthy("eu-1", "eu"), healthy("us-1", "us")}
}

// perCluster counts a decision's assignments per cluster.
func perCluster(d Decision) map[string]int {
	out := map[string]int{}
	for _, c := range d.Assignments {
		out[c]++
	}
	return out
}

// perDomain reads the decision's domain rows as name → nodes, leaving out empty domains.
func perDomain(d Decision) map[string]int {
	out := map[string]int{}
	for _, row := range d.Domains {
		if row.Nodes > 0 {
			out[row.Name] = row.Nodes
		}
	}
	return out
}

func withToleration(in Input, seconds int64) Input {
	in.Policy.Failover.FullNodes.TolerationSeconds = ptr.To(seconds)
	return in
}

func withAfterFence(in Input) Input {
	in.Policy.Failover.Validators = seiv1alpha1.ValidatorFailoverAfterFence
	return in
}

func withMaxPerCluster(in Input, n int32) Input {
	in.Policy.MaxNodesPerCluster = ptr.To(n)
	return in
}
