package e2e

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// A converged fleet is quiet: once a deployment is Running, the hub's resyncs (every 2s in this
// suite) re-evaluate it, its records and their member copies and write nothing, on the hub or on the
// members, and neither do the agents. At 10,000 nodes any write per resync is thousands per period.
func TestConvergedDeploymentResyncWritesNothing(t *testing.T) {
	requireLocal(t)
	g := NewWithT(t)
	ns := hubNamespace(t)
	_, names := registeredRegions(t, 2)      // two regions are enough to be quiet in
	regionPolicy(t, "quiet-"+ns, names, nil) // its status (node counts per cluster) is checked too
	key := create(t, fullNodes(ns, "quiet", "quiet-"+ns, 3))
	dumpOnFailure(t, key)
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal("3/3"))
	g.Eventually(func() seiv1alpha1.DeploymentPhase { return getDeployment(t, key).Status.Phase }).
		WithTimeout(30 * time.Second).Should(Equal(seiv1alpha1.DeploymentReady))

	// Settled: the last status copies and events of the rollout are through, and the policy's counts
	// (cluster-scoped: not in ns) too. Then, over three resync periods, nothing in the namespace is
	// written: not by the hub (its writes are recorded), not by the agents (recorded too), and not by
	// the hub on members (the objects' resourceVersions hold).
	policy := "quiet-" + ns
	last := -1
	g.Eventually(func() bool {
		n := writes(ns) + policyWrites(policy)
		settled := n == last
		last = n
		return settled
	}).WithTimeout(30*time.Second).WithPolling(2*time.Second).Should(BeTrue(), "writes settle")
	g.Expect(writesIn(local.HubWrites, ns)).To(BeNumerically(">", 0), "the recorder sees the hub's writes")
	start, agentBefore, versions := len(local.HubWrites.Writes()), agentWrites(ns), resourceVersions(t, ns, "quiet")
	g.Consistently(func() string {
		var got []string
		for _, w := range local.HubWrites.Writes()[start:] {
			if w.Namespace != ns && (w.Kind != "SeiPlacementPolicy" || w.Name != policy) {
				continue
			}
			got = append(got, fmt.Sprintf("hub %s %s/%s %s", w.Verb, w.Kind, w.Name, w.Subresource))
		}
		if n := agentWrites(ns); n != agentBefore {
			got = append(got, fmt.Sprintf("agents made %d writes", n-agentBefore))
		}
		return fmt.Sprint(got)
	}).WithTimeout(7 * time.Second).WithPolling(500 * time.Millisecond).Should(Equal("[]"))
	g.Expect(resourceVersions(t, ns, "quiet")).To(Equal(versions), "records and member copies unchanged")
}

// policyWrites counts the hub's writes to the SeiPlacementPolicy name.
func policyWrites(name string) int {
	n := 0
	for _, w := range local.HubWrites.Writes() {
		if w.Kind == "SeiPlacementPolicy" && w.Name == name {
			n++
		}
	}
	return n
}

// writes counts the hub's and agents' writes in ns.
func writes(ns string) int { return writesIn(local.HubWrites, ns) + agentWrites(ns) }

func agentWrites(ns string) int {
	n := 0
	for _, rec := range local.AgentWrites {
		n += writesIn(rec, ns)
	}
	return n
}

// resourceVersions maps every record of the deployment, and its member copy, to its resourceVersion.
func resourceVersions(t *testing.T, ns, dep string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, rec := range records(t, ns, dep) {
		out["hub/"+rec.Name] = rec.ResourceVersion
		m := fleet.Member(rec.Spec.ClusterName)
		if m == nil {
			continue
		}
		c := &seiv1alpha1.SeiNode{}
		NewWithT(t).Expect(m.Client.Get(t.Context(), client.ObjectKeyFromObject(&rec), c)).To(Succeed())
		out[m.Name+"/"+rec.Name] = c.ResourceVersion
	}
	return out
}
