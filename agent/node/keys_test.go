package node_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// validator is a validator SeiNode that mints its keys and joins an existing chain.
func validator(ns, name string) *seiv1alpha1.SeiNode {
	n := fullNode(ns, name)
	n.Spec.FullNode = nil
	n.Spec.Validator = &seiv1alpha1.ValidatorSpec{Identity: seiv1alpha1.ValidatorIdentity{Mint: true}}
	return n
}

// identityReason is the IdentityReady condition's reason, for Eventually.
func identityReason(t *testing.T, key client.ObjectKey) func() string {
	return func() string {
		c := meta.FindStatusCondition(get(t, key).Status.Conditions, seiv1alpha1.NodeIdentityReady)
		if c == nil {
			return ""
		}
		return c.Reason
	}
}

// A second validator naming a key Secret that a first one uses gets no pod: one key in two pods signs
// twice. A pod it somehow already has (from before the agent checked) is stopped.
func TestValidatorNamingAnotherValidatorsKeyIsRefused(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)

	firstKey := create(t, validator(ns, "val-a"))
	g.Eventually(phaseOf(t, firstKey)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	first := get(t, firstKey)

	// Created a second later, so the first is older by creation time as well as by name.
	time.Sleep(time.Second)
	second := validator(ns, "val-b")
	second.Spec.Validator.Identity = seiv1alpha1.ValidatorIdentity{SigningKeySecret: "val-a-signing-key", NodeKeySecret: "val-b-node"}
	secondKey := create(t, second)
	g.Eventually(identityReason(t, secondKey)).WithTimeout(30 * time.Second).Should(Equal(seiv1alpha1.ReasonKeySecretInUse))
	n := get(t, secondKey)
	c := meta.FindStatusCondition(n.Status.Conditions, seiv1alpha1.NodeIdentityReady)
	g.Expect(c.Message).To(ContainSubstring("key Secret val-a-signing-key is also used by validator SeiNode val-a, created earlier, which keeps it"))
	g.Expect(meta.FindStatusCondition(n.Status.Conditions, seiv1alpha1.NodeReady).Reason).To(Equal(seiv1alpha1.ReasonKeySecretInUse))
	g.Expect(n.Status.Plan).To(BeNil(), "no plan starts")
	g.Consistently(func() error { return member().Client.Get(ctx, secondKey, &appsv1.StatefulSet{}) }).
		WithTimeout(3*time.Second).ShouldNot(Succeed(), "no StatefulSet for the second validator")

	// The older one keeps running, unaffected.
	g.Expect(get(t, firstKey).Status.Phase).To(Equal(seiv1alpha1.NodeRunning))
	g.Expect(get(t, firstKey).Status.ConsensusPubKey).To(Equal(first.Status.ConsensusPubKey))

	// A StatefulSet the refused node already has (made before the agent checked claims) is deleted.
	n = get(t, secondKey)
	sts, err := resources.BuildStatefulSet(n, config.Default())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(member().Client.Create(ctx, sts)).To(Succeed())
	g.Eventually(func() bool {
		s := &appsv1.StatefulSet{}
		err := member().Client.Get(ctx, secondKey, s)
		return err != nil || !s.DeletionTimestamp.IsZero()
	}).WithTimeout(30*time.Second).Should(BeTrue(), "the agent deletes the refused node's StatefulSet")
	g.Expect(member().Client.Get(ctx, firstKey, &appsv1.StatefulSet{})).To(Succeed(), "the older node's stays")
}

// Minted keys carry the deployment UID the hub recorded on the node. A deployment deleted and created
// again under the same name (another UID) finds the old Secrets and is refused them, with a message
// that says what to do; labelling them with the new UID (an admin's explicit decision) lets it go on.
func TestMintedKeysOfARecreatedDeploymentAreRefused(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)

	node := validator(ns, "val-0")
	node.Labels = map[string]string{seiv1alpha1.LabelDeploymentUID: "uid-1"}
	key := create(t, node)
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	pubKey := get(t, key).Status.ConsensusPubKey
	for _, name := range []string{"val-0-node-key", "val-0-signing-key", "val-0-operator-key"} {
		s := &corev1.Secret{}
		g.Expect(member().Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s)).To(Succeed())
		g.Expect(s.Labels).To(HaveKeyWithValue(seiv1alpha1.LabelDeploymentUID, "uid-1"), name)
	}

	// The deployment goes; its validator's Secrets stay (an identity outlives its node).
	g.Expect(member().Client.Delete(ctx, get(t, key))).To(Succeed())
	g.Eventually(func() error { return member().Client.Get(ctx, key, &seiv1alpha1.SeiNode{}) }).
		WithTimeout(30 * time.Second).ShouldNot(Succeed())
	g.Eventually(func() error { return member().Client.Get(ctx, key, &appsv1.StatefulSet{}) }).
		WithTimeout(30 * time.Second).ShouldNot(Succeed())

	// A new deployment of the same name places a validator of the same name.
	node = validator(ns, "val-0")
	node.Labels = map[string]string{seiv1alpha1.LabelDeploymentUID: "uid-2"}
	key = create(t, node)
	g.Eventually(identityReason(t, key)).WithTimeout(30 * time.Second).Should(Equal(seiv1alpha1.ReasonKeySecretOfAnotherDeployment))
	c := meta.FindStatusCondition(get(t, key).Status.Conditions, seiv1alpha1.NodeIdentityReady)
	g.Expect(c.Message).To(And(
		ContainSubstring(`was minted for deployment UID "uid-1", not this node's "uid-2"`),
		ContainSubstring("Delete the Secret to mint new keys"),
		ContainSubstring("label it sei.io/deployment-uid=uid-2")))
	g.Consistently(func() error { return member().Client.Get(ctx, key, &appsv1.StatefulSet{}) }).
		WithTimeout(3*time.Second).ShouldNot(Succeed(), "no pod with the old deployment's keys")
	g.Expect(get(t, key).Status.ConsensusPubKey).To(BeEmpty(), "the old key is not even read")

	// The admin decides the keys do belong to this deployment.
	for _, name := range []string{"val-0-node-key", "val-0-signing-key", "val-0-operator-key"} {
		s := &corev1.Secret{}
		g.Expect(member().Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s)).To(Succeed())
		s.Labels[seiv1alpha1.LabelDeploymentUID] = "uid-2"
		g.Expect(member().Client.Update(ctx, s)).To(Succeed())
	}
	// And the key's signing state with them: the data claim outlived the old deployment's node, and is
	// refused to another deployment's just as its keys are.
	claim := &corev1.PersistentVolumeClaim{}
	g.Expect(member().Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "data-val-0"}, claim)).To(Succeed())
	g.Expect(claim.Labels).To(HaveKeyWithValue(seiv1alpha1.LabelDeploymentUID, "uid-1"))
	claim.Labels[seiv1alpha1.LabelDeploymentUID] = "uid-2"
	g.Expect(member().Client.Update(ctx, claim)).To(Succeed())
	// Wakes the agent now rather than in 30s. A merge patch: the agent writes the node's status
	// meanwhile (the claim's new label woke it), and an update would conflict with that.
	n := get(t, key)
	nudge := client.MergeFrom(n.DeepCopy())
	n.Annotations = map[string]string{"test.sei.io/nudge": "1"}
	g.Expect(member().Client.Patch(ctx, n, nudge)).To(Succeed())
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	g.Expect(get(t, key).Status.ConsensusPubKey).To(Equal(pubKey))
}

// A node without a deployment (applied by hand on the member) mints unlabelled keys and uses them.
func TestStandaloneValidatorMintsUnlabelledKeys(t *testing.T) {
	g := NewWithT(t)
	startAgentWithSidecars(t)
	ns := namespace(t)
	key := create(t, validator(ns, "solo"))
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	s := &corev1.Secret{}
	g.Expect(member().Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "solo-signing-key"}, s)).To(Succeed())
	g.Expect(s.Labels).NotTo(HaveKey(seiv1alpha1.LabelDeploymentUID))
	g.Expect(meta.IsStatusConditionTrue(get(t, key).Status.Conditions, seiv1alpha1.NodeIdentityReady)).To(BeTrue())
}
