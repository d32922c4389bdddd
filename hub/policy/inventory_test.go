package policy_test

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	clusterv1beta2 "open-cluster-management.io/api/cluster/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/hub/policy"
)

type health map[string]clusters.Health

func (h health) Get(name string) (clusters.Health, bool) { v, ok := h[name]; return v, ok }

func cluster(name string, accepted bool, labels map[string]string) *clusterv1.ManagedCluster {
	return &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: clusterv1.ManagedClusterSpec{HubAcceptsClient: accepted}}
}

func inventory(t *testing.T, h health, objs ...client.Object) *policy.Inventory {
	t.Helper()
	s := runtime.NewScheme()
	NewWithT(t).Expect(clientgoscheme.AddToScheme(s)).To(Succeed())
	NewWithT(t).Expect(clusterv1.Install(s)).To(Succeed())
	NewWithT(t).Expect(clusterv1beta2.Install(s)).To(Succeed())
	return &policy.Inventory{Reader: fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build(), Health: h}
}

func TestClustersAreAcceptedRegisteredClustersWithTheirHealth(t *testing.T) {
	g := NewWithT(t)
	since := time.Unix(1000, 0)
	inv := inventory(t, health{
		"us": {Healthy: true},
		"eu": {Healthy: false, UnhealthySince: &since},
	},
		cluster("us", true, map[string]string{"region": "us"}),
		cluster("eu", true, map[string]string{"region": "eu"}),
		cluster("pending", false, nil),
		cluster("ap", true, nil), // never probed
	)
	got, err := inv.Clusters(t.Context(), &seiv1alpha1.SeiPlacementPolicySpec{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(HaveLen(3), "clusters the hub has not accepted are left out")
	g.Expect(got[0].Name).To(Equal("ap"))
	g.Expect(got[0].Healthy).To(BeFalse(), "not probed yet: no target for new nodes")
	g.Expect(got[1].Name).To(Equal("eu"))
	g.Expect(got[1].UnhealthySince).To(Equal(&since))
	g.Expect(got[2].Name).To(Equal("us"))
	g.Expect(got[2].Healthy).To(BeTrue())
	g.Expect(got[2].Labels).To(HaveKeyWithValue("region", "us"))
}

func TestClusterSetsLimitTheClusters(t *testing.T) {
	g := NewWithT(t)
	inv := inventory(t, health{},
		cluster("a", true, map[string]string{clusterv1beta2.ClusterSetLabel: "prod"}),
		cluster("b", true, map[string]string{clusterv1beta2.ClusterSetLabel: "staging"}),
		cluster("c", true, map[string]string{"tier": "gold"}),
		&clusterv1beta2.ManagedClusterSet{ObjectMeta: metav1.ObjectMeta{Name: "prod"}},
		&clusterv1beta2.ManagedClusterSet{ObjectMeta: metav1.ObjectMeta{Name: "gold"}, Spec: clusterv1beta2.ManagedClusterSetSpec{
			ClusterSelector: clusterv1beta2.ManagedClusterSelector{SelectorType: clusterv1beta2.LabelSelector,
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "gold"}}}}},
	)
	names := func(sets ...string) []string {
		got, err := inv.Clusters(t.Context(), &seiv1alpha1.SeiPlacementPolicySpec{ClusterSets: sets})
		g.Expect(err).NotTo(HaveOccurred())
		var out []string
		for _, c := range got {
			out = append(out, c.Name)
		}
		return out
	}
	g.Expect(names("prod")).To(Equal([]string{"a"}), "exclusive cluster-set label")
	g.Expect(names("gold")).To(Equal([]string{"c"}), "label-selector cluster set")
	g.Expect(names("prod", "gold")).To(Equal([]string{"a", "c"}), "the union of the sets")
	g.Expect(names("missing")).To(BeEmpty(), "a set that does not exist selects nothing")
	g.Expect(names()).To(HaveLen(3), "no sets: every cluster")
}

func TestAllowsNamespace(t *testing.T) {
	g := NewWithT(t)
	inv := inventory(t, health{},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Labels: map[string]string{"sei.io/fleet": "yes"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-b"}},
	)
	for _, tc := range []struct {
		name string
		spec seiv1alpha1.SeiPlacementPolicySpec
		ns   string
		ok   bool
		why  string
	}{
		{"no restriction", seiv1alpha1.SeiPlacementPolicySpec{}, "team-b", true, ""},
		{"listed", seiv1alpha1.SeiPlacementPolicySpec{Namespaces: []string{"team-a"}}, "team-a", true, ""},
		{"not listed", seiv1alpha1.SeiPlacementPolicySpec{Namespaces: []string{"team-a"}}, "team-b", false, "allows namespaces [team-a] only"},
		{"selected", seiv1alpha1.SeiPlacementPolicySpec{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"sei.io/fleet": "yes"}}}, "team-a", true, ""},
		{"not selected", seiv1alpha1.SeiPlacementPolicySpec{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"sei.io/fleet": "yes"}}}, "team-b", false, "does not match the policy's namespaceSelector"},
	} {
		ok, why, err := inv.AllowsNamespace(t.Context(), &tc.spec, tc.ns)
		g.Expect(err).NotTo(HaveOccurred(), tc.name)
		g.Expect(ok).To(Equal(tc.ok), tc.name)
		g.Expect(why).To(ContainSubstring(tc.why), tc.name)
	}
}
