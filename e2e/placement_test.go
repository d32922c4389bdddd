package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func fullNodes(ns, name, policy string, replicas int32) *seiv1alpha1.SeiNodeDeployment {
	return &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{
			ChainID: "pacific-1", Image: seidImage(), Replicas: replicas, Role: seiv1alpha1.RoleFullNode,
			Placement: seiv1alpha1.PlacementSpec{PolicyName: policy},
		},
	}
}

func TestSixFullNodesSpreadTwoPerRegion(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns := hubNamespace(t)
	regionOf, names := registeredRegions(t, 3)
	g.Expect(len(names)).To(BeNumerically(">=", 2), "the suite needs two regions at least")
	replicas := int32(2 * len(names)) // six over the in-process fleet's three regions
	regionPolicy(t, "spread-"+ns, names, nil)
	dep := fullNodes(ns, "rpc", "spread-"+ns, replicas)
	key := create(t, dep)
	dumpOnFailure(t, key)

	want := fmt.Sprintf("%d/%d", replicas, replicas)
	g.Eventually(readyCount(t, key)).WithTimeout(90 * time.Second).Should(Equal(want))
	d := getDeployment(t, key)
	g.Expect(d.Status.Phase).To(Equal(seiv1alpha1.DeploymentReady))
	g.Expect(condition(d, seiv1alpha1.DeploymentPlaced).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(condition(d, seiv1alpha1.DeploymentNodesReady).Message).To(Equal(want + " nodes ready"))

	perRegion := map[string]int{}
	for _, rec := range records(t, ns, "rpc") {
		perRegion[regionOf[rec.Spec.ClusterName]]++
		// The member copy exists on exactly the placed cluster.
		for _, m := range fleet.Members {
			err := m.Client.Get(ctx, client.ObjectKeyFromObject(&rec), &seiv1alpha1.SeiNode{})
			if m.Name == rec.Spec.ClusterName {
				g.Expect(err).NotTo(HaveOccurred(), "%s on %s", rec.Name, m.Name)
			} else {
				g.Expect(err).To(HaveOccurred(), "%s must not exist on %s", rec.Name, m.Name)
			}
		}
	}
	for _, r := range names {
		g.Expect(perRegion[r]).To(Equal(2), "two nodes in region %s", r)
	}

	// `kubectl get seinodes -A` on the hub: the server-side table shows cluster, phase and image.
	rows := seinodeTable(t)
	found := 0
	for _, row := range rows {
		if row["Namespace"] != ns {
			continue
		}
		found++
		g.Expect(regionOf).To(HaveKey(row["Cluster"]))
		g.Expect(row["Phase"]).To(Equal("Running"))
		g.Expect(row["Image"]).To(Equal(seidImage()))
		g.Expect(row["Mode"]).To(Equal("full"))
	}
	g.Expect(found).To(Equal(int(replicas)))
}

// seinodeTable fetches SeiNodes across namespaces as kubectl does (a server-side Table) and returns
// one map per row, column name → cell.
func seinodeTable(t *testing.T) []map[string]any {
	t.Helper()
	g := NewWithT(t)
	cfg := rest.CopyConfig(fleet.Hub.Config)
	cfg.GroupVersion = &seiv1alpha1.GroupVersion
	cfg.APIPath = "/apis"
	cfg.NegotiatedSerializer = clientScheme()
	rc, err := rest.RESTClientFor(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	raw, err := rc.Get().Resource("seinodes").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(t.Context())
	g.Expect(err).NotTo(HaveOccurred())
	var table metav1.Table
	g.Expect(json.Unmarshal(raw, &table)).To(Succeed())
	var out []map[string]any
	for _, r := range table.Rows {
		row := map[string]any{}
		for i, c := range table.ColumnDefinitions {
			row[c.Name] = r.Cells[i]
		}
		var obj metav1.PartialObjectMetadata
		if err := json.Unmarshal(r.Object.Raw, &obj); err == nil {
			row["Namespace"] = obj.Namespace
		}
		out = append(out, row)
	}
	return out
}
