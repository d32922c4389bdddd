// Package agent wires the per-cluster agent: the SeiNode plan executor for its own cluster and the
// heartbeat the hub reads, in one controller-runtime manager. cmd/agent only parses flags and calls Run.
package agent

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/heartbeat"
	"github.com/sei-protocol/sei-fleet/agent/node"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/preflight"
)

// Scheme returns the agent's scheme: client-go and sei.io types.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, seiv1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("build agent scheme: %w", err)
		}
	}
	return s, nil
}

// Run starts the agent and blocks until ctx ends. It returns early, with an error that says what is
// wrong, on a bad configuration, an unreachable cluster or a missing CRD.
func Run(ctx context.Context, opts *Options) error {
	agentCfg, err := LoadConfig(opts.ConfigFile)
	if err != nil {
		return err
	}
	cfg, err := preflight.LoadConfig(opts.Kubeconfig)
	if err != nil {
		return err
	}
	mgr, err := NewManager(ctx, cfg, agentCfg, opts)
	if err != nil {
		return err
	}
	ctrl.Log.WithName("agent").Info("Starting agent", "cluster", opts.ClusterName, "namespace", opts.Namespace)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("run agent manager: %w", err)
	}
	return nil
}

// LoadConfig loads and validates the agent configuration file, or returns the defaults for "".
func LoadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path) // its errors name the file and every offending field
}

// Leader election announces a new leader as a core/v1 Event beside its Lease.
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch,namespace=sei-fleet-system

// NewManager checks the cluster and builds the agent's manager with every controller registered.
func NewManager(ctx context.Context, cfg *rest.Config, agentCfg *config.Config, opts *Options) (manager.Manager, error) {
	cfg = opts.RESTConfig(cfg)
	if err := preflight.Check(ctx, cfg, "the member cluster", opts.StartupTimeout,
		seiv1alpha1.GroupVersion.WithKind("SeiNode")); err != nil {
		return nil, err
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	// The agent caches only the objects it made, the genesis ConfigMaps the hub distributes (to be woken
	// when one arrives) and Nodes, for NodePort addresses; it never caches Secrets: key Secrets are read
	// on demand.
	owned := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{resources.LabelManagedBy: resources.ManagedBy})}
	genesis := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{seiv1alpha1.LabelComponent: seiv1alpha1.ComponentGenesis})}
	logger := ctrl.Log
	if opts.Hooks.Logger != nil {
		logger = *opts.Hooks.Logger
	}
	mgrOpts := opts.ForManager()
	mgrOpts.Logger, mgrOpts.Scheme, mgrOpts.NewClient = logger, scheme, opts.Hooks.NewClient
	mgrOpts.Controller = ctrlconfig.Controller{SkipNameValidation: &opts.Hooks.SkipNameValidation}
	mgrOpts.Cache = cache.Options{SyncPeriod: opts.Hooks.SyncPeriod, ByObject: map[client.Object]cache.ByObject{
		&appsv1.StatefulSet{}: owned, &corev1.Service{}: owned, &corev1.Pod{}: owned, &corev1.PersistentVolumeClaim{}: owned,
		&networkingv1.NetworkPolicy{}: owned, &corev1.ConfigMap{}: genesis,
	}}
	mgr, err := ctrl.NewManager(cfg, mgrOpts)
	if err != nil {
		return nil, fmt.Errorf("build agent manager: %w", err)
	}
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("build agent client: %w", err)
	}
	if !opts.Hooks.NoHeartbeat {
		if err := mgr.Add(&heartbeat.Heartbeat{
			Client: direct, Namespace: opts.Namespace, ClusterName: opts.ClusterName, Interval: opts.HeartbeatInterval,
		}); err != nil {
			return nil, fmt.Errorf("add heartbeat: %w", err)
		}
	}
	sidecarFor := opts.Hooks.Sidecar
	if sidecarFor == nil && opts.SidecarURL != "" {
		sidecarFor = func(n *seiv1alpha1.SeiNode) tasks.Sidecar {
			return sidecar.New(strings.NewReplacer("{namespace}", n.Namespace, "{name}", n.Name).Replace(opts.SidecarURL),
				sidecar.ForValidator(n.Spec.Validator != nil))
		}
	}
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build agent clientset: %w", err)
	}
	if err := (&node.Reconciler{
		Clientset:      clientset,
		Client:         mgr.GetClient(),
		APIReader:      mgr.GetAPIReader(),
		Scheme:         scheme,
		Recorder:       mgr.GetEventRecorder("sei-agent"),
		Config:         agentCfg,
		ClusterName:    opts.ClusterName,
		Sidecar:        sidecarFor,
		Height:         opts.Hooks.Height,
		HeightInterval: opts.HeightInterval,
		StallAfter:     opts.StallAfter,
		Executor:       opts.Hooks.Executor,
		Workers:        opts.NodeWorkers,
	}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up SeiNode controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("add ready check: %w", err)
	}
	return mgr, nil
}
