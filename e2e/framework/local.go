package framework

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent"
	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/node"
	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	"github.com/sei-protocol/sei-fleet/agent/tasks"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub"
	"github.com/sei-protocol/sei-fleet/hub/deployment"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
	"github.com/sei-protocol/sei-fleet/planner"
)

// HubUser is the identity the hub uses on every member (deploy/hub/member-rbac).
const HubUser = "sei-fleet-hub"

// Local is a whole fleet in this process.
type Local struct {
	Fleet *testfleet.Fleet
	// Sidecars fakes every node's sidecar, per member cluster.
	Sidecars map[string]*sidecartest.Fleet
	// HubWrites records every write the hub makes to the hub cluster.
	HubWrites *testfleet.WriteRecorder
	// AgentWrites records every write each agent makes to its cluster.
	AgentWrites map[string]*testfleet.WriteRecorder
	// Logs receives the hub's and agents' log lines when set (for secret scans).
	Logs *LogSink
	// AgentConfig, when set, is a member's agent configuration (default: config.Default()).
	AgentConfig func(member string) *config.Config
	// RealPods makes the agents talk to the real sidecars and seid RPC of real pods (a data plane
	// such as dataplane/members), instead of the fake sidecars.
	RealPods bool
	// Height, when set, is every agent's block height reader (read each second): heights for nodes
	// that have no seid RPC to ask.
	Height node.HeightReader
	// SigningFloorMargin, when set, is the hub's --signing-floor-margin: a real chain on this machine
	// makes about a block a second, and a moved validator signs nothing for that many blocks.
	SigningFloorMargin int64

	ctx    context.Context
	mu     sync.Mutex
	hub    *process
	agents map[string]*process
}

type process struct {
	cancel context.CancelFunc
	done   chan error
}

func (p *process) stop() error {
	p.cancel()
	return <-p.done
}

// NewLocal wraps a started testfleet (with a hub, members and Simulate).
func NewLocal(f *testfleet.Fleet) *Local {
	l := &Local{
		Fleet: f, Sidecars: map[string]*sidecartest.Fleet{}, AgentWrites: map[string]*testfleet.WriteRecorder{},
		HubWrites: &testfleet.WriteRecorder{Scheme: f.Scheme}, agents: map[string]*process{},
	}
	for _, m := range f.Members {
		l.Sidecars[m.Name] = sidecartest.NewFleet()
		l.AgentWrites[m.Name] = &testfleet.WriteRecorder{Scheme: f.Scheme}
	}
	return l
}

// repoRoot finds the repository from this file's location, for the generated RBAC files.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Fast is the executor timing the suite uses: production logic, seconds instead of minutes.
func Fast[E any](r *planner.Registry[E]) *planner.Executor[E] {
	return &planner.Executor[E]{
		Registry: r, PollInterval: 300 * time.Millisecond,
		Backoff: func(n int32) time.Duration { return time.Duration(n) * 300 * time.Millisecond },
	}
}

// StartHub runs the hub until ctx ends or StopHub.
func (l *Local) StartHub(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hub != nil {
		return errors.New("hub already running")
	}
	if err := ensureSystemNamespace(ctx, l.Fleet.Hub.Client); err != nil {
		return err
	}
	opts := hub.NewOptions()
	opts.MetricsAddr, opts.ProbeAddr = "0", "0"
	opts.ProbeInterval = time.Second
	opts.MemberTimeout = 3 * time.Second
	// Heights are read every 1–2 s here: tests wait for them on the hub in seconds, not minutes.
	opts.HeightWriteInterval = 2 * time.Second
	if l.SigningFloorMargin > 0 {
		opts.SigningFloorMargin = l.SigningFloorMargin
	}
	opts.Hooks = hub.Hooks{
		NewClient: l.HubWrites.NewClient, SkipNameValidation: true,
		Executor: Fast(deployment.Registry()), SweepInterval: 2 * time.Second, MemberRetry: time.Second, Resync: 2 * time.Second,
	}
	opts.Hooks.Logger = l.Logs.logger("hub")
	// The hub runs with exactly the RBAC generated from its markers, as a deployed hub does.
	cfg, err := l.Fleet.Hub.LeastPrivilegeConfig(ctx, "sei-fleet-hub-under-test", filepath.Join(repoRoot(), "deploy", "hub", "rbac", "role.yaml"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	mgr, err := hub.NewManager(ctx, cfg, opts)
	if err != nil {
		cancel()
		return err
	}
	p := &process{cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- mgr.Start(ctx) }()
	l.hub = p
	return nil
}

// StopHub stops the hub (a crash, as far as the fleet can tell). If it does not stop in time, the
// goroutines of the whole process are written to the error, to show what held it.
func (l *Local) StopHub() error {
	l.mu.Lock()
	p := l.hub
	l.hub = nil
	l.mu.Unlock()
	if p == nil {
		return nil
	}
	if err := p.stop(); err != nil {
		buf := make([]byte, 8<<20)
		n := runtime.Stack(buf, true)
		return fmt.Errorf("stop hub: %w\n%s", err, buf[:n])
	}
	return nil
}

// StartAgent runs the agent of member name until ctx ends or StopAgent.
func (l *Local) StartAgent(ctx context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.agents[name] != nil {
		return fmt.Errorf("agent of %s already running", name)
	}
	m := l.Fleet.Member(name)
	if m == nil {
		return fmt.Errorf("no member %s", name)
	}
	opts := agent.NewOptions()
	opts.ClusterName = name
	opts.MetricsAddr, opts.ProbeAddr = "0", "0"
	opts.HeartbeatInterval = time.Second
	sidecars := l.Sidecars[name]
	opts.Hooks = agent.Hooks{
		Sidecar:            func(n *seiv1alpha1.SeiNode) tasks.Sidecar { return sidecar.New(sidecars.Address(n.Namespace, n.Name)) },
		Executor:           Fast(tasks.Registry()),
		NewClient:          l.AgentWrites[name].NewClient,
		SkipNameValidation: true,
	}
	agentCfg := config.Default()
	if l.AgentConfig != nil {
		agentCfg = l.AgentConfig(name)
	}
	// Simulated pods run no seid: no heights to read (and Ready does not wait for CaughtUp).
	opts.HeightInterval = 0
	if l.Height != nil {
		opts.Hooks.Height = l.Height
		opts.HeightInterval = time.Second
	}
	if l.RealPods {
		// The agent's own endpoints (agentCfg.NodeEndpoints) and seid's RPC heights.
		opts.Hooks.Sidecar = nil
		opts.HeightInterval = 2 * time.Second
		// A stuck seid is seen in seconds, not production's minutes.
		opts.StallAfter = 20 * time.Second
	}
	if err := ensureSystemNamespace(ctx, m.Client); err != nil {
		return err
	}
	opts.Hooks.Logger = l.Logs.logger("agent/" + name)
	ctx, cancel := context.WithCancel(ctx)
	// No client timeout for a manager: in client-go it also cuts every watch short.
	cfg := rest.CopyConfig(m.Config)
	cfg.Timeout = 0
	mgr, err := agent.NewManager(ctx, cfg, agentCfg, opts)
	if err != nil {
		cancel()
		return err
	}
	p := &process{cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- mgr.Start(ctx) }()
	l.agents[name] = p
	return nil
}

// StopAgent stops member name's agent.
func (l *Local) StopAgent(name string) error {
	l.mu.Lock()
	p := l.agents[name]
	delete(l.agents, name)
	l.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop()
}

// Register makes member name known to the hub as a cluster admin would: the hub's least-privilege
// identity on the member, its kubeconfig in a Secret on the hub, and an accepted ManagedCluster with
// labels. Registering again refreshes the kubeconfig (after the member's credentials changed).
func (l *Local) Register(ctx context.Context, name string, labels map[string]string) error {
	m := l.Fleet.Member(name)
	if m == nil {
		return fmt.Errorf("no member %s", name)
	}
	if err := ensureSystemNamespace(ctx, m.Client); err != nil {
		return err
	}
	if err := m.Grant(ctx, HubUser, filepath.Join(repoRoot(), "deploy", "hub", "member-rbac", "role.yaml")); err != nil {
		return err
	}
	kc, _, err := m.UserKubeconfig(HubUser)
	if err != nil {
		return err
	}
	hubClient := l.Fleet.Hub.Client
	if err := ensureSystemNamespace(ctx, hubClient); err != nil {
		return err
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: seiv1alpha1.DefaultSystemNamespace, Name: name + seiv1alpha1.KubeconfigSecretSuffix}}
	if err := upsert(ctx, hubClient, secret, func() { secret.Data = map[string][]byte{seiv1alpha1.KubeconfigSecretKey: kc} }); err != nil {
		return err
	}
	mc := &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: name}}
	return upsert(ctx, hubClient, mc, func() {
		mc.Labels = labels
		mc.Spec.HubAcceptsClient = true
	})
}

// Deregister removes member name from the hub.
func (l *Local) Deregister(ctx context.Context, name string) error {
	err := l.Fleet.Hub.Client.Delete(ctx, &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: name}})
	return client.IgnoreNotFound(err)
}

// Close stops the hub and every agent.
func (l *Local) Close() {
	_ = l.StopHub()
	l.mu.Lock()
	names := make([]string, 0, len(l.agents))
	for n := range l.agents {
		names = append(names, n)
	}
	l.mu.Unlock()
	for _, n := range names {
		_ = l.StopAgent(n)
	}
	for _, s := range l.Sidecars {
		s.Close()
	}
}

// ensureSystemNamespace creates the fleet's system namespace (kubeconfig Secrets, heartbeats).
func ensureSystemNamespace(ctx context.Context, c client.Client) error {
	name := seiv1alpha1.DefaultSystemNamespace
	err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// upsert creates obj after mutate, or updates the existing one after mutate.
func upsert(ctx context.Context, c client.Client, obj client.Object, mutate func()) error {
	err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj)
	switch {
	case apierrors.IsNotFound(err):
		mutate()
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("create %T %s: %w", obj, obj.GetName(), err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("get %T %s: %w", obj, obj.GetName(), err)
	}
	mutate()
	if err := c.Update(ctx, obj); err != nil {
		return fmt.Errorf("update %T %s: %w", obj, obj.GetName(), err)
	}
	return nil
}

// StartLocal starts an agent on every member of f, registers the members in register (name → labels)
// and starts the hub. configure, when given, shapes the Local before anything starts (AgentConfig,
// RealPods). The returned stop ends them all; call it before the control planes stop.
func StartLocal(f *testfleet.Fleet, register map[string]map[string]string, logs *LogSink, configure ...func(*Local)) (*Local, func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	l := NewLocal(f)
	l.Logs = logs
	for _, c := range configure {
		c(l)
	}
	fail := func(err error) (*Local, func(), error) {
		l.Close()
		cancel()
		return nil, nil, err
	}
	for _, m := range f.Members {
		if err := l.StartAgent(ctx, m.Name); err != nil {
			return fail(err)
		}
	}
	for name, labels := range register {
		if err := l.Register(ctx, name, labels); err != nil {
			return fail(err)
		}
	}
	if err := l.StartHub(ctx); err != nil {
		return fail(err)
	}
	l.ctx = ctx
	return l, func() { l.Close(); cancel() }, nil
}

// Context is the fleet's lifetime context, for restarting the hub or agents from a test.
func (l *Local) Context() context.Context { return l.ctx }
