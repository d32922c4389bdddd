package node_test

import (
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// validatorNode is a deployment's validator: it carries its deployment's UID.
func validatorNode(ns, name string) *seiv1alpha1.SeiNode {
	n := validator(ns, name)
	n.Labels = map[string]string{seiv1alpha1.LabelDeploymentUID: "6f1c2e9a-3b7d-4e58-9a0c-d2f4b6e8a1c3"}
	return n
}

// startGarbageCollector runs the member's real garbage collector and the controller that lets a
// claim go once no pod uses it, for the rest of the test.
func startGarbageCollector(t *testing.T) {
	t.Helper()
	stop, err := member().StartControllers("garbage-collector-controller", "persistentvolumeclaim-protection-controller")
	if errors.Is(err, testfleet.ErrNoControllerManager) && !testfleet.InCI() {
		t.Skipf("needs the member's garbage collector: %v", err)
	}
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = stop() })
}

func claimOf(t *testing.T, ns, node string) (*corev1.PersistentVolumeClaim, error) {
	pvc := &corev1.PersistentVolumeClaim{}
	err := member().Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "data-" + node}, pvc)
	return pvc, err
}

// TestValidatorDataClaimOutlivesItsNode: a fence deletes the member's SeiNode, and the hub re-creates
// it on unfence. The validator's data claim, which holds its signing state, must survive that and be
// the one the new copy runs on; a full node's claim is still collected with its node. The member's
// real garbage collector runs, and the full node deleted beside the validator shows it collects.
// On the old code the validator's claim was owned by its SeiNode and collected with the full node's.
func TestValidatorDataClaimOutlivesItsNode(t *testing.T) {
	startGarbageCollector(t)
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)
	valKey := create(t, validatorNode(ns, "val-0"))
	// A validator whose claim an older agent made: owned by its SeiNode. The fence must release it.
	oldKey := create(t, validatorNode(ns, "val-1"))
	fullKey := create(t, fullNode(ns, "rpc-0"))
	for _, key := range []client.ObjectKey{valKey, oldKey, fullKey} {
		g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	}
	val, err := claimOf(t, ns, "val-0")
	g.Expect(err).NotTo(HaveOccurred())
	old, err := claimOf(t, ns, "val-1")
	g.Expect(err).NotTo(HaveOccurred())
	oldNode := get(t, oldKey)
	old.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(oldNode, seiv1alpha1.GroupVersion.WithKind("SeiNode"))}
	g.Expect(member().Client.Update(ctx, old)).To(Succeed())
	full, err := claimOf(t, ns, "rpc-0")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(full.OwnerReferences).To(HaveLen(1), "a full node's claim is owned by its node")

	// Fence all three.
	for _, key := range []client.ObjectKey{valKey, oldKey, fullKey} {
		g.Expect(member().Client.Delete(ctx, get(t, key))).To(Succeed())
	}
	for _, key := range []client.ObjectKey{valKey, oldKey, fullKey} {
		g.Eventually(func() bool { return apierrors.IsNotFound(member().Client.Get(ctx, key, &seiv1alpha1.SeiNode{})) }).
			WithTimeout(30 * time.Second).Should(BeTrue())
	}
	g.Eventually(func() bool { _, err := claimOf(t, ns, "rpc-0"); return apierrors.IsNotFound(err) }).
		WithTimeout(60*time.Second).Should(BeTrue(), "the garbage collector collects the full node's claim")
	for _, c := range []*corev1.PersistentVolumeClaim{val, old} {
		now, err := claimOf(t, ns, c.Labels[seiv1alpha1.LabelNode])
		g.Expect(err).NotTo(HaveOccurred(), "a validator's claim outlives its node")
		g.Expect(now.UID).To(Equal(c.UID))
		g.Expect(now.DeletionTimestamp).To(BeNil())
		g.Expect(now.OwnerReferences).To(BeEmpty())
		g.Expect(now.Labels).To(HaveKeyWithValue(seiv1alpha1.LabelDeploymentUID, "6f1c2e9a-3b7d-4e58-9a0c-d2f4b6e8a1c3"))
	}

	// Unfence: the new copies (new UIDs) run on the very same claims.
	for _, name := range []string{"val-0", "val-1"} {
		key := create(t, validatorNode(ns, name))
		g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	}
	for _, c := range []*corev1.PersistentVolumeClaim{val, old} {
		now, err := claimOf(t, ns, c.Labels[seiv1alpha1.LabelNode])
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(now.UID).To(Equal(c.UID), "the re-created validator reuses its claim")
		sts := &appsv1.StatefulSet{}
		g.Expect(member().Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: c.Labels[seiv1alpha1.LabelNode]}, sts)).To(Succeed())
		g.Expect(sts.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName).To(Equal(c.Name))
	}
}

// TestForeignDataClaimIsRefused: a claim of the node's name that is not its own fails the node's plan
// before a StatefulSet exists, and is left as it is. The unlabelled claim is the case the agent's
// cache cannot see: on the old code its create returned AlreadyExists, taken for success, and the
// validator started on whatever the claim held.
func TestForeignDataClaimIsRefused(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)

	own := func(name string) *corev1.PersistentVolumeClaim {
		pvc, err := resources.BuildDataPVC(withUID(validatorNode(ns, name)), config.Default())
		g.Expect(err).NotTo(HaveOccurred())
		return pvc
	}
	for _, tc := range []struct {
		node   string
		claim  *corev1.PersistentVolumeClaim
		reason string
	}{
		{node: "bare", claim: bareClaim(ns, "data-bare"), reason: "it has no label sei.io/node"},
		{node: "other-chain", claim: relabel(own("other-chain"), seiv1alpha1.LabelChain, "pacific-1"), reason: `label sei.io/chain is "pacific-1"`},
		{node: "other-deploy", claim: relabel(own("other-deploy"), seiv1alpha1.LabelDeploymentUID, "0000"), reason: `deployment UID "0000"`},
		{node: "owned", claim: ownedByConfigMap(t, own("owned")), reason: "owned by ConfigMap"},
	} {
		t.Run(tc.node, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(member().Client.Create(ctx, tc.claim)).To(Succeed())
			before, err := claimOf(t, ns, tc.node)
			g.Expect(err).NotTo(HaveOccurred())
			key := create(t, validatorNode(ns, tc.node))
			g.Eventually(phaseOf(t, key)).WithTimeout(30 * time.Second).Should(Equal(seiv1alpha1.NodeFailed))
			c := meta.FindStatusCondition(get(t, key).Status.Conditions, seiv1alpha1.NodePlanFailed)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Message).To(And(ContainSubstring("is not this node's data volume"), ContainSubstring(tc.reason)))
			g.Expect(apierrors.IsNotFound(member().Client.Get(ctx, key, &appsv1.StatefulSet{}))).To(BeTrue(), "no StatefulSet mounts a foreign claim")
			after, err := claimOf(t, ns, tc.node)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(after.ResourceVersion).To(Equal(before.ResourceVersion), "the foreign claim is left alone")
		})
	}
}

// TestTerminatingDataClaimIsWaitedOut: a claim of the node's name being deleted (held here by a
// finalizer, as pvc-protection holds one a pod still uses) cannot keep its data; the agent waits until
// it is gone and creates a new one, and no StatefulSet mounts the dying one meanwhile. On the old code
// the agent took the terminating claim as the node's and started the pod on it.
func TestTerminatingDataClaimIsWaitedOut(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	startAgentWithSidecars(t)
	ns := namespace(t)

	dying, err := resources.BuildDataPVC(withUID(validatorNode(ns, "val-0")), config.Default())
	g.Expect(err).NotTo(HaveOccurred())
	dying.Finalizers = []string{"test.sei.io/hold"}
	g.Expect(member().Client.Create(ctx, dying)).To(Succeed())
	g.Expect(member().Client.Delete(ctx, dying)).To(Succeed())

	key := create(t, validatorNode(ns, "val-0"))
	g.Consistently(func(g Gomega) {
		g.Expect(apierrors.IsNotFound(member().Client.Get(ctx, key, &appsv1.StatefulSet{}))).To(BeTrue())
		g.Expect(get(t, key).Status.Phase).NotTo(Equal(seiv1alpha1.NodeFailed))
	}).WithTimeout(4 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())

	g.Expect(member().Client.Get(ctx, client.ObjectKeyFromObject(dying), dying)).To(Succeed())
	dying.Finalizers = nil
	g.Expect(member().Client.Update(ctx, dying)).To(Succeed())
	g.Eventually(phaseOf(t, key)).WithTimeout(60 * time.Second).Should(Equal(seiv1alpha1.NodeRunning))
	now, err := claimOf(t, ns, "val-0")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(now.UID).NotTo(Equal(dying.UID), "a new claim")
	g.Expect(now.DeletionTimestamp).To(BeNil())
}

// withUID gives a node not yet stored the UID the builders insist on.
func withUID(n *seiv1alpha1.SeiNode) *seiv1alpha1.SeiNode {
	n.UID = types.UID("not-stored-" + n.Name)
	return n
}

func bareClaim(ns, name string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
}

func relabel(pvc *corev1.PersistentVolumeClaim, k, v string) *corev1.PersistentVolumeClaim {
	pvc.Labels[k] = v
	return pvc
}

// ownedByConfigMap makes pvc owned by a ConfigMap that exists, so no garbage collector could take it.
func ownedByConfigMap(t *testing.T, pvc *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaim {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: pvc.Namespace, Name: "owner-of-" + pvc.Name}}
	NewWithT(t).Expect(member().Client.Create(t.Context(), cm)).To(Succeed())
	pvc.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: cm.Name, UID: cm.UID}}
	return pvc
}
