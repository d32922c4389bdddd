package hub

import (
	"flag"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/deployment"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Options configure the hub.
type Options struct {
	// Kubeconfig of the hub cluster; empty: $KUBECONFIG, in-cluster, ~/.kube/config.
	Kubeconfig string
	// Namespace is the hub's own namespace: member kubeconfig Secrets and the leader-election Lease.
	Namespace string
	// MetricsAddr serves Prometheus metrics ("0" disables).
	MetricsAddr string
	// ProbeAddr serves /healthz and /readyz ("0" disables).
	ProbeAddr string
	// LeaderElect makes only one hub replica act at a time.
	LeaderElect bool
	// LeaderElectionID names the leader-election Lease.
	LeaderElectionID string
	// MemberTimeout bounds every request to a member cluster.
	MemberTimeout time.Duration
	// ProbeInterval is how often member health is probed.
	ProbeInterval time.Duration
	// Resync re-evaluates every registration and deployment this often: failover tolerations expire
	// without an event, and missed events heal.
	Resync time.Duration
	// StartupTimeout bounds the pre-start check that the hub cluster answers.
	StartupTimeout time.Duration
	// AgentNamespace is where agents keep their heartbeat Lease on members.
	AgentNamespace string

	// Hooks for in-process tests; never set from flags.
	Hooks Hooks
}

// Hooks let tests run the real hub with test timings and instrumentation.
type Hooks struct {
	// NewClient wraps the hub manager's client (to count writes, for example).
	NewClient client.NewClientFunc
	// Logger replaces the global logger for this manager (to capture its lines in tests).
	Logger *logr.Logger
	// SkipNameValidation lets several hubs in one test process register the same controllers.
	SkipNameValidation bool
	// Executor runs deployment plans (default: production timings).
	Executor *planner.Executor[*deployment.Env]
	// SweepInterval is how often stale member copies are swept (default 30s).
	SweepInterval time.Duration
	// MemberRetry is how soon the mirror retries an unreachable member (default 10s).
	MemberRetry time.Duration
	// Resync overrides Options.Resync.
	Resync time.Duration
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		Namespace:        seiv1alpha1.DefaultSystemNamespace,
		MetricsAddr:      ":8080",
		ProbeAddr:        ":8081",
		LeaderElectionID: "sei-fleet-hub",
		MemberTimeout:    10 * time.Second,
		ProbeInterval:    10 * time.Second,
		Resync:           30 * time.Second,
		StartupTimeout:   15 * time.Second,
		AgentNamespace:   seiv1alpha1.DefaultSystemNamespace,
	}
}

// AddFlags binds the options to fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig of the hub cluster (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
	fs.StringVar(&o.Namespace, "namespace", o.Namespace, "the hub's namespace: member kubeconfig Secrets and leader election live here")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "address of the Prometheus metrics endpoint (0 disables)")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "address of /healthz and /readyz (0 disables)")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "elect a leader so only one hub replica acts")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID, "name of the leader-election Lease")
	fs.DurationVar(&o.MemberTimeout, "member-timeout", o.MemberTimeout, "timeout of every request to a member cluster")
	fs.DurationVar(&o.ProbeInterval, "probe-interval", o.ProbeInterval, "how often member clusters' health is probed")
	fs.DurationVar(&o.Resync, "resync", o.Resync, "how often every registration and deployment is re-evaluated (failover tolerations expire without an event)")
	fs.DurationVar(&o.StartupTimeout, "startup-timeout", o.StartupTimeout, "how long to wait for the hub cluster to answer at start")
	fs.StringVar(&o.AgentNamespace, "agent-namespace", o.AgentNamespace, "namespace of the agents' heartbeat Lease on member clusters")
}

// Validate reports every invalid option, each naming its flag.
func (o *Options) Validate() error {
	var errs []error
	for flagName, ns := range map[string]string{"--namespace": o.Namespace, "--agent-namespace": o.AgentNamespace} {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s %q is not a namespace name: %s", flagName, ns, msgs[0]))
		}
	}
	if o.LeaderElect && len(validation.IsDNS1123Subdomain(o.LeaderElectionID)) > 0 {
		errs = append(errs, fmt.Errorf("--leader-election-id %q is not a valid Lease name", o.LeaderElectionID))
	}
	for flagName, d := range map[string]time.Duration{
		"--member-timeout": o.MemberTimeout, "--probe-interval": o.ProbeInterval,
		"--resync": o.Resync, "--startup-timeout": o.StartupTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", flagName, d))
		}
	}
	return aggregate.Join(errs...)
}
