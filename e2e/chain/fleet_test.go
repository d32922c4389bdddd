//go:build chain

package chain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/sei-protocol/sei-fleet/e2e/framework"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// The multi-cluster tests share one fleet: a hub and three member control planes (real
// kube-apiservers), the hub, one agent per member, a simulated kubelet and load-balancer controller per
// member and fake sidecars. It starts the first time a test asks for it (requireFleet), so the tests
// that need only seid never wait for control planes, and stops after the last test.

// members of the fleet; each is registered with region=<name>.
var members = []string{"us", "eu", "ap"}

// logs collects every log line of the hub, the agents and of anything else that logs through
// controller-runtime or klog in this process, at the most verbose level, for the key-leak scan.
var logs = &framework.LogSink{}

var shared sharedFleet

type sharedFleet struct {
	once  sync.Once
	err   error
	fleet *testfleet.Fleet
	local *framework.Local
	// ips hands out the load-balancer IPs of each member's Services.
	ips  map[string]*loopbackIPs
	stop func()
}

func TestMain(m *testing.M) {
	var w io.Writer = logs
	if os.Getenv("TEST_LOG") != "" {
		w = io.MultiWriter(logs, os.Stderr)
	}
	l := zap.New(zap.WriteTo(w), zap.Level(zapcore.Level(-10)))
	ctrl.SetLogger(l)
	klog.SetLogger(l)
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}

// requireFleet returns the shared fleet, starting it on first use. Without kube-apiserver and etcd test
// binaries it skips the test, or fails it when CI=true (as testfleet.Main does for a whole package).
func requireFleet(t *testing.T) *sharedFleet {
	t.Helper()
	if _, err := testfleet.AssetsDir(); err != nil {
		if errors.Is(err, testfleet.ErrAssetsMissing) && !testfleet.InCI() {
			t.Skipf("no control planes: %v", err)
		}
		t.Fatalf("control planes are required in CI: %v", err)
	}
	shared.once.Do(func() {
		began := time.Now()
		shared.err = shared.start()
		t.Logf("fleet (hub + %d members) started in %s", len(members), time.Since(began).Round(100*time.Millisecond))
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return &shared
}

func (s *sharedFleet) start() error {
	// The simulators are started here, not by testfleet, so that their LoadBalancerIP is set before
	// they run.
	f, err := testfleet.Start(testfleet.Options{Members: members})
	if err != nil {
		return fmt.Errorf("start control planes: %w", err)
	}
	register := map[string]map[string]string{}
	for _, name := range members {
		register[name] = map[string]string{"region": name, "env": "chain"}
	}
	local, stopLocal, err := framework.StartLocal(f, register, logs)
	if err != nil {
		_ = f.Stop()
		return fmt.Errorf("start hub and agents: %w", err)
	}
	// A random second octet keeps concurrent runs of this package apart; the third is the member.
	prefix := 16 + rand.IntN(224)
	ctx, cancel := context.WithCancel(local.Context())
	var wg sync.WaitGroup
	s.ips = map[string]*loopbackIPs{}
	for i, m := range f.Members {
		ips := &loopbackIPs{prefix: fmt.Sprintf("127.%d.%d", prefix, i+1), byService: map[string]string{}}
		s.ips[m.Name] = ips
		sim := &testfleet.Simulator{Client: m.Client, LoadBalancerIP: ips.assign}
		wg.Go(func() { sim.Run(ctx) })
	}
	s.fleet, s.local = f, local
	s.stop = func() {
		stopLocal() // controllers stop before the control planes they talk to
		cancel()
		wg.Wait()
		if err := f.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop test fleet: %v\n", err)
		}
	}
	return nil
}

// loopbackIPs gives every LoadBalancer Service of one member its own loopback address, stable per
// Service, so that every node can listen on the standard ports of its own address.
type loopbackIPs struct {
	mu        sync.Mutex
	prefix    string
	byService map[string]string
}

func (a *loopbackIPs) assign(svc *corev1.Service) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := svc.Namespace + "/" + svc.Name
	if ip, ok := a.byService[key]; ok {
		return ip
	}
	ip := fmt.Sprintf("%s.%d", a.prefix, len(a.byService)+1)
	a.byService[key] = ip
	return ip
}

// owns reports whether ip was handed out by a.
func (a *loopbackIPs) owns(ip string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, v := range a.byService {
		if v == ip {
			return true
		}
	}
	return false
}
