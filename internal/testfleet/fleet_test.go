package testfleet_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	if os.Getenv(killedChildEnv) != "" {
		os.Exit(killedChild(m))
	}
	os.Exit(testfleet.Main(m, testfleet.Options{Members: []string{"us", "eu"}}, &fleet))
}

func crdNames(ctx context.Context, g Gomega, c client.Client) []string {
	list := &apiextensionsv1.CustomResourceDefinitionList{}
	g.Expect(c.List(ctx, list)).To(Succeed())
	var names []string
	for _, crd := range list.Items {
		names = append(names, crd.Name)
	}
	return names
}

func TestHubAndMembersAreSeparateClustersWithTheirCRDs(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	g.Expect(fleet.Members).To(HaveLen(2))

	g.Expect(crdNames(ctx, g, fleet.Hub.Client)).To(ConsistOf(
		"seinodes.sei.io", "seinodedeployments.sei.io", "seiplacementpolicies.sei.io",
		"managedclusters.cluster.open-cluster-management.io",
		"managedclustersets.cluster.open-cluster-management.io",
		"managedclustersetbindings.cluster.open-cluster-management.io",
	))
	for _, m := range fleet.Members {
		g.Expect(crdNames(ctx, g, m.Client)).To(ConsistOf("seinodes.sei.io"), m.Name)
	}

	// Three apiservers, three hosts, and an object made on one exists only there.
	hosts := map[string]bool{}
	for _, cp := range fleet.All() {
		hosts[cp.Host()] = true
	}
	g.Expect(hosts).To(HaveLen(3))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "only-on-us"}}
	g.Expect(fleet.Member("us").Client.Create(ctx, ns)).To(Succeed())
	g.Expect(fleet.Member("eu").Client.Get(ctx, client.ObjectKeyFromObject(ns), &corev1.Namespace{})).NotTo(Succeed())
	g.Expect(fleet.Hub.Client.Get(ctx, client.ObjectKeyFromObject(ns), &corev1.Namespace{})).NotTo(Succeed())
}

func TestKubeconfigsReachTheirCluster(t *testing.T) {
	g := NewWithT(t)
	for _, cp := range fleet.All() {
		path, err := cp.WriteKubeconfig(t.TempDir())
		g.Expect(err).NotTo(HaveOccurred())
		cfg, err := clientcmd.BuildConfigFromFlags("", path)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(strings.TrimSuffix(cfg.Host, "/")).To(Equal(strings.TrimSuffix(cp.Host(), "/")))
		c, err := client.New(cfg, client.Options{Scheme: fleet.Scheme})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.List(t.Context(), &corev1.NamespaceList{})).To(Succeed(), cp.Name)
	}
}

func TestUnprivilegedUserHasNoRights(t *testing.T) {
	g := NewWithT(t)
	_, cfg, err := fleet.Hub.UserKubeconfig("nobody")
	g.Expect(err).NotTo(HaveOccurred())
	c, err := client.New(cfg, client.Options{Scheme: fleet.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	err = c.List(t.Context(), &corev1.SecretList{})
	g.Expect(err).To(MatchError(ContainSubstring("forbidden")))
}

func TestPausedMemberHangsAndResumes(t *testing.T) {
	g := NewWithT(t)
	eu := fleet.Member("eu")
	g.Expect(eu.Pause()).To(Succeed())
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	start := time.Now()
	err := eu.Client.List(ctx, &corev1.NamespaceList{})
	g.Expect(err).To(HaveOccurred(), "a paused apiserver answers nothing")
	g.Expect(time.Since(start)).To(BeNumerically(">=", 900*time.Millisecond), "the call hung until its deadline")
	g.Expect(fleet.Member("us").Client.List(t.Context(), &corev1.NamespaceList{})).To(Succeed(), "other members are unaffected")

	g.Expect(eu.Resume()).To(Succeed())
	g.Eventually(func() error { return eu.Client.List(t.Context(), &corev1.NamespaceList{}) }).
		WithTimeout(20 * time.Second).Should(Succeed())
}

func TestStoppedAPIServerComesBackWithItsDataAndNewCredentials(t *testing.T) {
	g := NewWithT(t)
	us := fleet.Member("us")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "survivor", Namespace: "default"}, Data: map[string]string{"k": "v"}}
	g.Expect(us.Client.Create(t.Context(), cm)).To(Succeed())
	oldKubeconfig := us.Kubeconfig
	host := us.Host()

	g.Expect(us.StopAPIServer()).To(Succeed())
	g.Expect(us.Client.Get(t.Context(), client.ObjectKeyFromObject(cm), &corev1.ConfigMap{})).NotTo(Succeed())
	g.Expect(us.StartAPIServer()).To(Succeed())

	got := &corev1.ConfigMap{}
	g.Expect(us.Client.Get(t.Context(), client.ObjectKeyFromObject(cm), got)).To(Succeed())
	g.Expect(got.Data).To(Equal(map[string]string{"k": "v"}), "etcd kept the data")
	g.Expect(us.Host()).To(Equal(host), "same address")
	g.Expect(us.Kubeconfig).NotTo(Equal(oldKubeconfig), "new credentials")
}
