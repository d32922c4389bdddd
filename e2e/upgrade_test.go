package e2e

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// sidecarOf is the fake sidecar of a record's node, in the member the record names.
func sidecarOf(rec *seiv1alpha1.SeiNode) *sidecartest.Server {
	return local.Sidecars[rec.Spec.ClusterName].Node(rec.Namespace, rec.Name)
}

// sentConfigApply: the node's sidecar got a config-apply with override key=value.
func sentConfigApply(s *sidecartest.Server, key, value string) bool {
	for _, task := range s.Tasks() {
		if task.Type != "config-apply" {
			continue
		}
		if o, ok := task.Params["overrides"].(map[string]any); ok && o[key] == value {
			return true
		}
	}
	return false
}

// switchImage tries to set the deployment's image, again on a write conflict (the hub writes status),
// and returns the apiserver's answer.
func switchImage(t *testing.T, key client.ObjectKey, image string) error {
	t.Helper()
	var err error
	NewWithT(t).Eventually(func() bool {
		d := getDeployment(t, key)
		d.Spec.Image = image
		err = fleet.Hub.Client.Update(t.Context(), d)
		return !apierrors.IsConflict(err)
	}).WithTimeout(30 * time.Second).Should(BeTrue())
	return err
}

func countTasks(s *sidecartest.Server, typ string) int {
	n := 0
	for _, task := range s.Tasks() {
		if task.Type == typ {
			n++
		}
	}
	return n
}

// An upgrade at a height over three regions, with in-process members and simulated pods: the halt
// height reaches every node (config-apply, then the start gate closed behind seid), a node's image is
// held until that node halted at the height, and each record switches once its node did. An image
// switch before the height is refused at admission.
func TestUpgradeAtHeightSwitchesEachNodeOnlyOnceItHalted(t *testing.T) {
	requireLocal(t)
	if local.RealPods {
		t.Skip("drives the fake sidecars; TestRealChainUpgradeAtHeight is the real data plane's")
	}
	g := NewWithT(t)
	ns := hubNamespace(t)
	policy := "upgrade-" + ns
	_, names := registeredRegions(t, 3)
	regionPolicy(t, policy, names, nil)
	key := create(t, fullNodes(ns, "rpc", policy, 3))
	dumpOnFailure(t, key)
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal("3/3"))

	// The sidecars' await-condition (the height) answers only when the test says the node got there.
	recs := records(t, ns, "rpc")
	g.Expect(recs).To(HaveLen(3))
	for i := range recs {
		sidecarOf(&recs[i]).HangTask("await-condition")
	}

	const height = 100
	update(t, key, func(d *seiv1alpha1.SeiNodeDeployment) {
		d.Spec.Upgrade = &seiv1alpha1.UpgradeSpec{Name: "v2", Height: height, Image: "seid:v2"}
	})
	// Every node is armed: its config carries the halt height and its start gate is closed again.
	g.Eventually(func(g Gomega) {
		for _, rec := range records(t, ns, "rpc") {
			g.Expect(rec.Spec.HaltHeight).To(BeEquivalentTo(height), rec.Name)
			s := sidecarOf(&rec)
			g.Expect(sentConfigApply(s, "chain.halt_height", "100")).To(BeTrue(), rec.Name)
			g.Expect(countTasks(s, "mark-not-ready")).To(BeNumerically(">=", 1), rec.Name)
			g.Expect(countTasks(s, "await-condition")).To(Equal(1), rec.Name)
		}
	}).WithTimeout(90 * time.Second).Should(Succeed())
	d := getDeployment(t, key)
	g.Expect(d.Status.Upgrade).NotTo(BeNil())
	g.Expect(d.Status.Upgrade.Phase).To(Equal(seiv1alpha1.UpgradeScheduled))
	g.Expect(condition(d, seiv1alpha1.DeploymentUpgradeInProgress).Reason).To(Equal(seiv1alpha1.ReasonUpgradeScheduled))

	// An image switch before the height is refused.
	g.Expect(switchImage(t, key, "seid:v2")).To(MatchError(ContainSubstring("spec.image cannot change while spec.upgrade is set")))

	// Two of three nodes reach the height: they move to the new image; the third, not there yet (a
	// validator still waiting for the votes of the others), keeps the old image and its halt height.
	recs = records(t, ns, "rpc")
	for i := range recs[:2] {
		sidecarOf(&recs[i]).ReleaseTask("await-condition")
	}
	g.Eventually(func(g Gomega) {
		for _, rec := range records(t, ns, "rpc") {
			if rec.Name == recs[2].Name {
				continue
			}
			g.Expect(rec.Spec.Image).To(Equal("seid:v2"), rec.Name)
			g.Expect(rec.Spec.HaltHeight).To(BeZero(), rec.Name)
			g.Expect(rec.Status.CurrentImage).To(Equal("seid:v2"), rec.Name)
		}
	}).WithTimeout(60 * time.Second).Should(Succeed())
	d = getDeployment(t, key)
	g.Expect(d.Status.Upgrade.Phase).To(Equal(seiv1alpha1.UpgradeSwitching))
	var third seiv1alpha1.SeiNode
	g.Expect(fleet.Hub.Client.Get(t.Context(), client.ObjectKeyFromObject(&recs[2]), &third)).To(Succeed())
	g.Expect(third.Spec.Image).To(Equal(seidImage()), "%s runs the old image until it halted at the height", third.Name)
	g.Expect(third.Spec.HaltHeight).To(BeEquivalentTo(height))
	g.Expect(third.Status.CurrentImage).To(Equal(seidImage()))

	// The last one halts: every record moves to the new image, without its halt height.
	sidecarOf(&recs[2]).ReleaseTask("await-condition")
	g.Eventually(func(g Gomega) {
		d := getDeployment(t, key)
		g.Expect(d.Status.Upgrade.Phase).To(Equal(seiv1alpha1.UpgradeComplete))
		g.Expect(d.Status.Upgrade.Halted).To(BeEmpty(), "released")
		g.Expect(d.Status.Upgrade.Upgraded).To(HaveLen(3))
		for _, rec := range records(t, ns, "rpc") {
			g.Expect(rec.Spec.Image).To(Equal("seid:v2"), rec.Name)
			g.Expect(rec.Spec.HaltHeight).To(BeZero(), rec.Name)
			g.Expect(rec.Status.CurrentImage).To(Equal("seid:v2"), rec.Name)
			g.Expect(rec.Status.HaltedAt).To(BeZero(), rec.Name)
		}
	}).WithTimeout(90 * time.Second).Should(Succeed())
	g.Eventually(readyCount(t, key)).WithTimeout(30 * time.Second).Should(Equal("3/3"))
	d = getDeployment(t, key)
	g.Expect(condition(d, seiv1alpha1.DeploymentUpgradeInProgress).Reason).To(Equal(seiv1alpha1.ReasonUpgradeComplete))
	g.Expect(d.Status.UpdatedReplicas).To(BeEquivalentTo(3))

	// The edit after the upgrade (remove it, set the image it switched to) changes no record.
	generations := map[string]int64{}
	for _, rec := range records(t, ns, "rpc") {
		generations[rec.Name] = rec.Generation
	}
	update(t, key, func(d *seiv1alpha1.SeiNodeDeployment) { d.Spec.Upgrade, d.Spec.Image = nil, "seid:v2" })
	g.Eventually(func() int64 { return getDeployment(t, key).Status.ObservedGeneration }).
		WithTimeout(30 * time.Second).Should(Equal(getDeployment(t, key).Generation))
	g.Expect(getDeployment(t, key).Status.Plan).To(BeNil(), "no rollout: the records run spec.image already")
	for _, rec := range records(t, ns, "rpc") {
		g.Expect(rec.Generation).To(Equal(generations[rec.Name]), rec.Name)
	}
}
