package agent

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/node"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Options configure the agent.
type Options struct {
	// Kubeconfig of the member cluster; empty: $KUBECONFIG, in-cluster, ~/.kube/config.
	Kubeconfig string
	// ClusterName is this member cluster's name on the hub (its ManagedCluster's name).
	ClusterName string
	// Namespace is the agent's own namespace: heartbeat and leader-election Leases.
	Namespace string
	// ConfigFile is the agent configuration (storage, resources, images, scheduling); empty: defaults.
	ConfigFile string
	// MetricsAddr serves Prometheus metrics ("0" disables).
	MetricsAddr string
	// ProbeAddr serves /healthz and /readyz ("0" disables).
	ProbeAddr string
	// LeaderElect makes only one agent replica act at a time.
	LeaderElect bool
	// LeaderElectionID names the leader-election Lease.
	LeaderElectionID string
	// HeartbeatInterval is how often the heartbeat Lease is renewed.
	HeartbeatInterval time.Duration
	// StartupTimeout bounds the pre-start check that the cluster answers.
	StartupTimeout time.Duration
	// HeightInterval is how often a running node's block height is read from seid's RPC (0: never).
	HeightInterval time.Duration
	// SidecarURL, when set, is where the agent reaches a node's sidecar instead of the node's headless
	// Service: a URL in which {namespace} and {name} are replaced (local fleets run fake sidecars).
	SidecarURL string

	// Hooks for in-process tests; never set from flags.
	Hooks Hooks
}

// Hooks let tests run the real agent against fakes of what envtest lacks.
type Hooks struct {
	// Sidecar returns a node's sidecar client (default: its headless-Service address).
	Sidecar func(node *seiv1alpha1.SeiNode) tasks.Sidecar
	// Executor runs plans (default: the agent's registry with production timings).
	Executor *planner.Executor[*tasks.Env]
	// SyncPeriod is the cache's resync period (default controller-runtime's).
	SyncPeriod *time.Duration
	// NewClient wraps the manager's client (to count writes, for example).
	NewClient client.NewClientFunc
	// NoHeartbeat skips the heartbeat Lease.
	NoHeartbeat bool
	// Logger replaces the global logger for this manager (to capture its lines in tests).
	Logger *logr.Logger
	// Height reads a node's block height (default: seid's RPC).
	Height node.HeightReader
	// SkipNameValidation lets several managers in one test process register the same controllers.
	SkipNameValidation bool
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		Namespace:         seiv1alpha1.DefaultSystemNamespace,
		MetricsAddr:       ":8080",
		ProbeAddr:         ":8081",
		LeaderElectionID:  "sei-fleet-agent",
		HeartbeatInterval: 10 * time.Second,
		HeightInterval:    30 * time.Second,
		StartupTimeout:    15 * time.Second,
	}
}

// AddFlags binds the options to fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "kubeconfig of the member cluster (default: $KUBECONFIG, in-cluster, ~/.kube/config)")
	fs.StringVar(&o.ClusterName, "cluster-name", o.ClusterName, "this member cluster's name on the hub (its ManagedCluster name); required")
	fs.StringVar(&o.Namespace, "namespace", o.Namespace, "the agent's namespace: heartbeat and leader election live here")
	fs.StringVar(&o.ConfigFile, "config", o.ConfigFile, "agent configuration file (YAML); empty uses built-in defaults")
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "address of the Prometheus metrics endpoint (0 disables)")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "address of /healthz and /readyz (0 disables)")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "elect a leader so only one agent replica acts")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID, "name of the leader-election Lease")
	fs.DurationVar(&o.HeartbeatInterval, "heartbeat-interval", o.HeartbeatInterval, "how often the heartbeat Lease is renewed")
	fs.DurationVar(&o.StartupTimeout, "startup-timeout", o.StartupTimeout, "how long to wait for the cluster to answer at start")
	fs.DurationVar(&o.HeightInterval, "height-interval", o.HeightInterval, "how often a running node's block height is read from seid's RPC into status (0 disables)")
	fs.StringVar(&o.SidecarURL, "sidecar-url", o.SidecarURL, "reach node sidecars at this URL instead of their headless Service; {namespace} and {name} are replaced (for local fleets)")
}

// Validate reports every invalid option, each naming its flag.
func (o *Options) Validate() error {
	var errs []error
	if o.ClusterName == "" {
		errs = append(errs, errors.New("--cluster-name is required: the name of this cluster's ManagedCluster on the hub"))
	} else if msgs := validation.IsDNS1123Subdomain(o.ClusterName); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("--cluster-name %q is not a valid cluster name: %s", o.ClusterName, msgs[0]))
	}
	if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("--namespace %q is not a namespace name: %s", o.Namespace, msgs[0]))
	}
	if o.LeaderElect && len(validation.IsDNS1123Subdomain(o.LeaderElectionID)) > 0 {
		errs = append(errs, fmt.Errorf("--leader-election-id %q is not a valid Lease name", o.LeaderElectionID))
	}
	if o.HeartbeatInterval < time.Second {
		errs = append(errs, fmt.Errorf("--heartbeat-interval must be at least 1s, got %s", o.HeartbeatInterval))
	}
	if o.SidecarURL != "" {
		if u, err := url.Parse(strings.NewReplacer("{namespace}", "ns", "{name}", "n").Replace(o.SidecarURL)); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("--sidecar-url %q is not an http(s) URL", o.SidecarURL))
		}
	}
	if o.HeightInterval < 0 {
		errs = append(errs, fmt.Errorf("--height-interval must not be negative, got %s", o.HeightInterval))
	}
	if o.StartupTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--startup-timeout must be positive, got %s", o.StartupTimeout))
	}
	return aggregate.Join(errs...)
}
