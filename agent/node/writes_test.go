package node_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestConvergedNodeCausesNoWrites(t *testing.T) {
	g := NewWithT(t)
	sidecars := sidecartest.NewFleet()
	t.Cleanup(sidecars.Close) // after the agent stops: cleanups run last-in first-out
	// A one-second cache resync: every object is reconciled again each second.
	run := startAgent(t, agentOpts{sidecars: sidecars, syncPeriod: time.Second})
	ns := namespace(t)
	node := fullNode(ns, "quiet")
	key := create(t, node)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	g.Eventually(func() *seiv1alpha1.TaskPlan { return get(t, key).Status.Plan }).Should(BeNil())

	time.Sleep(time.Second) // let the last plan's follow-up reconcile settle
	run.writes.Reset()
	before := get(t, key).ResourceVersion
	time.Sleep(4 * time.Second) // four resync periods
	var ours []string
	for _, w := range run.writes.Writes() {
		ours = append(ours, w.Verb+" "+w.Kind+" "+w.Namespace+"/"+w.Name)
	}
	g.Expect(run.writes.Gets("SeiNode")).To(BeNumerically(">=", 3), "the node was reconciled on every resync")
	g.Expect(ours).To(BeEmpty(), "a converged node makes no API writes")
	g.Expect(get(t, key).ResourceVersion).To(Equal(before))
}
