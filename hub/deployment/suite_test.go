package deployment_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sei-protocol/sei-fleet/agent/node"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// One hub and three members (regions us, eu, ap) for the package, with the real hub, an agent per
// member, simulated kubelets and fake sidecars: the deployment controller is tested as it runs, on
// real apiservers. Every test gets its own namespace and policy. Agents report a block height every
// second (fakeHeight), as they would read it from seid's RPC.
var (
	fleet *testfleet.Fleet
	local *framework.Local
)

var members = []string{"us", "eu", "ap"}

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{Members: members, Simulate: true, Setup: setup}, &fleet))
}

var started = time.Now()

// fakeHeight is a chain that makes ten blocks a second. A node whose image a test holds (slowOn)
// reports that it is still catching up while it runs that image.
func fakeHeight(_ context.Context, n *seiv1alpha1.SeiNode) (node.ChainStatus, error) {
	st := node.ChainStatus{Height: 100 + int64(time.Since(started)/(100*time.Millisecond))}
	if held, ok := slowOn.Load(n.Namespace + "/" + n.Name); ok && held.(*slowNode).image.Load() == n.Status.CurrentImage {
		st.CatchingUp = true
	}
	return st, nil
}

// slowOn holds, per "namespace/name", a node that catches up slowly on one image.
var slowOn sync.Map

type slowNode struct{ image atomic.Value }

func setup(f *testfleet.Fleet) (func(), error) {
	register := map[string]map[string]string{}
	for _, name := range members {
		register[name] = map[string]string{"region": name}
	}
	l, stop, err := framework.StartLocal(f, register, nil, func(l *framework.Local) { l.Height = fakeHeight })
	local = l
	return stop, err
}

var nsCounter atomic.Int32

func namespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("deployment-%d-%d", time.Now().Unix()%100000, nsCounter.Add(1))
	NewWithT(t).Expect(fleet.Hub.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	return name
}
