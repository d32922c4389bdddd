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
	"github.com/sei-protocol/sei-fleet/internal/cli"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Options configure the agent.
type Options struct {
	// ManagerOptions: the member cluster's kubeconfig, the agent's namespace (heartbeat and
	// leader-election Leases), endpoints, leader election, start-up timeout.
	cli.ManagerOptions
	// ClusterName is this member cluster's name on the hub (its ManagedCluster's name).
	ClusterName string
	// ConfigFile is the agent configuration (storage, resources, images, scheduling); empty: defaults.
	ConfigFile string
	// HeartbeatInterval is how often the heartbeat Lease is renewed.
	HeartbeatInterval time.Duration
	// HeightInterval is how often a running node's block height is read from seid's RPC (0: never).
	HeightInterval time.Duration
	// StallAfter is how long a running node's height may stand still (or its RPC stay silent) before
	// its CaughtUp and Ready conditions turn False.
	StallAfter time.Duration
	// NodeWorkers is how many SeiNodes the agent reconciles at once.
	NodeWorkers int
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

// DefaultNodeWorkers is --node-workers' default: a node's reconcile mostly waits on its apiserver and
// its sidecar, so a few run well side by side even on one core.
const DefaultNodeWorkers = 16

// maxNodeWorkers bounds --node-workers: more only queue on the client's rate limit.
const maxNodeWorkers = 128

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		ManagerOptions:    cli.NewManagerOptions("agent"),
		HeartbeatInterval: 10 * time.Second,
		HeightInterval:    30 * time.Second,
		StallAfter:        node.DefaultStallAfter,
		NodeWorkers:       DefaultNodeWorkers,
	}
}

// AddFlags binds the options to fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	o.ManagerOptions.AddFlags(fs, cli.ManagerFlags{Component: "agent", Cluster: "the member cluster", NamespaceHolds: "heartbeat and leader election"})
	fs.StringVar(&o.ClusterName, "cluster-name", o.ClusterName, "this member cluster's name on the hub (its ManagedCluster name); required")
	fs.StringVar(&o.ConfigFile, "config", o.ConfigFile, "agent configuration file (YAML); empty uses built-in defaults")
	fs.DurationVar(&o.HeartbeatInterval, "heartbeat-interval", o.HeartbeatInterval, "how often the heartbeat Lease is renewed")
	fs.DurationVar(&o.HeightInterval, "height-interval", o.HeightInterval, "how often a running node's block height is read from seid's RPC into status (0 disables, and Ready no longer waits for CaughtUp)")
	fs.DurationVar(&o.StallAfter, "stall-after", o.StallAfter, "how long a running node's height may stand still before it no longer counts as caught up (and Ready turns False)")
	fs.IntVar(&o.NodeWorkers, "node-workers", o.NodeWorkers, "how many SeiNodes are reconciled at once (one node is never reconciled twice at a time)")
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
	errs = append(errs, o.ManagerOptions.Validate()...)
	if o.HeartbeatInterval < time.Second {
		errs = append(errs, fmt.Errorf("--heartbeat-interval must be at least 1s, got %s", o.HeartbeatInterval))
	}
	if o.SidecarURL != "" {
		if u, err := url.Parse(strings.NewReplacer("{namespace}", "ns", "{name}", "n").Replace(o.SidecarURL)); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("--sidecar-url %q is not an http(s) URL", o.SidecarURL))
		}
	}
	if o.NodeWorkers < 1 || o.NodeWorkers > maxNodeWorkers {
		errs = append(errs, fmt.Errorf("--node-workers must be between 1 and %d, got %d", maxNodeWorkers, o.NodeWorkers))
	}
	if o.HeightInterval < 0 {
		errs = append(errs, fmt.Errorf("--height-interval must not be negative, got %s", o.HeightInterval))
	}
	if o.HeightInterval > 0 && o.StallAfter < 2*o.HeightInterval {
		errs = append(errs, fmt.Errorf("--stall-after must be at least twice --height-interval (%s), got %s: one late read would stall a healthy node",
			o.HeightInterval, o.StallAfter))
	}
	return aggregate.Join(errs...)
}
