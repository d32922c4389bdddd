// Package hub wires the hub: the member-cluster provider and health monitor, and the controllers for
// SeiPlacementPolicy, SeiNodeDeployment and the SeiNode mirror, in one multicluster-runtime manager.
// cmd/hub only parses flags and calls Run.
package hub

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	clusterv1beta2 "open-cluster-management.io/api/cluster/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	mcmanager "sigs.k8s.io/multicluster-runtime/pkg/manager"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"
	mcreconcile "sigs.k8s.io/multicluster-runtime/pkg/reconcile"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/clusters"
	"github.com/sei-protocol/sei-fleet/hub/deployment"
	"github.com/sei-protocol/sei-fleet/hub/mirror"
	"github.com/sei-protocol/sei-fleet/hub/policy"
	"github.com/sei-protocol/sei-fleet/internal/heightcadence"
	"github.com/sei-protocol/sei-fleet/internal/preflight"
)

// Scheme returns the hub's scheme: client-go, sei.io and OCM cluster types. Member types are in it too:
// mcbuilder resolves member watches through the hub's scheme.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, seiv1alpha1.AddToScheme, clusterv1.Install, clusterv1beta2.Install,
	} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("build hub scheme: %w", err)
		}
	}
	return s, nil
}

// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;create;update,namespace=sei-fleet-system
// Leader election announces a new leader as a core/v1 Event beside its Lease.
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch,namespace=sei-fleet-system

// Run starts the hub and blocks until ctx ends. It returns early, with an error that says what is
// wrong, when the hub cluster cannot be reached or lacks the CRDs.
func Run(ctx context.Context, opts *Options) error {
	cfg, err := preflight.LoadConfig(opts.Kubeconfig)
	if err != nil {
		return err
	}
	mgr, err := NewManager(ctx, cfg, opts)
	if err != nil {
		return err
	}
	ctrl.Log.WithName("hub").Info("Starting hub", "namespace", opts.Namespace, "leaderElect", opts.LeaderElect)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("run hub manager: %w", err)
	}
	return nil
}

// NewManager checks the hub cluster and builds the hub's manager with every controller registered.
// Tests run it in-process against real apiservers.
func NewManager(ctx context.Context, cfg *rest.Config, opts *Options) (mcmanager.Manager, error) {
	cfg = opts.RESTConfig(cfg)
	if err := preflight.Check(ctx, cfg, "the hub cluster", opts.StartupTimeout,
		seiv1alpha1.GroupVersion.WithKind("SeiNodeDeployment"),
		seiv1alpha1.GroupVersion.WithKind("SeiNode"),
		seiv1alpha1.GroupVersion.WithKind("SeiPlacementPolicy"),
		schema.GroupVersionKind{Group: clusterv1.GroupName, Version: clusterv1.GroupVersion.Version, Kind: "ManagedCluster"},
	); err != nil {
		return nil, err
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	resync := opts.Resync
	if opts.Hooks.Resync > 0 {
		resync = opts.Hooks.Resync
	}
	hubID, err := readHubID(ctx, cfg, opts.StartupTimeout)
	if err != nil {
		return nil, err
	}
	provider := clusters.New(clusters.Options{
		Namespace:          opts.Namespace,
		Scheme:             scheme,
		ClientTimeout:      opts.MemberTimeout,
		Resync:             resync,
		HeartbeatNamespace: opts.AgentNamespace,
		HubID:              hubID,
		Workers:            opts.ClusterWorkers,
		QPS:                opts.MemberQPS,
		Burst:              opts.MemberBurst,
	})
	logger := ctrl.Log
	if opts.Hooks.Logger != nil {
		logger = *opts.Hooks.Logger
	}
	mgrOpts := opts.ForManager()
	mgrOpts.Logger, mgrOpts.Scheme, mgrOpts.NewClient = logger, scheme, opts.Hooks.NewClient
	mgrOpts.Controller = ctrlconfig.Controller{SkipNameValidation: &opts.Hooks.SkipNameValidation}
	// The hub reads kubeconfig Secrets only in its own namespace: never cache the cluster's Secrets.
	mgrOpts.Cache = cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Secret{}: {Namespaces: map[string]cache.Config{opts.Namespace: {}}},
	}}
	mgr, err := mcmanager.New(cfg, provider, mgrOpts)
	if err != nil {
		return nil, fmt.Errorf("build hub manager: %w", err)
	}
	if err := provider.SetupWithManager(ctx, mgr); err != nil {
		return nil, fmt.Errorf("set up cluster provider: %w", err)
	}
	monitor := &clusters.Monitor{
		Provider:           provider,
		Hub:                mgr.GetLocalManager().GetClient(),
		Interval:           opts.ProbeInterval,
		HeartbeatNamespace: opts.AgentNamespace,
	}
	local := mgr.GetLocalManager()
	policyEvents, deploymentEvents, mirrorEvents := monitor.Subscribe(), monitor.Subscribe(), monitor.Subscribe()
	if err := local.Add(monitor); err != nil {
		return nil, fmt.Errorf("add cluster health monitor: %w", err)
	}
	// The mirror sees member copies go; the deployment's fences wait for exactly that.
	copiesGone := make(chan event.GenericEvent, 1024)
	inventory := &policy.Inventory{Reader: local.GetClient(), Health: monitor}
	if err := (&policy.Reconciler{Client: local.GetClient(), Inventory: inventory, HealthEvents: policyEvents}).SetupWithManager(local); err != nil {
		return nil, fmt.Errorf("set up policy controller: %w", err)
	}
	if err := (&deployment.Reconciler{
		Hub: local.GetClient(), HubReader: local.GetAPIReader(), Scheme: scheme,
		Recorder: local.GetEventRecorder("sei-hub"), Inventory: inventory, Members: members{mgr, provider},
		HealthEvents: deploymentEvents, CopiesGone: copiesGone, Executor: opts.Hooks.Executor, Resync: resync, FloorMargin: opts.SigningFloorMargin,
		Options: controller.Options{MaxConcurrentReconciles: opts.DeploymentWorkers}, Heights: &heightcadence.Limiter{Interval: opts.HeightWriteInterval},
	}).SetupWithManager(local); err != nil {
		return nil, fmt.Errorf("set up deployment controller: %w", err)
	}
	mirrorOpts := controller.TypedOptions[mcreconcile.Request]{MaxConcurrentReconciles: opts.MirrorWorkers, SkipNameValidation: &opts.Hooks.SkipNameValidation}
	mirrorReconciler := &mirror.Reconciler{
		Scheme: scheme, HubID: string(hubID), Identity: provider, Retry: opts.Hooks.MemberRetry, Options: mirrorOpts,
		Health: monitor, HealthEvents: mirrorEvents, CopiesGone: copiesGone, Heights: &heightcadence.Limiter{Interval: opts.HeightWriteInterval},
	}
	if err := mirrorReconciler.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up SeiNode mirror: %w", err)
	}
	sweeper := &mirror.Sweeper{
		Clusters: provider.Engaged,
		Get: func(ctx context.Context, name multicluster.ClusterName) (mirror.ClusterClient, error) {
			return mgr.GetCluster(ctx, name)
		},
		Identity:     provider,
		HubID:        string(hubID),
		Hub:          local.GetAPIReader(),
		Recorder:     local.GetEventRecorder("sei-hub"),
		Interval:     opts.Hooks.SweepInterval,
		MaxDeletions: opts.SweepMaxDeletions,
	}
	if err := local.Add(sweeper); err != nil {
		return nil, fmt.Errorf("add member sweeper: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add ready check: %w", err)
	}
	return mgr, nil
}

// members is how the deployment controller reaches members: the manager's clusters, verified by the
// provider that pinned them.
type members struct {
	mcmanager.Manager
	provider *clusters.Provider
}

func (m members) VerifyIdentity(ctx context.Context, name string) error {
	return m.provider.VerifyIdentity(ctx, name)
}

// readHubID reads the hub's own identity, the UID of its kube-system namespace, once: member copies
// carry it, and a member with the same identity is the hub itself.
func readHubID(ctx context.Context, cfg *rest.Config, timeout time.Duration) (types.UID, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", fmt.Errorf("build hub client: %w", err)
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	uid, err := clusters.ReadIdentity(ctx, cs)
	if err != nil {
		return "", fmt.Errorf("read the hub's identity: %w", err)
	}
	return uid, nil
}
