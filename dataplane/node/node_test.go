//go:build dataplane

package node_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/dataplane/dataplanetest"
	"github.com/sei-protocol/sei-fleet/dataplane/fabric"
	"github.com/sei-protocol/sei-fleet/dataplane/node"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

func TestNodeRegistersReady(t *testing.T) {
	g := NewWithT(t)
	assets := dataplanetest.Require(t)
	f, err := testfleet.Start(testfleet.Options{WithoutHub: true, Members: []string{"m1"}})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = f.Stop() })
	fab, err := fabric.New()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(fab.Close)
	dir := filepath.Join(os.TempDir(), "sei-fleet-node-test")
	n, err := node.Start(t.Context(), node.Options{Name: "m1-node", Dir: dir, BinDir: assets, Fabric: fab, Kubeconfig: f.Members[0].Kubeconfig})
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(n.Stop)
	g.Eventually(func(g Gomega) {
		var nd corev1.Node
		g.Expect(f.Members[0].Client.Get(t.Context(), client.ObjectKey{Name: "m1-node"}, &nd)).To(Succeed())
		ready := false
		for _, c := range nd.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		g.Expect(ready).To(BeTrue(), "%v", nd.Status.Conditions)
	}).WithTimeout(90 * time.Second).WithPolling(time.Second).Should(Succeed())
}
