//go:build chain

package chain

import (
	"context"
	"errors"
	"fmt"
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
)

var nsCounter atomic.Int32

// namespace creates a namespace on the hub for one test.
func (s *sharedFleet) namespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("chain-%d-%d", time.Now().Unix()%100000, nsCounter.Add(1))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	NewWithT(t).Expect(s.fleet.Hub.Client.Create(t.Context(), ns)).To(Succeed())
	return name
}

// ceremony creates a validator deployment of replicas nodes with LoadBalancer P2P Services over every
// member (one region each, so a region may hold up to 2/3 of the voting power) and waits until the
// hub assembled and distributed the genesis: the ceremony is complete, every record has its genesis
// and its peers, and every member holds the genesis ConfigMap.
func (s *sharedFleet) ceremony(t *testing.T, ns, name string, replicas int32, startDelay time.Duration) *seiv1alpha1.SeiNodeDeployment {
	t.Helper()
	g := NewWithT(t)
	hub := s.fleet.Hub.Client
	policy := &seiv1alpha1.SeiPlacementPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "chain-" + ns},
		Spec: seiv1alpha1.SeiPlacementPolicySpec{
			Namespaces: []string{ns},
			ClusterSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "region", Operator: metav1.LabelSelectorOpIn, Values: members},
			}},
			TopologyKey: "region",
			// Four validators in three regions: one region holds 2/4, which the default 1/3 refuses.
			MaxVotingPowerFraction: "2/3",
		},
	}
	g.Expect(hub.Create(t.Context(), policy)).To(Succeed())
	t.Cleanup(func() { _ = hub.Delete(context.WithoutCancel(t.Context()), policy) })

	dep := &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{
			ChainID: "mc-" + ns, Image: "seid:chain-test", Replicas: replicas, Role: seiv1alpha1.RoleValidator,
			Template: seiv1alpha1.NodeSettings{P2P: &seiv1alpha1.P2PSpec{ServiceType: seiv1alpha1.P2PLoadBalancer}},
			Genesis: &seiv1alpha1.GenesisCeremonySpec{
				StakingAmount: "10000000usei", AccountBalance: "1000000000000usei",
				StartDelay: metav1.Duration{Duration: startDelay}, Deadline: metav1.Duration{Duration: 5 * time.Minute},
			},
			Placement: seiv1alpha1.PlacementSpec{PolicyName: policy.Name},
		},
	}
	g.Expect(hub.Create(t.Context(), dep)).To(Succeed())
	key := client.ObjectKeyFromObject(dep)
	s.dumpOnFailure(t, key)

	g.Eventually(func() error { return s.distributed(t, key) }).
		WithTimeout(3 * time.Minute).WithPolling(500 * time.Millisecond).Should(Succeed())
	g.Expect(hub.Get(t.Context(), key, dep)).To(Succeed())
	return dep
}

// distributed says what is still missing before the genesis of deployment key is everywhere.
func (s *sharedFleet) distributed(t *testing.T, key client.ObjectKey) error {
	ctx := t.Context()
	dep := &seiv1alpha1.SeiNodeDeployment{}
	if err := s.fleet.Hub.Client.Get(ctx, key, dep); err != nil {
		return err
	}
	if c := meta.FindStatusCondition(dep.Status.Conditions, seiv1alpha1.DeploymentGenesisCeremonyComplete); c == nil || c.Status != metav1.ConditionTrue {
		return fmt.Errorf("ceremony not complete: %v", c)
	}
	if dep.Status.Genesis == nil {
		return errors.New("no status.genesis")
	}
	recs := s.records(t, dep)
	if len(recs) != int(dep.Spec.Replicas) {
		return fmt.Errorf("%d records, want %d", len(recs), dep.Spec.Replicas)
	}
	for _, r := range recs {
		if r.Spec.Genesis == nil || r.Spec.Genesis.SHA256 != dep.Status.Genesis.SHA256 || len(r.Spec.Peers) != len(recs)-1 {
			return fmt.Errorf("record %s has no genesis or peers yet", r.Name)
		}
	}
	for _, m := range s.fleet.Members {
		cm := &corev1.ConfigMap{}
		if err := m.Client.Get(ctx, client.ObjectKey{Namespace: key.Namespace, Name: dep.Status.Genesis.ConfigMapName}, cm); err != nil {
			return fmt.Errorf("genesis ConfigMap on %s: %w", m.Name, err)
		}
	}
	return nil
}

// records lists the hub records of deployment dep.
func (s *sharedFleet) records(t *testing.T, dep *seiv1alpha1.SeiNodeDeployment) []seiv1alpha1.SeiNode {
	t.Helper()
	list := &seiv1alpha1.SeiNodeList{}
	NewWithT(t).Expect(s.fleet.Hub.Client.List(t.Context(), list, client.InNamespace(dep.Namespace),
		client.MatchingLabels{seiv1alpha1.LabelDeployment: dep.Name})).To(Succeed())
	return list.Items
}

// dumpOnFailure logs the deployment's status and its records' when the test fails.
func (s *sharedFleet) dumpOnFailure(t *testing.T, key client.ObjectKey) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		ctx := context.WithoutCancel(t.Context())
		d := &seiv1alpha1.SeiNodeDeployment{}
		if err := s.fleet.Hub.Client.Get(ctx, key, d); err == nil {
			out, _ := yaml.Marshal(d.Status)
			t.Logf("deployment %s status:\n%s", key, out)
		}
		list := &seiv1alpha1.SeiNodeList{}
		if err := s.fleet.Hub.Client.List(ctx, list, client.InNamespace(key.Namespace)); err == nil {
			for _, n := range list.Items {
				out, _ := yaml.Marshal(map[string]any{"cluster": n.Spec.ClusterName, "phase": n.Status.Phase,
					"p2pAddress": n.Status.P2PAddress, "peers": n.Spec.Peers, "plan": n.Status.Plan, "conditions": n.Status.Conditions})
				t.Logf("record %s:\n%s", n.Name, out)
			}
		}
	})
}
