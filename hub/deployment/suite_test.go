package deployment_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

// fakeHeight is a chain that makes ten blocks a second.
func fakeHeight(context.Context, *seiv1alpha1.SeiNode) (int64, error) {
	return 100 + int64(time.Since(started)/(100*time.Millisecond)), nil
}

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
