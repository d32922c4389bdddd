package clusterview_test

import (
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/internal/clusterview"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// One control plane for the package: the hub's, which has every sei.io CRD (SeiNode too) and OCM's,
// so the views it hosts can be members of a provider running on it. Every test starts views of its
// own names.
var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{}, &fleet))
}

const (
	wait = 15 * time.Second
	poll = 50 * time.Millisecond
)

var viewNumber atomic.Int32

// startView starts a view with a name unique to the package, closed when the test ends.
func startView(t *testing.T, base string) *clusterview.View {
	t.Helper()
	name := fmt.Sprintf("%s%d", base, viewNumber.Add(1))
	v, err := clusterview.Start(t.Context(), fleet.Hub.Config, name)
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), "start view %s", name)
	t.Cleanup(v.Close)
	return v
}

// clientsOf returns a controller-runtime client and a clientset of the view, on a transport of their
// own that the test's end closes.
func clientsOf(t *testing.T, v *clusterview.View) (client.Client, kubernetes.Interface) {
	t.Helper()
	g := NewWithT(t)
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	hc := &http.Client{Transport: transport}
	cfg := v.RESTConfig()
	c, err := client.New(cfg, client.Options{Scheme: fleet.Scheme, HTTPClient: hc})
	g.Expect(err).NotTo(HaveOccurred())
	cs, err := kubernetes.NewForConfigAndClient(rest.CopyConfig(cfg), hc)
	g.Expect(err).NotTo(HaveOccurred())
	return c, cs
}
