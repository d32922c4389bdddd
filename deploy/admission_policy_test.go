package deploy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// hubUser is the hub's ServiceAccount as the apiserver names it.
const hubUser = "system:serviceaccount:sei-fleet-system:sei-fleet-hub"

// as returns a hub client acting as user, bound to cluster-admin: the policy must hold against
// admins too, since RBAC that lets a user scale a deployment lets them edit its records.
func as(t *testing.T, user string) client.Client {
	t.Helper()
	g := NewWithT(t)
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "policy-test-"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	g.Expect(fleet.Hub.Client.Create(t.Context(), binding)).To(Succeed())
	t.Cleanup(func() { _ = fleet.Hub.Client.Delete(context.WithoutCancel(t.Context()), binding) })
	cfg := rest.CopyConfig(fleet.Hub.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	c, err := client.New(cfg, client.Options{Scheme: fleet.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	return c
}

// installHubPolicy creates deploy/hub's admission policy and binding on the hub for real and waits
// until the apiserver enforces it.
func installHubPolicy(t *testing.T) {
	t.Helper()
	g := NewWithT(t)
	var n int
	for _, o := range renderBase(t, "hub") {
		if o.GetKind() != "ValidatingAdmissionPolicy" && o.GetKind() != "ValidatingAdmissionPolicyBinding" {
			continue
		}
		n++
		g.Expect(fleet.Hub.Client.Create(t.Context(), o)).To(Succeed())
		// t.Context() is already cancelled when cleanups run.
		t.Cleanup(func() { _ = fleet.Hub.Client.Delete(context.WithoutCancel(t.Context()), o) })
	}
	g.Expect(n).To(Equal(4), "deploy/hub ships two ValidatingAdmissionPolicies and their bindings")
}

func validatorRecord(name, clusterName string) *seiv1alpha1.SeiNode {
	return &seiv1alpha1.SeiNode{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "policy-test",
			Labels: map[string]string{seiv1alpha1.LabelDeployment: "validators"}},
		Spec: seiv1alpha1.SeiNodeSpec{
			ChainID: "test-1", Image: "seid:v1", ClusterName: clusterName,
			Validator: &seiv1alpha1.ValidatorSpec{Identity: seiv1alpha1.ValidatorIdentity{Mint: true}},
		},
	}
}

func TestOnlyTheHubMovesFencesOrDeletesAValidator(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	g.Expect(client.IgnoreAlreadyExists(fleet.Hub.Client.Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "policy-test"}}))).To(Succeed())
	installHubPolicy(t)
	user, hub := as(t, "alice"), as(t, hubUser)

	// The hub places a validator; the policy is enforced a moment after it is created.
	record := validatorRecord("validators-1", "eu")
	g.Expect(hub.Create(ctx, record)).To(Succeed())
	t.Cleanup(func() {
		_ = hub.Delete(ctx, record)
	})
	moveTo := func(c client.Client, clusterName string) error {
		cur := &seiv1alpha1.SeiNode{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(record), cur); err != nil {
			return err
		}
		cur.Spec.ClusterName = clusterName
		return c.Update(ctx, cur)
	}
	g.Eventually(func() error {
		err := moveTo(user, "us")
		if err == nil {
			// Not enforced yet: put the record back where the hub placed it, or every later try would
			// "move" it to where it already is, which the policy allows.
			if err := moveTo(hub, "eu"); err != nil {
				return err
			}
			return errors.New("the policy is not enforced yet")
		}
		return err
	}).WithTimeout(30 * time.Second).Should(MatchError(ContainSubstring("only the sei-fleet hub may change it")))
	err := moveTo(user, "us")
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
	g.Expect(err.Error()).To(ContainSubstring("spec.clusterName of validator validators-1 is eu"))

	// A merge patch, the form `kubectl patch` sends, is refused the same way.
	err = user.Patch(ctx, validatorRecord("validators-1", ""), client.RawPatch("application/merge-patch+json",
		[]byte(`{"spec":{"clusterName":"us"}}`)))
	g.Expect(err).To(MatchError(ContainSubstring("only the sei-fleet hub may change it")))

	// Fence marks: a user can neither clear the hub's mark (which lets the mirror re-create the copy)
	// nor forge one (which lets a validator move before its old copy is gone).
	setAnnotation := func(c client.Client, key, value string) error {
		cur := &seiv1alpha1.SeiNode{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(record), cur); err != nil {
			return err
		}
		if cur.Annotations == nil {
			cur.Annotations = map[string]string{}
		}
		if value == "" {
			delete(cur.Annotations, key)
		} else {
			cur.Annotations[key] = value
		}
		return c.Update(ctx, cur)
	}
	g.Expect(setAnnotation(user, seiv1alpha1.AnnotationFencedCluster, "eu")).
		To(MatchError(ContainSubstring("only the sei-fleet hub may set, change or remove them")))
	g.Expect(setAnnotation(hub, seiv1alpha1.AnnotationFencing, "eu")).To(Succeed())
	g.Expect(setAnnotation(user, seiv1alpha1.AnnotationFencing, "")).
		To(MatchError(ContainSubstring("only the sei-fleet hub may set, change or remove them")))
	g.Expect(setAnnotation(user, seiv1alpha1.AnnotationFencing, "us")).
		To(MatchError(ContainSubstring("only the sei-fleet hub may set, change or remove them")))
	// The UID of the member copy the hub saw is the fence's too: only the hub writes it.
	g.Expect(setAnnotation(user, seiv1alpha1.AnnotationMemberCopyUID, "forged")).
		To(MatchError(ContainSubstring("only the sei-fleet hub may set, change or remove them")))
	g.Expect(setAnnotation(hub, seiv1alpha1.AnnotationMemberCopyUID, "uid-1")).To(Succeed())
	for _, v := range []string{"uid-2", ""} {
		g.Expect(setAnnotation(user, seiv1alpha1.AnnotationMemberCopyUID, v)).
			To(MatchError(ContainSubstring("only the sei-fleet hub may set, change or remove them")), "%q", v)
	}
	forged := validatorRecord("validators-9", "us")
	forged.Annotations = map[string]string{seiv1alpha1.AnnotationFencedCluster: "eu"}
	g.Expect(user.Create(ctx, forged)).To(MatchError(ContainSubstring("only the sei-fleet hub may set")))

	// Deleting a deployment's validator record is the hub's.
	g.Expect(user.Delete(ctx, validatorRecord("validators-1", ""))).
		To(MatchError(ContainSubstring("belongs to SeiNodeDeployment validators: scale or delete the deployment instead")))

	// Everything else stays open: users edit what is theirs, the hub moves, fences and deletes.
	g.Expect(setAnnotation(user, "example.com/owner", "team-a")).To(Succeed())
	g.Expect(setAnnotation(hub, seiv1alpha1.AnnotationFencedCluster, "eu")).To(Succeed())
	g.Expect(moveTo(hub, "us")).To(Succeed())
	fullNode := validatorRecord("full-0", "eu")
	fullNode.Spec.Validator, fullNode.Spec.FullNode = nil, &seiv1alpha1.FullNodeSpec{}
	g.Expect(user.Create(ctx, fullNode)).To(Succeed())
	g.Expect(moveTo(user, "eu")).To(MatchError(ContainSubstring("only the sei-fleet hub"))) // still the validator
	cur := &seiv1alpha1.SeiNode{}
	g.Expect(user.Get(ctx, client.ObjectKeyFromObject(fullNode), cur)).To(Succeed())
	cur.Spec.ClusterName = "us"
	g.Expect(user.Update(ctx, cur)).To(Succeed(), "full nodes are not the policy's")
	g.Expect(user.Delete(ctx, fullNode)).To(Succeed())
	g.Expect(hub.Delete(ctx, record)).To(Succeed())
}

// The member identity the hub pins on a ManagedCluster is set only by the hub and never changed; an
// admin may remove it (a cluster rebuilt on purpose), and the hub pins afresh.
func TestOnlyTheHubPinsAMemberIdentity(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	installHubPolicy(t)
	user, hub := as(t, "alice"), as(t, hubUser)
	setPin := func(c client.Client, name, value string) error {
		mc := &clusterv1.ManagedCluster{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, mc); err != nil {
			return err
		}
		if mc.Annotations == nil {
			mc.Annotations = map[string]string{}
		}
		if value == "" {
			delete(mc.Annotations, seiv1alpha1.AnnotationClusterIdentity)
		} else {
			mc.Annotations[seiv1alpha1.AnnotationClusterIdentity] = value
		}
		return c.Update(ctx, mc)
	}

	// An admin cannot register a cluster with a pin of their choosing.
	forged := &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: "pinned-by-hand",
		Annotations: map[string]string{seiv1alpha1.AnnotationClusterIdentity: "uid-x"}}}
	g.Eventually(func() error {
		err := user.Create(ctx, forged.DeepCopy())
		if err == nil { // the policy is not enforced yet
			err = errors.New("created")
			_ = fleet.Hub.Client.Delete(ctx, forged)
		}
		return err
	}).WithTimeout(30 * time.Second).Should(MatchError(ContainSubstring("only the hub may set it")))

	mc := &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: "pin-test"}, Spec: clusterv1.ManagedClusterSpec{HubAcceptsClient: true}}
	g.Expect(user.Create(ctx, mc)).To(Succeed())
	t.Cleanup(func() { _ = fleet.Hub.Client.Delete(context.WithoutCancel(ctx), mc) })
	g.Expect(setPin(user, "pin-test", "uid-a")).To(MatchError(ContainSubstring("only the hub may set it")))
	g.Expect(setPin(hub, "pin-test", "uid-a")).To(Succeed())
	for _, c := range []client.Client{user, hub} {
		err := setPin(c, "pin-test", "uid-b")
		g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
		g.Expect(err).To(MatchError(ContainSubstring("sei.io/cluster-identity of pin-test is uid-a and is never changed")))
	}
	// Everything else on the ManagedCluster stays the admin's; the pin may go.
	g.Expect(user.Get(ctx, client.ObjectKeyFromObject(mc), mc)).To(Succeed())
	mc.Labels = map[string]string{"region": "us"}
	g.Expect(user.Update(ctx, mc)).To(Succeed())
	g.Expect(setPin(user, "pin-test", "")).To(Succeed())
	g.Expect(setPin(hub, "pin-test", "uid-b")).To(Succeed())
}
