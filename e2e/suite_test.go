package e2e

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// The suite runs the whole fleet in-process: a hub and four member control planes (real
// kube-apiservers), the hub, one agent per member, simulated kubelets and a fake sidecar. Members us, eu
// and ap are registered at start (region labels us, eu, ap); sa is registered by the tests that need a
// fourth region.

var (
	fleet *testfleet.Fleet
	local *framework.Local
)

// regions of the registered members.
var regions = map[string]string{"us": "us", "eu": "eu", "ap": "ap", "sa": "sa"}

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{
		Members:  []string{"us", "eu", "ap", "sa"},
		Simulate: true,
		Setup:    setup,
	}, &fleet))
}

func setup(f *testfleet.Fleet) (func(), error) {
	register := map[string]map[string]string{}
	for _, name := range []string{"us", "eu", "ap"} {
		register[name] = map[string]string{"region": regions[name], "env": "e2e"}
	}
	l, stop, err := framework.StartLocal(f, register, &framework.LogSink{})
	local = l
	return stop, err
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

func condition(d *seiv1alpha1.SeiNodeDeployment, typ string) metav1.Condition {
	if c := meta.FindStatusCondition(d.Status.Conditions, typ); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// dumpOnFailure logs a deployment's status and its records' status when the test fails.
func dumpOnFailure(t *testing.T, key client.ObjectKey) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx := context.WithoutCancel(t.Context())
		d := &seiv1alpha1.SeiNodeDeployment{}
		if err := fleet.Hub.Client.Get(ctx, key, d); err == nil {
			out, _ := yaml.Marshal(d.Status)
			t.Logf("deployment %s status:\n%s", key, out)
		}
		list := &seiv1alpha1.SeiNodeList{}
		if err := fleet.Hub.Client.List(ctx, list, client.InNamespace(key.Namespace)); err == nil {
			for _, n := range list.Items {
				out, _ := yaml.Marshal(map[string]any{"cluster": n.Spec.ClusterName, "phase": n.Status.Phase, "plan": n.Status.Plan, "conditions": n.Status.Conditions})
				t.Logf("record %s:\n%s", n.Name, out)
			}
		}
	})
}
