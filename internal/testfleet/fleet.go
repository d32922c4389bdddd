package testfleet

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-multierror"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	clusterv1beta2 "open-cluster-management.io/api/cluster/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/deploy/crds"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// HubName is the name of the hub control plane.
const HubName = "hub"

// Options shape a fleet.
type Options struct {
	// Members are the member clusters' names.
	Members []string
	// StartTimeout bounds each control plane's start (default 90s: two cores start several at once).
	StartTimeout time.Duration
	// WithoutHub starts members only (agent tests need no hub).
	WithoutHub bool
	// Simulate runs a Simulator on every member (StatefulSet controller, kubelet, load balancers).
	Simulate bool
	// Setup, when set, runs after the control planes start and before the tests (Main only); its
	// teardown runs after them.
	Setup func(f *Fleet) (teardown func(), err error)
}

// Fleet is a running hub and its members.
type Fleet struct {
	Hub     *ControlPlane
	Members []*ControlPlane
	Scheme  *runtime.Scheme
}

// Scheme returns a scheme with client-go's types, sei.io and OCM cluster types: what the hub and the
// agents register.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme, seiv1alpha1.AddToScheme,
		clusterv1.Install, clusterv1beta2.Install,
	} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("build scheme: %w", err)
		}
	}
	return s, nil
}

// Start starts the hub and every member in parallel and installs their CRDs. On error, whatever did
// start is stopped.
func Start(opts Options) (*Fleet, error) {
	bins, err := prepare()
	if err != nil {
		return nil, err
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	hubCRDs, err := crds.Hub()
	if err != nil {
		return nil, err
	}
	memberCRDs, err := crds.Member()
	if err != nil {
		return nil, err
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 90 * time.Second
	}

	f := &Fleet{Scheme: scheme}
	var planes []*ControlPlane
	crdsFor := map[*ControlPlane][]*apiextensionsv1.CustomResourceDefinition{}
	if !opts.WithoutHub {
		f.Hub = &ControlPlane{Name: HubName}
		planes = append(planes, f.Hub)
		crdsFor[f.Hub] = hubCRDs
	}
	for _, name := range opts.Members {
		cp := &ControlPlane{Name: name}
		f.Members = append(f.Members, cp)
		planes = append(planes, cp)
		crdsFor[cp] = memberCRDs
	}

	var starts multierror.Group
	for _, cp := range planes {
		starts.Go(func() error { return cp.launch(bins, scheme, timeout, crdsFor[cp]) })
	}
	if err := aggregate.Of(starts.Wait()); err != nil {
		_ = f.Stop()
		return nil, err
	}
	if opts.Simulate {
		for _, m := range f.Members {
			m.StartSimulator()
		}
	}
	return f, nil
}

// prepare finds the binaries a control plane runs and sweeps what killed test processes left.
func prepare() (binaries, error) {
	assets, err := AssetsDir()
	if err != nil {
		return binaries{}, err
	}
	if err := sweepRunDirs(); err != nil {
		// What is left only takes space; it is no reason to fail the tests.
		fmt.Fprintf(os.Stderr, "testfleet: WARNING: %v\n", err)
	}
	return controlPlaneBinaries(assets)
}

// launch starts cp's etcd and apiserver, with their files in a directory of this process's run
// directory and forked from a thread of cp's own (see pdeathsig.go).
func (cp *ControlPlane) launch(bins binaries, scheme *runtime.Scheme, startTimeout time.Duration, crds []*apiextensionsv1.CustomResourceDefinition) error {
	dir, err := newPlaneDir(cp.Name)
	if err != nil {
		return err
	}
	cp.dir, cp.thread = dir, newOSThread()
	cp.Env = environment(bins, dir, scheme, startTimeout, crds)
	if err := os.Mkdir(cp.Env.ControlPlane.APIServer.CertDir, 0o700); err != nil {
		return fmt.Errorf("make certificate directory of %s: %w", cp.Name, err)
	}
	if err := cp.thread.do(func() error { _, err := cp.Env.Start(); return err }); err != nil {
		return fmt.Errorf("start control plane %s: %w", cp.Name, err)
	}
	return cp.connectWith(scheme)
}

// stop stops cp's processes and removes their files.
func (cp *ControlPlane) stop() error {
	cp.StopSimulator()
	// A paused apiserver ignores SIGTERM until resumed.
	_ = cp.Resume()
	err := cp.Env.Stop()
	if err != nil {
		err = fmt.Errorf("stop %s: %w", cp.Name, err)
	}
	// Whatever did not stop gets its parent-death signal when the thread ends.
	cp.thread.end()
	if cp.dir != "" {
		err = aggregate.Join(err, removeRunFiles(cp.dir))
		cp.dir = ""
	}
	return err
}

func (cp *ControlPlane) connect() error { return cp.connectWith(cp.Env.Scheme) }

// connectWith provisions an admin user and builds the client and kubeconfig from it.
func (cp *ControlPlane) connectWith(scheme *runtime.Scheme) error {
	kc, cfg, err := cp.UserKubeconfig("fleet-admin", "system:masters")
	if err != nil {
		return err
	}
	// Without a timeout a hung apiserver hangs every call (rest.Config defaults to none).
	cfg.Timeout = 15 * time.Second
	// client-go's default limit (5 requests a second) made the Simulator, one pass of a few requests
	// per StatefulSet every 100ms, the slowest part of a member with ten nodes; envtest's own admin
	// config does the same.
	cfg.QPS, cfg.Burst = 1000, 2000
	cl, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("client for %s: %w", cp.Name, err)
	}
	cp.Config, cp.Client, cp.Kubeconfig = cfg, cl, kc
	if cp.Sim != nil {
		cp.Sim.SetClient(cl)
	}
	return nil
}

// Member returns the member called name, or nil.
func (f *Fleet) Member(name string) *ControlPlane {
	for _, m := range f.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// All returns the hub (if any) followed by the members.
func (f *Fleet) All() []*ControlPlane {
	if f.Hub == nil {
		return append([]*ControlPlane(nil), f.Members...)
	}
	return append([]*ControlPlane{f.Hub}, f.Members...)
}

// Stop stops every control plane in parallel.
func (f *Fleet) Stop() error {
	var stops multierror.Group
	for _, cp := range f.All() {
		if cp == nil || cp.Env == nil {
			continue
		}
		stops.Go(cp.stop)
	}
	return aggregate.Of(stops.Wait())
}

// StartBare starts cp as a control plane with no CRDs at all (for tests of what a binary says about a
// cluster that lacks them) and returns its stop function.
func StartBare(cp *ControlPlane) (func() error, error) {
	bins, err := prepare()
	if err != nil {
		return nil, err
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	if err := cp.launch(bins, scheme, 90*time.Second, nil); err != nil {
		if cp.Env != nil {
			_ = cp.stop()
		}
		return nil, err
	}
	return cp.stop, nil
}

// environment is one control plane on bins with its files in dir, installing crds when it starts.
func environment(bins binaries, dir string, scheme *runtime.Scheme, startTimeout time.Duration, crds []*apiextensionsv1.CustomResourceDefinition) *envtest.Environment {
	env := &envtest.Environment{
		BinaryAssetsDirectory:    bins.assets,
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  30 * time.Second,
		Scheme:                   scheme,
		CRDInstallOptions:        envtest.CRDInstallOptions{CRDs: crds, Scheme: scheme},
		ErrorIfCRDPathMissing:    true,
	}
	// Explicit paths: KUBEBUILDER_ASSETS would win over BinaryAssetsDirectory, and envtest's own
	// directories (os.MkdirTemp) outlive a killed process.
	api := env.ControlPlane.GetAPIServer()
	api.Path, api.CertDir = bins.apiserver, filepath.Join(dir, "apiserver")
	env.ControlPlane.Etcd = &envtest.Etcd{Path: bins.etcd, DataDir: filepath.Join(dir, "etcd")}
	// A graceful stop otherwise waits for open watches longer than envtest's stop timeout.
	api.Configure().Set("shutdown-watch-termination-grace-period", "1s")
	return env
}
