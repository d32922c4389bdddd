package deployment

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestWitnessesComeFromOtherClustersFirst(t *testing.T) {
	all := []Witness{{"us", "10.0.0.1:31001"}, {"eu", "10.0.1.1:31002"}, {"ap", "10.0.2.1:31003"}, {"us", "10.0.0.2:31004"}}
	for _, tc := range []struct {
		name    string
		cluster string
		all     []Witness
		want    []string
	}{
		{"a cluster with no witness gets them all", "sa", all, []string{"10.0.0.1:31001", "10.0.1.1:31002", "10.0.2.1:31003", "10.0.0.2:31004"}},
		{"a cluster with witnesses gets the others'", "us", all, []string{"10.0.1.1:31002", "10.0.2.1:31003"}},
		{"its own cluster's only when fewer than two others", "us", all[:2], []string{"10.0.1.1:31002", "10.0.0.1:31001"}},
		{"one witness is named twice", "sa", all[:1], []string{"10.0.0.1:31001", "10.0.0.1:31001"}},
		{"none", "sa", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(witnessesFor(tc.cluster, tc.all)).To(Equal(tc.want))
		})
	}
}

func TestRecordsGetTheBootstrapTheyWereCreatedWith(t *testing.T) {
	g := NewWithT(t)
	dep := &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "rpc", UID: "u"},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{ChainID: "c", Image: "seid:v1", Role: seiv1alpha1.RoleFullNode,
			Bootstrap: &seiv1alpha1.BootstrapSpec{StateSync: &seiv1alpha1.StateSyncBootstrap{}}},
	}
	fresh := buildRecord(dep, recordInput{Ordinal: 0, Cluster: "sa", Witnesses: []string{"a:1", "b:2"}})
	g.Expect(fresh.Spec.FullNode.Bootstrap.StateSync.RPCServers).To(Equal([]string{"a:1", "b:2"}), "the default witnesses")
	g.Expect(dep.Spec.Bootstrap.StateSync.RPCServers).To(BeEmpty(), "the deployment is not written to")

	named := dep.DeepCopy()
	named.Spec.Bootstrap.StateSync.RPCServers = []string{"x:1", "y:2"}
	g.Expect(buildRecord(named, recordInput{Cluster: "sa", Witnesses: []string{"a:1", "b:2"}}).Spec.FullNode.Bootstrap.StateSync.RPCServers).
		To(Equal([]string{"x:1", "y:2"}), "witnesses the deployment names win")

	// A record written again keeps its bootstrap, whatever the deployment says now.
	changed := dep.DeepCopy()
	changed.Spec.Bootstrap = &seiv1alpha1.BootstrapSpec{Snapshot: &seiv1alpha1.SnapshotBootstrap{}}
	again := buildRecord(changed, recordInput{Cluster: "sa", Existing: fresh, Template: changed})
	g.Expect(again.Spec.FullNode.Bootstrap).To(Equal(fresh.Spec.FullNode.Bootstrap))
	old := fresh.DeepCopy()
	old.Spec.FullNode.Bootstrap = nil
	g.Expect(buildRecord(changed, recordInput{Cluster: "sa", Existing: old, Template: changed}).Spec.FullNode.Bootstrap).
		To(BeNil(), "a node created without bootstrap is not given one")
}

func TestJoinersWithoutWitnessesWaitForTheJoinedDeployments(t *testing.T) {
	two := []string{"a:1", "b:2"}
	for _, tc := range []struct {
		name string
		b    *seiv1alpha1.BootstrapSpec
		want bool
	}{
		{"no bootstrap", nil, false},
		{"state sync, no witnesses", &seiv1alpha1.BootstrapSpec{StateSync: &seiv1alpha1.StateSyncBootstrap{}}, true},
		{"state sync with witnesses", &seiv1alpha1.BootstrapSpec{StateSync: &seiv1alpha1.StateSyncBootstrap{LightClientSpec: seiv1alpha1.LightClientSpec{RPCServers: two}}}, false},
		{"snapshot, no witnesses", &seiv1alpha1.BootstrapSpec{Snapshot: &seiv1alpha1.SnapshotBootstrap{}}, true},
		{"snapshot with witnesses", &seiv1alpha1.BootstrapSpec{Snapshot: &seiv1alpha1.SnapshotBootstrap{LightClientSpec: seiv1alpha1.LightClientSpec{RPCServers: two}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dep := &seiv1alpha1.SeiNodeDeployment{Spec: seiv1alpha1.SeiNodeDeploymentSpec{Bootstrap: tc.b}}
			NewWithT(t).Expect(needsWitnesses(dep)).To(Equal(tc.want))
		})
	}
}
