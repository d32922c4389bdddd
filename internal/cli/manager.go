package cli

import (
	"flag"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// ManagerOptions are the options the hub and the agent share: the cluster they run against, their own
// namespace, their endpoints and leader election.
type ManagerOptions struct {
	// Kubeconfig of the cluster; empty: $KUBECONFIG, in-cluster, ~/.kube/config.
	Kubeconfig string
	// Namespace is the binary's own namespace: its Leases (and for the hub, member kubeconfig Secrets).
	Namespace string
	// MetricsAddr serves Prometheus metrics ("0" disables).
	MetricsAddr string
	// ProbeAddr serves /healthz and /readyz ("0" disables).
	ProbeAddr string
	// PprofAddr serves Go's profiles under /debug/pprof ("" or "0" disables): where a slow fleet's
	// time goes is then one curl away.
	PprofAddr string
	// LeaderElect makes only one replica act at a time.
	LeaderElect bool
	// LeaderElectionID names the leader-election Lease.
	LeaderElectionID string
	// StartupTimeout bounds the pre-start check that the cluster answers.
	StartupTimeout time.Duration
	// KubeAPIQPS and KubeAPIBurst rate-limit the manager's requests to its cluster. client-go's
	// defaults (5/10, raised by controller-runtime to 20/30) throttle a controller of thousands of
	// objects for seconds per change.
	KubeAPIQPS   float64
	KubeAPIBurst int
}

// Client rate limits of the binaries' own cluster, sized for a fleet of thousands of nodes.
const (
	DefaultKubeAPIQPS   = 200
	DefaultKubeAPIBurst = 400
)

// ManagerFlags say what the shared flags' help tells of one binary.
type ManagerFlags struct {
	// Component is the binary's short name: "hub" or "agent".
	Component string
	// Cluster is the cluster it runs against, e.g. "the hub cluster".
	Cluster string
	// NamespaceHolds is what lives in its namespace, e.g. "heartbeat and leader election".
	NamespaceHolds string
}

// NewManagerOptions returns the shared defaults of the binary called component.
func NewManagerOptions(component string) ManagerOptions {
	return ManagerOptions{
		Namespace:        seiv1alpha1.DefaultSystemNamespace,
		MetricsAddr:      ":8080",
		ProbeAddr:        ":8081",
		LeaderElectionID: "sei-fleet-" + component,
		StartupTimeout:   15 * time.Second,
		KubeAPIQPS:       DefaultKubeAPIQPS,
		KubeAPIBurst:     DefaultKubeAPIBurst,
	}
}

// AddFlags binds the shared options to fs.
func (o *ManagerOptions) AddFlags(fs *flag.FlagSet, f ManagerFlags) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig of "+f.Cluster+" (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
	fs.StringVar(&o.Namespace, "namespace", o.Namespace, fmt.Sprintf("the %s's namespace: %s live here", f.Component, f.NamespaceHolds))
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "address of the Prometheus metrics endpoint (0 disables)")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "address of /healthz and /readyz (0 disables)")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", o.PprofAddr, "address of Go's profiles at /debug/pprof (empty or 0 disables; keep it on loopback)")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "elect a leader so only one "+f.Component+" replica acts")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID, "name of the leader-election Lease")
	fs.DurationVar(&o.StartupTimeout, "startup-timeout", o.StartupTimeout, "how long to wait for "+f.Cluster+" to answer at start")
	fs.Float64Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "requests per second to "+f.Cluster+" (client-side rate limit)")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "burst of requests to "+f.Cluster+" above --kube-api-qps")
}

// Validate returns every invalid shared option, each naming its flag.
func (o *ManagerOptions) Validate() []error {
	var errs []error
	if err := NamespaceFlag("--namespace", o.Namespace); err != nil {
		errs = append(errs, err)
	}
	if o.LeaderElect && len(validation.IsDNS1123Subdomain(o.LeaderElectionID)) > 0 {
		errs = append(errs, fmt.Errorf("--leader-election-id %q is not a valid Lease name", o.LeaderElectionID))
	}
	if o.StartupTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--startup-timeout must be positive, got %s", o.StartupTimeout))
	}
	return append(errs, RateLimitFlags("--kube-api-qps", o.KubeAPIQPS, "--kube-api-burst", o.KubeAPIBurst)...)
}

// RateLimitFlags checks a client rate limit given by two flags: both must be positive.
func RateLimitFlags(qpsFlag string, qps float64, burstFlag string, burst int) []error {
	var errs []error
	if qps <= 0 {
		errs = append(errs, fmt.Errorf("%s must be positive, got %g", qpsFlag, qps))
	}
	if burst <= 0 {
		errs = append(errs, fmt.Errorf("%s must be positive, got %d", burstFlag, burst))
	}
	return errs
}

// RESTConfig returns a copy of cfg with the manager's rate limits. Unset (zero) limits leave cfg's.
func (o *ManagerOptions) RESTConfig(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	if o.KubeAPIQPS > 0 {
		cfg.QPS = float32(o.KubeAPIQPS)
	}
	if o.KubeAPIBurst > 0 {
		cfg.Burst = o.KubeAPIBurst
	}
	return cfg
}

// ForManager returns the manager options these settle: the metrics and probe endpoints, and leader
// election with its Lease in the binary's namespace.
func (o *ManagerOptions) ForManager() manager.Options {
	return manager.Options{
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.ProbeAddr,
		PprofBindAddress:        o.PprofAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        o.LeaderElectionID,
		LeaderElectionNamespace: o.Namespace,
	}
}

// NamespaceFlag checks that the flag's value is a namespace name.
func NamespaceFlag(flagName, ns string) error {
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return fmt.Errorf("%s %q is not a namespace name: %s", flagName, ns, msgs[0])
	}
	return nil
}
