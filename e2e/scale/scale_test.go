package scale

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	flagNodes      = flag.String("scale.nodes", "100,1000,10000", "comma-separated fleet sizes (full nodes), one sub-benchmark each")
	flagClusters   = flag.Int("scale.clusters", 100, "simulated member clusters (views)")
	flagAPIServers = flag.Int("scale.apiservers", 4, "real kube-apiservers hosting the views")
	flagPerDep     = flag.Int("scale.per-deployment", 100, "full nodes per SeiNodeDeployment")
	flagResync     = flag.Duration("scale.resync", 10*time.Second, "the hub's --resync")
	flagToleration = flag.Duration("scale.toleration", 10*time.Second, "the policy's full-node failover toleration")
	flagTimeout    = flag.Duration("scale.timeout", 15*time.Minute, "bound of each wait")
	flagHeights    = flag.Duration("scale.height-interval", 30*time.Second, "how often each running node's height is read into its status, as the agent's --height-interval (0: never)")
	flagSteady     = flag.Duration("scale.steady", 3*time.Minute, "how long the converged fleet runs on a moving chain while the hub's writes and CPU are counted (0: skip)")
)

// BenchmarkScale runs the harness once per size in -scale.nodes over -scale.clusters clusters. Run it
// with -benchtime 1x: one run is one fleet.
func BenchmarkScale(b *testing.B) {
	for _, s := range strings.Split(*flagNodes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("-scale.nodes: %q is not a size", s)
		}
		b.Run(fmt.Sprintf("nodes=%d/clusters=%d", n, *flagClusters), func(b *testing.B) {
			res := run(b, config{
				apiservers: *flagAPIServers, clusters: *flagClusters, nodes: n, perDeployment: *flagPerDep,
				resync: *flagResync, toleration: *flagToleration, timeout: *flagTimeout, hubArgs: hubArgs(),
				heightInterval: *flagHeights, steady: *flagSteady,
			})
			report(b, n, res)
		})
	}
}

func report(b *testing.B, nodes int, r result) {
	b.ReportMetric(r.engage.Seconds(), "engage-s")
	b.ReportMetric(r.placed.Seconds(), "placed-s")
	b.ReportMetric(r.running.Seconds(), "running-s")
	b.ReportMetric(r.cpuSeconds, "hub-cpu-s")
	b.ReportMetric(r.cpuSeconds*1000/float64(nodes), "hub-cpu-ms/node")
	b.ReportMetric(r.peakRSSMiB, "hub-peak-rss-MiB")
	b.ReportMetric(float64(r.hubRequests)/float64(nodes), "hub-requests/node")
	b.ReportMetric(float64(r.hubWrites)/float64(nodes), "hub-writes/node")
	b.ReportMetric(float64(r.resyncWrites), "resync-writes")
	if r.steady > 0 {
		b.ReportMetric(float64(r.steadyWrites)/r.steady.Seconds(), "steady-hub-writes/s")
		b.ReportMetric(100*r.steadyCPUSeconds/r.steady.Seconds(), "steady-hub-cpu-%")
	}
	b.ReportMetric(float64(r.clustersUsed), "clusters-used")
	b.ReportMetric(float64(r.maxPerCluster), "max-nodes/cluster")
	b.ReportMetric(float64(r.failoverNodes), "failover-nodes")
	b.ReportMetric(r.failover.Seconds(), "failover-s")
	b.ReportMetric(r.failoverFromTol.Seconds(), "failover-after-toleration-s")
}
