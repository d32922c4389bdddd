package deployment

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

func TestInvalidOverridesNameTheKeyAndTheNearestValidOnes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		role      seiv1alpha1.NodeRole
		overrides map[string]string
		want      []string
	}{
		{"valid", seiv1alpha1.RoleFullNode, map[string]string{"network.p2p.max_connections": "80", "logging.level": "debug"}, nil},
		{"seid's key", seiv1alpha1.RoleFullNode, map[string]string{"p2p.max-num-inbound-peers": "80"},
			[]string{`spec.template.overrides: override "p2p.max-num-inbound-peers": unknown key; did you mean "network.p2p.max_connections"?`}},
		{"a value of the wrong type", seiv1alpha1.RoleArchive, map[string]string{"network.p2p.max_connections": "lots"},
			[]string{`override "network.p2p.max_connections": "lots" is not a valid uint`}},
		{"a key the fleet sets", seiv1alpha1.RoleValidator, map[string]string{"network.p2p.persistent_peers": "a@b:26656"},
			[]string{`override "network.p2p.persistent_peers": not settable through overrides`}},
		{"sei-config's check for the role's mode", seiv1alpha1.RoleSeed, map[string]string{"storage.pruning": "bogus"},
			[]string{"sei-config rejects the seed config: storage.pruning"}},
		{"every problem on one line", seiv1alpha1.RoleFullNode, map[string]string{"a.b": "1", "state_sync.enable": "yes"},
			[]string{`override "a.b": unknown key`, `; override "state_sync.enable": "yes" is not a valid bool`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			d := dep(tc.role, 1)
			d.Spec.Template.Overrides = tc.overrides
			msg := invalidOverrides(d)
			if tc.want == nil {
				g.Expect(msg).To(BeEmpty())
				return
			}
			g.Expect(msg).NotTo(ContainSubstring("\n"))
			for _, w := range tc.want {
				g.Expect(msg).To(ContainSubstring(w))
			}
		})
	}
}

// TestADeploymentWithBadOverridesPlacesNothing reconciles a stored deployment (as one written before
// the CRD's allowlist, or with a value only sei-config refuses) through a client without admission.
func TestADeploymentWithBadOverridesPlacesNothing(t *testing.T) {
	g := NewWithT(t)
	d := dep(seiv1alpha1.RoleValidator, 3)
	d.UID, d.Generation = "", 0 // the fake client assigns them
	d.Spec.Template.Overrides = map[string]string{"p2p.max-num-inbound-peers": "80"}
	r, c := fakeReconciler(t, d)
	key := client.ObjectKeyFromObject(d)

	_, err := r.Reconcile(t.Context(), reconcile.Request{NamespacedName: key})
	g.Expect(err).NotTo(HaveOccurred())
	got := &seiv1alpha1.SeiNodeDeployment{}
	g.Expect(c.Get(t.Context(), key, got)).To(Succeed())
	g.Expect(got.Status.Plan).To(BeNil(), "no plan")
	placed := meta.FindStatusCondition(got.Status.Conditions, seiv1alpha1.DeploymentPlaced)
	g.Expect(placed).NotTo(BeNil())
	g.Expect(placed.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(placed.Reason).To(Equal(seiv1alpha1.ReasonInvalidOverrides))
	g.Expect(placed.Message).To(ContainSubstring(`"p2p.max-num-inbound-peers": unknown key; did you mean "network.p2p.max_connections"?`))
	g.Expect(meta.FindStatusCondition(got.Status.Conditions, seiv1alpha1.DeploymentReadyCondition).Reason).To(Equal(seiv1alpha1.ReasonInvalidOverrides))
	g.Expect(got.Status.Phase).To(Equal(seiv1alpha1.DeploymentPending))
	records := &seiv1alpha1.SeiNodeList{}
	g.Expect(c.List(t.Context(), records)).To(Succeed())
	g.Expect(records.Items).To(BeEmpty(), "no record, so no key is minted")

	// Fixed, the deployment goes on to placement (here: to its missing policy).
	got.Spec.Template.Overrides = map[string]string{"network.p2p.max_connections": "80"}
	g.Expect(c.Update(t.Context(), got)).To(Succeed())
	_, err = r.Reconcile(t.Context(), reconcile.Request{NamespacedName: key})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Get(t.Context(), key, got)).To(Succeed())
	g.Expect(meta.FindStatusCondition(got.Status.Conditions, seiv1alpha1.DeploymentPlaced).Reason).To(Equal(seiv1alpha1.ReasonPolicyNotFound))
}

// TestARolloutIsHeldWhileTheTemplatesOverridesAreBad: a template changed mid-rollout must not reach
// the records that have yet to roll.
func TestARolloutIsHeldWhileTheTemplatesOverridesAreBad(t *testing.T) {
	g := NewWithT(t)
	d := dep(seiv1alpha1.RoleFullNode, 2)
	d.UID, d.Generation = "", 0
	d.Spec.Template.Overrides = map[string]string{"network.p2p.max_connections": "lots"}
	plan, err := newPlan(d, PlanRollout, planner.Step{Type: TaskRoll, MaxRetries: 10})
	g.Expect(err).NotTo(HaveOccurred())
	planner.Begin(&d.Status.Plan, plan)
	r, c := fakeReconciler(t, d)
	key := client.ObjectKeyFromObject(d)

	_, err = r.Reconcile(t.Context(), reconcile.Request{NamespacedName: key})
	g.Expect(err).NotTo(HaveOccurred())
	got := &seiv1alpha1.SeiNodeDeployment{}
	g.Expect(c.Get(t.Context(), key, got)).To(Succeed())
	g.Expect(got.Status.Plan).NotTo(BeNil(), "the plan stays, to go on once the overrides are fixed")
	g.Expect(got.Status.Plan.Tasks[0].Status).To(Equal(seiv1alpha1.TaskPending), "and none of its tasks ran")
	g.Expect(meta.FindStatusCondition(got.Status.Conditions, seiv1alpha1.DeploymentPlaced).Reason).To(Equal(seiv1alpha1.ReasonInvalidOverrides))
}

// fakeReconciler serves objs from a client without admission. Only what a blocked deployment needs is
// set: the executor fails any task it is asked to run.
func fakeReconciler(t *testing.T, objs ...client.Object) (*Reconciler, client.Client) {
	t.Helper()
	s := testScheme(t)
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).
		WithStatusSubresource(&seiv1alpha1.SeiNodeDeployment{}, &seiv1alpha1.SeiNode{}).
		WithIndex(&seiv1alpha1.SeiNode{}, indexRecordsOf, recordsOfKey).Build()
	return &Reconciler{
		Hub: c, HubReader: c, Scheme: s, Recorder: events.NewFakeRecorder(10),
		Executor: &planner.Executor[*Env]{Registry: planner.NewRegistry[*Env]()},
	}, c
}

// testScheme knows client-go's and sei.io's types.
func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	NewWithT(t).Expect(clientgoscheme.AddToScheme(s)).To(Succeed())
	NewWithT(t).Expect(seiv1alpha1.AddToScheme(s)).To(Succeed())
	return s
}
