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

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{Members: []string{"us-east"}}, &fleet))
}

func TestBadFlagsExitWithUsageError(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "--cluster-name is required"},
		{[]string{"--cluster-name", "US East"}, `--cluster-name "US East" is not a valid cluster name`},
		{[]string{"--cluster-name", "a", "--heartbeat-interval", "10ms"}, "--heartbeat-interval must be at least 1s"},
		{[]string{"--cluster-name", "a", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"--cluster-name", "a", "--namespace", "Not_A_Namespace"}, `--namespace "Not_A_Namespace" is not a namespace name`},
		{[]string{"--cluster-name", "a", "--leader-elect", "--leader-election-id", "No Lease"}, `--leader-election-id "No Lease" is not a valid Lease name`},
		{[]string{"--cluster-name", "a", "--startup-timeout", "0s"}, "--startup-timeout must be positive, got 0s"},
		{[]string{"--cluster-name", "a", "--node-workers", "0"}, "--node-workers must be between 1 and 128, got 0"},
	} {
		g := NewWithT(t)
		var stderr bytes.Buffer
		g.Expect(run(t.Context(), tc.args, &stderr)).To(Equal(2), tc.args)
		g.Expect(stderr.String()).To(ContainSubstring(tc.want))
	}
}

func TestBadAgentConfigurationExitsNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		config string
		want   []string
	}{
		{"storage:\n  archive:\n    size: lots\n", []string{"storage.archive.size"}},
		{"images:\n  sidecar: \"\"\n", []string{"images.sidecar"}},
		{"storag:\n  default: {}\n", []string{`unknown field "storag"`}},
		{"p2p:\n  serviceType: ClusterIP\n", []string{"p2p.serviceType"}},
		{"sidecar:\n  port: 26656\n", []string{"sidecar.port"}},
	} {
		g := NewWithT(t)
		path := filepath.Join(t.TempDir(), "agent.yaml")
		g.Expect(os.WriteFile(path, []byte(tc.config), 0o600)).To(Succeed())
		var stderr bytes.Buffer
		// The configuration is checked before the cluster is contacted: no kubeconfig is needed.
		g.Expect(run(t.Context(), []string{"--cluster-name", "us-east", "--config", path, "--kubeconfig", "/nonexistent"}, &stderr)).To(Equal(1), tc.config)
		g.Expect(stderr.String()).To(ContainSubstring("agent config " + path))
		for _, w := range tc.want {
			g.Expect(stderr.String()).To(ContainSubstring(w), tc.config)
		}
	}
}

func TestUnreachableClusterExitsWithClearMessage(t *testing.T) {
	g := NewWithT(t)
	kc, err := testfleet.UnreachableKubeconfig(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	var stderr bytes.Buffer
	g.Expect(run(t.Context(), []string{"--cluster-name", "us-east", "--kubeconfig", kc, "--startup-timeout", "3s"}, &stderr)).To(Equal(1))
	g.Expect(stderr.String()).To(MatchRegexp(`sei-fleet-agent: cannot reach the member cluster at https://127\.0\.0\.1:\d+`))
}

func TestClusterWithoutSeiNodeCRDExitsWithClearMessage(t *testing.T) {
	g := NewWithT(t)
	// A bare control plane: the hub's envtest without the member CRDs would still have SeiNode, so
	// start one without any.
	cp := &testfleet.ControlPlane{Name: "bare"}
	f, err := testfleet.StartBare(cp)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { g.Expect(f()).To(Succeed()) }()
	kc, err := cp.WriteKubeconfig(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	var stderr bytes.Buffer
	g.Expect(run(t.Context(), []string{"--cluster-name", "bare", "--kubeconfig", kc}, &stderr)).To(Equal(1))
	g.Expect(stderr.String()).To(ContainSubstring("the member cluster does not serve SeiNode (sei.io/v1alpha1): install its CRD first"))
}

func TestAgentHeartbeatsAndServesHealth(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	member := fleet.Member("us-east")
	kc, err := member.WriteKubeconfig(t.TempDir())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(member.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "sei-fleet-system"}})).To(Succeed())
	probes, err := testfleet.FreeAddr()
	g.Expect(err).NotTo(HaveOccurred())
	metrics, err := testfleet.FreeAddr()
	g.Expect(err).NotTo(HaveOccurred())

	runCtx, stop := context.WithCancel(ctx)
	exited := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		exited <- run(runCtx, []string{"--kubeconfig", kc, "--cluster-name", "us-east", "--leader-elect",
			"--heartbeat-interval", "1s", "--metrics-bind-address", metrics, "--health-probe-bind-address", probes}, &stderr)
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

	key := types.NamespacedName{Namespace: "sei-fleet-system", Name: seiv1alpha1.AgentHeartbeatLease}
	lease := &coordinationv1.Lease{}
	g.Eventually(func() error { return member.Client.Get(ctx, key, lease) }).WithTimeout(30 * time.Second).Should(Succeed())
	g.Expect(*lease.Spec.HolderIdentity).To(Equal("us-east"), "the heartbeat names its cluster")
	first := lease.Spec.RenewTime.Time
	g.Eventually(func() (time.Time, error) {
		err := member.Client.Get(ctx, key, lease)
		return lease.Spec.RenewTime.Time, err
	}).WithTimeout(10*time.Second).Should(BeTemporally(">", first), "the heartbeat is renewed")

	stop()
	g.Eventually(exited).WithTimeout(30*time.Second).Should(Receive(Equal(0)), stderr.String())
}
