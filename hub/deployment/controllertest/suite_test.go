package controllertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/hub/deployment"
	"github.com/sei-protocol/sei-fleet/hub/policy"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// A hub control plane (a real kube-apiserver) and the deployment controller alone, in-process: records
// are the hub's own objects, so what the controller places is visible without members. Member clusters
// are ManagedClusters reported healthy; no mirror or agent runs, so a test writes what they would
// (a record's status) itself.
var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{Setup: start}, &fleet))
}

// regions of the registered member clusters.
var regions = []string{"us", "eu", "ap"}

const (
	wait = 20 * time.Second
	poll = 100 * time.Millisecond
)

func start(f *testfleet.Fleet) (func(), error) {
	// TestMain's setup: no test context yet, and the controller outlives every test.
	ctx, cancel := context.WithCancel(context.Background()) //nolint:forbidigo // see above
	for _, r := range regions {
		mc := &clusterv1.ManagedCluster{
			ObjectMeta: metav1.ObjectMeta{Name: r, Labels: map[string]string{"region": r}},
			Spec:       clusterv1.ManagedClusterSpec{HubAcceptsClient: true},
		}
		if err := f.Hub.Client.Create(ctx, mc); err != nil {
			cancel()
			return nil, fmt.Errorf("register %s: %w", r, err)
		}
	}
	mgr, err := ctrl.NewManager(f.Hub.Config, ctrl.Options{
		Scheme: f.Scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptrTo(true)},
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("build manager: %w", err)
	}
	r := &deployment.Reconciler{
		Hub: mgr.GetClient(), HubReader: mgr.GetAPIReader(), Scheme: f.Scheme,
		Recorder: mgr.GetEventRecorder("sei-hub"), Members: noMembers{},
		Inventory: &policy.Inventory{Reader: mgr.GetClient(), Health: healthy{}},
		Resync:    2 * time.Second, Options: controller.Options{MaxConcurrentReconciles: 4},
	}
	if err := r.SetupWithManager(mgr); err != nil {
		cancel()
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintf(os.Stderr, "deployment controller: %v\n", err)
		}
	}, nil
}

func ptrTo[T any](v T) *T { return &v }

// healthy reports every cluster healthy.
type healthy struct{}

func (healthy) Get(name string) (clusters.Health, bool) {
	return clusters.Health{Name: name, Engaged: true, Healthy: true, Reason: clusters.ReasonHealthy}, true
}

// noMembers: no member is engaged (nothing here reaches one).
type noMembers struct{}

func (noMembers) GetCluster(context.Context, multicluster.ClusterName) (cluster.Cluster, error) {
	return nil, errors.New("no members in this suite")
}

func (noMembers) VerifyIdentity(context.Context, string) error {
	return errors.New("no members in this suite")
}

var nsCounter atomic.Int32

// namespace makes a hub namespace, and a placement policy allowing it over every region, for one test.
func namespace(t *testing.T) (ns, policyName string) {
	t.Helper()
	g := NewWithT(t)
	ns = fmt.Sprintf("dep-%d", nsCounter.Add(1))
	g.Expect(fleet.Hub.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	pol := &seiv1alpha1.SeiPlacementPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: ns},
		Spec: seiv1alpha1.SeiPlacementPolicySpec{
			Namespaces: []string{ns}, TopologyKey: "region", MaxVotingPowerFraction: "1",
		},
	}
	g.Expect(fleet.Hub.Client.Create(t.Context(), pol)).To(Succeed())
	return ns, ns
}

// records lists a deployment's hub records.
func records(ctx context.Context, ns, dep string) []seiv1alpha1.SeiNode {
	list := &seiv1alpha1.SeiNodeList{}
	if err := fleet.Hub.Client.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{seiv1alpha1.LabelDeployment: dep}); err != nil {
		return nil
	}
	return list.Items
}

// placed lists a deployment's records as name@cluster.
func placed(ctx context.Context, ns, dep string) []string {
	var out []string
	for _, r := range records(ctx, ns, dep) {
		out = append(out, r.Name+"@"+r.Spec.ClusterName)
	}
	return out
}

// condition returns a deployment's condition of type typ, or an empty one.
func condition(ctx context.Context, key client.ObjectKey, typ string) metav1.Condition {
	d := &seiv1alpha1.SeiNodeDeployment{}
	if err := fleet.Hub.Client.Get(ctx, key, d); err != nil {
		return metav1.Condition{}
	}
	if c := meta.FindStatusCondition(d.Status.Conditions, typ); c != nil && c.ObservedGeneration == d.Generation {
		return *c
	}
	return metav1.Condition{}
}
