package hub

import (
	"flag"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/deployment"
	"github.com/sei-protocol/sei-fleet/hub/mirror"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
	"github.com/sei-protocol/sei-fleet/internal/cli"
	"github.com/sei-protocol/sei-fleet/planner"
)

// Options configure the hub.
type Options struct {
	// ManagerOptions: the hub cluster's kubeconfig, the hub's namespace (member kubeconfig Secrets and
	// the leader-election Lease), endpoints, leader election, start-up timeout.
	cli.ManagerOptions
	// MemberTimeout bounds every request to a member cluster.
	MemberTimeout time.Duration
	// ProbeInterval is how often member health is probed.
	ProbeInterval time.Duration
	// Resync re-evaluates every registration and deployment this often: failover tolerations expire
	// without an event, and missed events heal.
	Resync time.Duration
	// AgentNamespace is where agents keep their heartbeat Lease on members.
	AgentNamespace string
	// SweepMaxDeletions caps how many stale member copies one sweep deletes.
	SweepMaxDeletions int
	// SigningFloorMargin is added to the highest block height the hub saw when it sets the
	// signing-state floor of a validator that lands on another cluster.
	SigningFloorMargin int64
	// MemberQPS and MemberBurst rate-limit the hub's requests to each member cluster; every member
	// has its own limiter, so one busy member does not slow the others.
	MemberQPS   float64
	MemberBurst int
	// DeploymentWorkers, MirrorWorkers and ClusterWorkers are how many SeiNodeDeployments, SeiNode
	// records and member registrations are reconciled at once. The workqueue never hands one object to
	// two workers.
	DeploymentWorkers int
	MirrorWorkers     int
	ClusterWorkers    int
	// HeightWriteInterval is the least time between two status writes of a full node's record, or of a
	// deployment's status, that only move block heights (0: every height as it comes). Validators'
	// records, and those of nodes with a halt height, take every height at once.
	HeightWriteInterval time.Duration

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

// Defaults sized for a fleet of 100 member clusters and 10,000 nodes.
const (
	DefaultMemberQPS         = 50
	DefaultMemberBurst       = 100
	DefaultDeploymentWorkers = 8
	DefaultMirrorWorkers     = 64
	DefaultClusterWorkers    = 8
	// DefaultHeightWriteInterval: 10,000 full nodes whose agents read heights every 30 s would
	// otherwise have the hub rewrite about 330 records a second, and their deployments' statuses.
	DefaultHeightWriteInterval = 2 * time.Minute
)

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		ManagerOptions:     cli.NewManagerOptions("hub"),
		MemberTimeout:      10 * time.Second,
		ProbeInterval:      10 * time.Second,
		Resync:             30 * time.Second,
		AgentNamespace:     seiv1alpha1.DefaultSystemNamespace,
		SweepMaxDeletions:  mirror.DefaultMaxDeletions,
		SigningFloorMargin: deployment.DefaultFloorMargin,
		MemberQPS:          DefaultMemberQPS,
		MemberBurst:        DefaultMemberBurst,
		DeploymentWorkers:  DefaultDeploymentWorkers,
		MirrorWorkers:      DefaultMirrorWorkers,
		ClusterWorkers:     DefaultClusterWorkers,

		HeightWriteInterval: DefaultHeightWriteInterval,
	}
}

// AddFlags binds the options to fs.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	o.ManagerOptions.AddFlags(fs, cli.ManagerFlags{Component: "hub", Cluster: "the hub cluster", NamespaceHolds: "member kubeconfig Secrets and leader election"})
	fs.DurationVar(&o.MemberTimeout, "member-timeout", o.MemberTimeout, "timeout of every request to a member cluster")
	fs.DurationVar(&o.ProbeInterval, "probe-interval", o.ProbeInterval, "how often member clusters' health is probed")
	fs.DurationVar(&o.Resync, "resync", o.Resync, "how often every registration and deployment is re-evaluated (failover tolerations expire without an event)")
	fs.StringVar(&o.AgentNamespace, "agent-namespace", o.AgentNamespace, "namespace of the agents' heartbeat Lease on member clusters")
	fs.IntVar(&o.SweepMaxDeletions, "sweep-max-deletions", o.SweepMaxDeletions, "at most this many stale member copies are deleted per sweep (validators never are)")
	fs.Int64Var(&o.SigningFloorMargin, "signing-floor-margin", o.SigningFloorMargin,
		"blocks added to the highest height the hub saw for a moved validator's signing-state floor (it signs nothing below it)")
	fs.Float64Var(&o.MemberQPS, "member-qps", o.MemberQPS, "requests per second from the hub to each member cluster (client-side rate limit, one per member)")
	fs.IntVar(&o.MemberBurst, "member-burst", o.MemberBurst, "burst of requests to each member cluster above --member-qps")
	fs.IntVar(&o.DeploymentWorkers, "deployment-workers", o.DeploymentWorkers, "SeiNodeDeployments reconciled at once")
	fs.IntVar(&o.MirrorWorkers, "mirror-workers", o.MirrorWorkers, "SeiNode records mirrored to their members at once")
	fs.DurationVar(&o.HeightWriteInterval, "height-write-interval", o.HeightWriteInterval,
		"least time between two writes of a full node's hub record, or of a deployment's status, that only move block heights (0: every height at once; validators and nodes with a halt height always take every height)")
	fs.IntVar(&o.ClusterWorkers, "cluster-workers", o.ClusterWorkers, "member registrations (re-)engaged at once (an unreachable member holds one for up to --member-timeout)")
}

// Validate reports every invalid option, each naming its flag.
func (o *Options) Validate() error {
	errs := o.ManagerOptions.Validate()
	errs = append(errs, cli.NamespaceFlag("--agent-namespace", o.AgentNamespace))
	if o.SigningFloorMargin <= 0 {
		errs = append(errs, fmt.Errorf("--signing-floor-margin must be positive, got %d", o.SigningFloorMargin))
	}
	if o.HeightWriteInterval < 0 {
		errs = append(errs, fmt.Errorf("--height-write-interval must not be negative, got %s", o.HeightWriteInterval))
	}
	errs = append(errs, cli.RateLimitFlags("--member-qps", o.MemberQPS, "--member-burst", o.MemberBurst)...)
	for flagName, n := range map[string]int{
		"--sweep-max-deletions": o.SweepMaxDeletions, "--deployment-workers": o.DeploymentWorkers,
		"--mirror-workers": o.MirrorWorkers, "--cluster-workers": o.ClusterWorkers,
	} {
		if n <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", flagName, n))
		}
	}
	for flagName, d := range map[string]time.Duration{
		"--member-timeout": o.MemberTimeout, "--probe-interval": o.ProbeInterval, "--resync": o.Resync,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", flagName, d))
		}
	}
	return aggregate.Join(errs...)
}
