package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{Members: []string{"member"}}, &fleet))
}

func TestBadFlagsExitWithUsageError(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{[]string{"--namespace", "Not_A_Namespace"}, `--namespace "Not_A_Namespace" is not a namespace name`},
		{[]string{"--agent-namespace", "Not_A_Namespace"}, `--agent-namespace "Not_A_Namespace" is not a namespace name`},
		{[]string{"--leader-elect", "--leader-election-id", "No Lease"}, `--leader-election-id "No Lease" is not a valid Lease name`},
		{[]string{"--startup-timeout", "0s"}, "--startup-timeout must be positive, got 0s"},
		{[]string{"--probe-interval", "0s"}, "--probe-interval must be positive"},
		{[]string{"--kube-api-qps", "0"}, "--kube-api-qps must be positive, got 0"},
		{[]string{"--kube-api-burst", "-1"}, "--kube-api-burst must be positive, got -1"},
		{[]string{"--member-qps", "0"}, "--member-qps must be positive, got 0"},
		{[]string{"--member-burst", "0"}, "--member-burst must be positive, got 0"},
		{[]string{"--deployment-workers", "0"}, "--deployment-workers must be positive, got 0"},
		{[]string{"--mirror-workers", "0"}, "--mirror-workers must be positive, got 0"},
		{[]string{"--cluster-workers", "0"}, "--cluster-workers must be positive, got 0"},
		{[]string{"--member-timeout", "soon"}, `invalid value "soon" for flag -member-timeout`},
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
	} {
		g := NewWithT(t)
		var stderr bytes.Buffer
		g.Expect(run(t.Context(), tc.args, &stderr)).To(Equal(2), tc.args)
		g.Expect(stderr.String()).To(ContainSubstring(tc.want))
	}
}

func TestUnreachableHubClusterExitsWithClearMessage(t *testing.T) {
	g := NewWithT(t)
	kc, err := testfleet.UnreachableKubeconfig(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	var stderr bytes.Buffer
	start := time.Now()
	code := run(t.Context(), []string{"--kubeconfig", kc, "--startup-timeout", "3s", "--metrics-bind-address", "0", "--health-probe-bind-address", "0"}, &stderr)
	g.Expect(code).To(Equal(1))
	g.Expect(stderr.String()).To(MatchRegexp(`sei-fleet-hub: cannot reach the hub cluster at https://127\.0\.0\.1:\d+`))
	g.Expect(time.Since(start)).To(BeNumerically("<", 10*time.Second))
}

func TestMissingKubeconfigFileExitsWithClearMessage(t *testing.T) {
	g := NewWithT(t)
	var stderr bytes.Buffer
	g.Expect(run(t.Context(), []string{"--kubeconfig", "/nonexistent/kubeconfig"}, &stderr)).To(Equal(1))
	g.Expect(stderr.String()).To(ContainSubstring("read kubeconfig /nonexistent/kubeconfig"))
}

func TestClusterWithoutHubCRDsExitsWithClearMessage(t *testing.T) {
	g := NewWithT(t)
	kc, err := fleet.Member("member").WriteKubeconfig(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	var stderr bytes.Buffer
	g.Expect(run(t.Context(), []string{"--kubeconfig", kc, "--metrics-bind-address", "0", "--health-probe-bind-address", "0"}, &stderr)).To(Equal(1))
	g.Expect(stderr.String()).To(ContainSubstring("the hub cluster does not serve SeiNodeDeployment (sei.io/v1alpha1): install its CRD first"))
	g.Expect(stderr.String()).To(ContainSubstring("does not serve ManagedCluster"))
}

func TestHubServesHealthAndMetricsAndElectsALeader(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "sei-fleet-system"}}
	g.Expect(fleet.Hub.Client.Create(ctx, ns)).To(Succeed())
	// The binary runs as a deployed hub does: with exactly its generated RBAC.
	const user = "sei-fleet-hub-cmd-test"
	g.Expect(fleet.Hub.Grant(ctx, user, "../../deploy/hub/rbac/role.yaml")).To(Succeed())
	raw, _, err := fleet.Hub.UserKubeconfig(user)
	g.Expect(err).NotTo(HaveOccurred())
	kc := filepath.Join(t.TempDir(), "hub.kubeconfig")
	g.Expect(os.WriteFile(kc, raw, 0o600)).To(Succeed())
	metrics, err := testfleet.FreeAddr()
	g.Expect(err).NotTo(HaveOccurred())
	probes, err := testfleet.FreeAddr()
	g.Expect(err).NotTo(HaveOccurred())

	runCtx, stop := context.WithCancel(ctx)
	exited := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		exited <- run(runCtx, []string{"--kubeconfig", kc, "--leader-elect", "--metrics-bind-address", metrics, "--health-probe-bind-address", probes}, &stderr)
	}()

	for _, url := range []string{"http://" + probes + "/healthz", "http://" + probes + "/readyz", "http://" + metrics + "/metrics"} {
		g.Eventually(func() (int, error) {
			resp, err := http.Get(url) //nolint:noctx // a probe of a local test server
			if err != nil {
				return 0, err
			}
			defer func() { _ = resp.Body.Close() }()
			return resp.StatusCode, nil
		}).WithTimeout(30*time.Second).Should(Equal(http.StatusOK), url)
	}
	g.Eventually(func() error {
		return fleet.Hub.Client.Get(ctx, types.NamespacedName{Namespace: "sei-fleet-system", Name: "sei-fleet-hub"}, &coordinationv1.Lease{})
	}).WithTimeout(30*time.Second).Should(Succeed(), "the leader-election Lease exists")
	// Leader election announces the leader as a core Event beside the Lease; the RBAC allows it.
	g.Eventually(func() ([]string, error) { return fleet.Hub.LeaderElectionEvents(ctx, "sei-fleet-system") }).
		WithTimeout(20 * time.Second).Should(ContainElement("Lease/sei-fleet-hub"))

	stop()
	g.Eventually(exited).WithTimeout(30*time.Second).Should(Receive(Equal(0)), stderr.String())
}
