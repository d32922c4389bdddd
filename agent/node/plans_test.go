package node

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func testNode(mutate ...func(*seiv1alpha1.SeiNode)) *seiv1alpha1.SeiNode {
	n := &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Name: "n", Namespace: "ns", UID: "uid", Generation: 1},
		Spec:       seiv1alpha1.SeiNodeSpec{ChainID: "c", Image: "seid:v1", FullNode: &seiv1alpha1.FullNodeSpec{}},
	}
	for _, m := range mutate {
		m(n)
	}
	return n
}

func ceremony(n *seiv1alpha1.SeiNode) {
	n.Spec.FullNode = nil
	n.Spec.Validator = &seiv1alpha1.ValidatorSpec{
		Identity: seiv1alpha1.ValidatorIdentity{Mint: true},
		Ceremony: &seiv1alpha1.CeremonySpec{Moniker: "v", StakingAmount: "1usei", AccountBalance: "2usei"},
	}
}

func withGenesis(n *seiv1alpha1.SeiNode) {
	n.Spec.Genesis = &seiv1alpha1.GenesisSource{ConfigMapName: "g", SHA256: "ab"}
}

func phase(p seiv1alpha1.NodePhase, observed int64) func(*seiv1alpha1.SeiNode) {
	return func(n *seiv1alpha1.SeiNode) { n.Status.Phase, n.Status.ObservedGeneration = p, observed }
}

func TestNextPlan(t *testing.T) {
	running := phase(seiv1alpha1.NodeRunning, 1)
	for _, tc := range []struct {
		name string
		node *seiv1alpha1.SeiNode
		want string
	}{
		{"new full node", testNode(), PlanInit},
		{"new ceremony validator without genesis", testNode(ceremony), PlanIdentity},
		{"ceremony validator waiting for its genesis", testNode(ceremony, phase(seiv1alpha1.NodeInitializing, 1)), ""},
		{"ceremony validator with its genesis", testNode(ceremony, withGenesis, phase(seiv1alpha1.NodeInitializing, 1)), PlanInit},
		{"converged", testNode(running, func(n *seiv1alpha1.SeiNode) { n.Status.CurrentImage = "seid:v1" }), ""},
		{"new image", testNode(running, func(n *seiv1alpha1.SeiNode) { n.Generation, n.Status.CurrentImage = 2, "seid:v0" }), PlanNodeUpdate},
		{"other spec change", testNode(running, func(n *seiv1alpha1.SeiNode) { n.Generation, n.Status.CurrentImage = 2, "seid:v1" }), PlanReconfigure},
		{"failed, same spec: no loop", testNode(phase(seiv1alpha1.NodeFailed, 1)), ""},
		{"failed, spec changed: retry", testNode(phase(seiv1alpha1.NodeFailed, 1), func(n *seiv1alpha1.SeiNode) { n.Generation = 2 }), PlanInit},
		{"terminating", testNode(phase(seiv1alpha1.NodeTerminating, 0)), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(nextPlan(tc.node)).To(Equal(tc.want))
		})
	}
}

func types(p *seiv1alpha1.TaskPlan) []string {
	var out []string
	for _, t := range p.Tasks {
		out = append(out, t.Type)
	}
	return out
}

func TestBuildPlan(t *testing.T) {
	g := NewWithT(t)
	p, err := buildPlan(testNode(), PlanInit)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(types(p)).To(Equal([]string{
		tasks.TypeEnsureIdentity, tasks.TypeEnsureDataPVC, tasks.TypeApplyServices, tasks.TypeResolveP2PAddress,
		tasks.TypeApplyNetworkPolicy, tasks.TypeApplyStatefulSet, tasks.TypeAwaitSidecar, tasks.TypeSidecarConfigure, tasks.TypeSidecarConfigApply,
		tasks.TypeSidecarConfigPatch, tasks.TypeSidecarConfigCheck, tasks.TypeSidecarMarkReady, tasks.TypeAwaitRollout,
	}))
	g.Expect(p.TargetPhase).To(Equal("Running"))
	g.Expect(p.FailedPhase).To(Equal("Failed"))
	g.Expect(p.Generation).To(Equal(int64(1)))

	p, err = buildPlan(testNode(ceremony), PlanIdentity)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(types(p)).To(Equal([]string{
		tasks.TypeEnsureIdentity, tasks.TypeEnsureDataPVC, tasks.TypeApplyServices, tasks.TypeResolveP2PAddress, tasks.TypePublishGentx,
	}))
	g.Expect(p.TargetPhase).To(Equal("Initializing"), "the identity plan leaves the validator waiting for its genesis")

	p, err = buildPlan(testNode(ceremony, withGenesis), PlanInit)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(types(p)).To(ContainElement(tasks.TypeVerifyGenesis))
	g.Expect(types(p)).NotTo(ContainElement(tasks.TypeSidecarConfigure), "a hub genesis is not fetched by the sidecar")

	p, err = buildPlan(testNode(), PlanNodeUpdate)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(types(p)[:2]).To(Equal([]string{tasks.TypeApplyStatefulSet, tasks.TypeReplacePod}))
	g.Expect(p.FailedPhase).To(BeEmpty(), "a failed update keeps the node Running")

	p, err = buildPlan(testNode(func(n *seiv1alpha1.SeiNode) { n.Spec.Paused = true }), PlanReconfigure)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(types(p)).NotTo(ContainElement(tasks.TypeAwaitSidecar), "a paused node has no pod to configure")

	stateSync := func(n *seiv1alpha1.SeiNode) {
		n.Spec.FullNode.Bootstrap = &seiv1alpha1.BootstrapSpec{StateSync: &seiv1alpha1.StateSyncBootstrap{}}
	}
	p, err = buildPlan(testNode(stateSync), PlanInit)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(types(p)[7:]).To(Equal([]string{
		tasks.TypeSidecarConfigure, tasks.TypeSidecarConfigApply, tasks.TypeSidecarConfigPatch, tasks.TypeSidecarStateSync,
		tasks.TypeSidecarConfigCheck, tasks.TypeSidecarMarkReady, tasks.TypeAwaitRollout,
	}), "state sync is configured after config-apply and config-patch rewrote config.toml, before seid starts")
	p, err = buildPlan(testNode(func(n *seiv1alpha1.SeiNode) {
		n.Spec.FullNode.Bootstrap = &seiv1alpha1.BootstrapSpec{Snapshot: &seiv1alpha1.SnapshotBootstrap{}}
	}), PlanInit)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(types(p)).To(ContainElements(tasks.TypeSidecarSnapshotRestore, tasks.TypeSidecarStateSync))
	g.Expect(types(p)).To(HaveLen(15))
	for _, plan := range []string{PlanNodeUpdate, PlanReconfigure} {
		p, err = buildPlan(testNode(stateSync), plan)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(types(p)).NotTo(ContainElement(tasks.TypeSidecarStateSync), "%s: a running node has its state", plan)
	}

	_, err = buildPlan(testNode(), "bogus")
	g.Expect(err).To(HaveOccurred())
}

func TestPlanIDsAreStablePerGeneration(t *testing.T) {
	g := NewWithT(t)
	a, _ := buildPlan(testNode(), PlanInit)
	b, _ := buildPlan(testNode(), PlanInit)
	c, _ := buildPlan(testNode(func(n *seiv1alpha1.SeiNode) { n.Generation = 2 }), PlanInit)
	g.Expect(a.ID).To(Equal(b.ID), "rebuilding the same plan gives the same IDs (a crash before persisting repeats nothing)")
	g.Expect(a.Tasks[3].ID).To(Equal(b.Tasks[3].ID))
	g.Expect(a.ID).NotTo(Equal(c.ID))
}
