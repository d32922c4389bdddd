package e2e

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// By default the suite runs the whole fleet in-process: a hub and four member control planes (real
// kube-apiservers), the hub, one agent per member, simulated kubelets and a fake sidecar. Members us, eu
// and ap are registered at start (region labels us, eu, ap); sa is registered by the tests that need a
// fourth region.
//
// With E2E_HUB_KUBECONFIG and E2E_MEMBER_KUBECONFIGS set (make e2e-kind) it runs against existing
// clusters where the hub and agents are deployed and the members registered with region labels; tests
// that inject faults into control planes, or need more clusters than there are, are skipped there.

var (
	fleet *testfleet.Fleet
	local *framework.Local
)

// regions of the in-process members.
var regions = map[string]string{"us": "us", "eu": "eu", "ap": "ap", "sa": "sa"}

// realDataPlane, set by the dataplane tier (build tag dataplane, dataplane_test.go), starts real nodes
// for the members and returns how the Local must be shaped for them (real sidecars, the agents'
// configuration); the members' pods then run real seid and seictl instead of being simulated.
var realDataPlane func(f *testfleet.Fleet) (configure func(*framework.Local), stop func(), err error)

// localSeidImage is the seid image of the real data plane ("" without one).
var localSeidImage string

// seidImage is the node image deployments use: any string works in-process with simulated pods
// (nothing pulls it); the real data plane's locally built image; on real clusters SEID_IMAGE names a
// pullable seid image.
func seidImage() string {
	if img := os.Getenv("SEID_IMAGE"); img != "" {
		return img
	}
	if localSeidImage != "" {
		return localSeidImage
	}
	return "seid:v1"
}

// requireLocal skips a test that needs the in-process fleet (fault injection, registering clusters).
func requireLocal(t *testing.T) {
	t.Helper()
	if local == nil {
		t.Skip("needs the in-process fleet: it stops, pauses or registers clusters")
	}
}

// registeredRegions returns the region of every accepted, registered cluster with a region label, as
// the hub sees them, and the regions sorted (at most limit).
func registeredRegions(t *testing.T, limit int) (map[string]string, []string) {
	t.Helper()
	list := &clusterv1.ManagedClusterList{}
	NewWithT(t).Expect(fleet.Hub.Client.List(t.Context(), list)).To(Succeed())
	byCluster := map[string]string{}
	seen := map[string]bool{}
	var names []string
	for _, mc := range list.Items {
		r := mc.Labels["region"]
		if !mc.Spec.HubAcceptsClient || r == "" || fleet.Member(mc.Name) == nil {
			continue
		}
		byCluster[mc.Name] = r
		if !seen[r] {
			seen[r] = true
			names = append(names, r)
		}
	}
	sort.Strings(names)
	if local != nil { // the in-process suite's reference regions, whatever a test registered on top
		names = []string{"ap", "eu", "us"}
	}
	if len(names) > limit {
		names = names[:limit]
	}
	return byCluster, names
}
func TestMain(m *testing.M) {
	remote, err := framework.FromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL e2e: %v\n", err)
		os.Exit(1)
	}
	if remote != nil {
		fleet = remote
		os.Exit(m.Run())
	}
	os.Exit(testfleet.Main(m, testfleet.Options{
		Members:  []string{"us", "eu", "ap", "sa"},
		Simulate: realDataPlane == nil,
		Setup:    setup,
	}, &fleet))
}

func setup(f *testfleet.Fleet) (func(), error) {
	register := map[string]map[string]string{}
	for _, name := range []string{"us", "eu", "ap"} {
		register[name] = map[string]string{"region": regions[name], "env": "e2e"}
	}
	var configure []func(*framework.Local)
	stopDataPlane := func() {}
	if realDataPlane != nil {
		c, stop, err := realDataPlane(f)
		if err != nil {
			return nil, err
		}
		configure, stopDataPlane = append(configure, c), stop
	}
	l, stop, err := framework.StartLocal(f, register, &framework.LogSink{}, configure...)
	local = l
	if err != nil {
		stopDataPlane()
		return nil, err
	}
	// The agents and the hub stop before the nodes, so nothing acts on pods going away.
	return func() { stop(); stopDataPlane() }, nil
}

// registerSA registers the fourth member, sa, for the rest of the test, and removes it afterwards so
// the other tests see three regions. (Cleanups run last-registered first: deployments created after this
// are deleted while sa is still registered.)
func registerSA(t *testing.T) {
	t.Helper()
	NewWithT(t).Expect(local.Register(t.Context(), "sa", map[string]string{"region": "sa", "env": "e2e"})).To(Succeed())
	t.Cleanup(func() { _ = local.Deregister(context.WithoutCancel(t.Context()), "sa") })
}

var nsCounter atomic.Int32

// hubNamespace creates a namespace on the hub for one test.
func hubNamespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("e2e-%d-%d", time.Now().Unix()%100000, nsCounter.Add(1))
	NewWithT(t).Expect(fleet.Hub.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	return name
}

// regionPolicy is a cluster-scoped policy over the named regions.
func regionPolicy(t *testing.T, name string, regionNames []string, mutate func(*seiv1alpha1.SeiPlacementPolicySpec)) {
	t.Helper()
	p := &seiv1alpha1.SeiPlacementPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: seiv1alpha1.SeiPlacementPolicySpec{
			ClusterSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "region", Operator: metav1.LabelSelectorOpIn, Values: regionNames},
			}},
			TopologyKey: "region",
		},
	}
	if mutate != nil {
		mutate(&p.Spec)
	}
	NewWithT(t).Expect(fleet.Hub.Client.Create(t.Context(), p)).To(Succeed())
	t.Cleanup(func() { _ = fleet.Hub.Client.Delete(context.WithoutCancel(t.Context()), p) })
}

// create makes dep on the hub. When the test ends it is deleted with deletionPolicy Delete and awaited,
// so no test leaves nodes running for the next ones.
func create(t *testing.T, dep *seiv1alpha1.SeiNodeDeployment) client.ObjectKey {
	t.Helper()
	NewWithT(t).Expect(fleet.Hub.Client.Create(t.Context(), dep)).To(Succeed())
	key := client.ObjectKeyFromObject(dep)
	t.Cleanup(func() {
		if err := deleteAndWait(context.WithoutCancel(t.Context()), key); err != nil {
			t.Log(err)
		}
	})
	return key
}

// deleteAndWait deletes a deployment with deletionPolicy Delete and waits (up to 90s) until it is gone.
func deleteAndWait(ctx context.Context, key client.ObjectKey) error {
	return framework.DeleteDeploymentAndWait(ctx, fleet.Hub.Client, key)
}

func getDeployment(t *testing.T, key client.ObjectKey) *seiv1alpha1.SeiNodeDeployment {
	t.Helper()
	d := &seiv1alpha1.SeiNodeDeployment{}
	NewWithT(t).Expect(fleet.Hub.Client.Get(t.Context(), key, d)).To(Succeed())
	return d
}

// records lists a deployment's hub SeiNodes.
func records(t *testing.T, ns, dep string) []seiv1alpha1.SeiNode {
	t.Helper()
	list := &seiv1alpha1.SeiNodeList{}
	NewWithT(t).Expect(fleet.Hub.Client.List(t.Context(), list, client.InNamespace(ns),
		client.MatchingLabels{seiv1alpha1.LabelDeployment: dep})).To(Succeed())
	return list.Items
}

// readyCount polls a deployment's ready and desired counts.
func readyCount(t *testing.T, key client.ObjectKey) func() string {
	return func() string {
		d := &seiv1alpha1.SeiNodeDeployment{}
		if err := fleet.Hub.Client.Get(t.Context(), key, d); err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, d.Spec.Replicas)
	}
}

// updatedReplicas polls how many of a deployment's nodes run its current template, or -1 while the
// hub has not yet seen the latest spec: right after an update, the count it reports is the old one.
func updatedReplicas(t *testing.T, key client.ObjectKey) func() int32 {
	return func() int32 {
		d := &seiv1alpha1.SeiNodeDeployment{}
		if err := fleet.Hub.Client.Get(t.Context(), key, d); err != nil || d.Status.ObservedGeneration != d.Generation {
			return -1
		}
		return d.Status.UpdatedReplicas
	}
}

func condition(d *seiv1alpha1.SeiNodeDeployment, typ string) metav1.Condition {
	if c := meta.FindStatusCondition(d.Status.Conditions, typ); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// dumpOnFailure logs a deployment's status and its records' status when the test fails.
func dumpOnFailure(t *testing.T, key client.ObjectKey) {
	framework.DumpOnFailure(t, fleet.Hub.Client, key)
}
