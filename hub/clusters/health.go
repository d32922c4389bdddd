package clusters

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Health reasons: why a registered cluster is unhealthy.
const (
	ReasonHealthy                  = "Healthy"
	ReasonNotEngaged               = "NotEngaged"
	ReasonAPIUnreachable           = "APIUnreachable"
	ReasonNoAgentHeartbeat         = "NoAgentHeartbeat"
	ReasonAgentHeartbeatStale      = "AgentHeartbeatStale"
	ReasonHeartbeatClusterMismatch = "HeartbeatClusterMismatch"
	ReasonIdentityChanged          = "IdentityChanged"
	ReasonOCMUnavailable           = "OCMUnavailable"
	ReasonTainted                  = "Tainted"
)

// Health is the hub's view of one registered cluster.
type Health struct {
	Name   string
	Labels map[string]string
	// Engaged: the hub holds a client for the cluster.
	Engaged bool
	// APIReachable: the last probe read the cluster's API (its heartbeat Lease, or that there is none).
	// False while it does not answer, whatever other verdict Reason reports first: what the hub's
	// caches hold of the cluster is then not known to be current.
	APIReachable bool
	// Pending: the hub has not tried to engage the cluster yet in this run (it just started), so the
	// verdict says nothing about the cluster: no validator is fenced for it.
	Pending bool
	Healthy bool
	Reason  string
	Message string
	// LastHeartbeat is the agent's last Lease renewal, when the Lease could be read.
	LastHeartbeat *time.Time
	// UnhealthySince is when the cluster was first seen unhealthy in this run of the hub.
	UnhealthySince *time.Time
}

// Monitor probes every registered cluster on an interval. It is a manager Runnable.
type Monitor struct {
	Provider *Provider
	// Hub reads ManagedClusters (a cached client is fine).
	Hub client.Client
	// Interval between probe rounds (default 10s).
	Interval time.Duration
	// ProbeTimeout bounds each cluster's probe (default 5s).
	ProbeTimeout time.Duration
	// HeartbeatNamespace is where agents keep their heartbeat Lease.
	HeartbeatNamespace string
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu          sync.RWMutex
	state       map[string]Health
	subscribers []chan event.GenericEvent
}

// NeedLeaderElection: only the leader's view matters, and probing is not free.
func (m *Monitor) NeedLeaderElection() bool { return true }

// Start probes until ctx ends.
func (m *Monitor) Start(ctx context.Context) error {
	interval := m.Interval
	if interval == 0 {
		interval = 10 * time.Second
	}
	wait.NonSlidingUntilWithContext(ctx, m.ProbeAll, interval)
	return nil
}

// Subscribe returns a channel that receives an event naming a cluster (as a ManagedCluster) whenever
// its health changes. Call before the manager starts; use it with source.Channel.
func (m *Monitor) Subscribe() <-chan event.GenericEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan event.GenericEvent, 256)
	m.subscribers = append(m.subscribers, ch)
	return ch
}

// Snapshot returns every registered cluster's health, sorted by name.
func (m *Monitor) Snapshot() []Health {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Health, 0, len(m.state))
	for _, h := range m.state {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns one cluster's health.
func (m *Monitor) Get(name string) (Health, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	h, ok := m.state[name]
	return h, ok
}

// ProbeAll runs one probe round over every ManagedCluster, in parallel.
func (m *Monitor) ProbeAll(ctx context.Context) {
	list := &clusterv1.ManagedClusterList{}
	if err := m.Hub.List(ctx, list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "List ManagedClusters for health probes")
		return
	}
	results := make([]Health, len(list.Items))
	var wg sync.WaitGroup
	for i := range list.Items {
		wg.Go(func() { results[i] = m.probe(ctx, &list.Items[i]) })
	}
	wg.Wait()
	m.record(results)
}

func (m *Monitor) probe(ctx context.Context, mc *clusterv1.ManagedCluster) Health {
	h := Health{Name: mc.Name, Labels: mc.Labels}
	if !mc.Spec.HubAcceptsClient {
		return unhealthy(h, ReasonNotEngaged, "the hub has not accepted the cluster")
	}
	if reason, msg := ocmVerdict(mc); reason != "" {
		h = unhealthy(h, reason, msg)
	}
	cl, err := m.Provider.Get(ctx, multicluster.ClusterName(mc.Name))
	if err != nil {
		why := m.Provider.NotEngagedError(mc.Name)
		if IsIdentityChanged(why) {
			// It overrides OCM's verdict: this one needs an admin whatever OCM says.
			return unhealthy(h, ReasonIdentityChanged, why.Error())
		}
		reason := "not engaged yet"
		if why != nil {
			reason = why.Error()
		} else {
			h.Pending = true
		}
		if h.Reason == "" {
			h = unhealthy(h, ReasonNotEngaged, reason)
		}
		return h
	}
	h.Engaged = true
	timeout := m.ProbeTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	probeCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The endpoint may reach another cluster now without any Secret change (DNS, a load balancer, a
	// rebuilt cluster behind the same address): re-read its identity on every probe. A change
	// disengages the cluster.
	if _, err := m.Provider.verifyPin(probeCtx, mc.Name); err != nil {
		if IsIdentityChanged(err) {
			h.Engaged = false
			return unhealthy(h, ReasonIdentityChanged, err.Error())
		}
		return keepFirst(h, ReasonAPIUnreachable, err.Error())
	}
	lease := &coordinationv1.Lease{}
	key := types.NamespacedName{Namespace: m.heartbeatNamespace(), Name: seiv1alpha1.AgentHeartbeatLease}
	err = cl.GetAPIReader().Get(probeCtx, key, lease)
	h.APIReachable = err == nil || apierrors.IsNotFound(err)
	switch {
	case apierrors.IsNotFound(err):
		return keepFirst(h, ReasonNoAgentHeartbeat, fmt.Sprintf("no agent heartbeat Lease %s: is the sei-fleet agent running there?", key))
	case err != nil:
		return keepFirst(h, ReasonAPIUnreachable, fmt.Sprintf("read heartbeat Lease %s: %v", key, err))
	}
	if lease.Spec.RenewTime != nil {
		t := lease.Spec.RenewTime.Time
		h.LastHeartbeat = &t
	}
	holder := ""
	if lease.Spec.HolderIdentity != nil {
		holder = *lease.Spec.HolderIdentity
	}
	if holder != mc.Name {
		return keepFirst(h, ReasonHeartbeatClusterMismatch, fmt.Sprintf(
			"the agent reached through this kubeconfig says it runs in cluster %q, not %q: the kubeconfig Secret points at the wrong cluster", holder, mc.Name))
	}
	if stale, age := m.stale(lease); stale {
		return keepFirst(h, ReasonAgentHeartbeatStale, fmt.Sprintf("agent heartbeat last renewed %s ago", age.Round(time.Second)))
	}
	if h.Reason == "" {
		h.Healthy, h.Reason = true, ReasonHealthy
	}
	return h
}

// stale reports whether the Lease has not been renewed within its own duration.
func (m *Monitor) stale(l *coordinationv1.Lease) (bool, time.Duration) {
	if l.Spec.RenewTime == nil {
		return true, 0
	}
	d := 40 * time.Second
	if l.Spec.LeaseDurationSeconds != nil {
		d = time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
	}
	age := m.now().Sub(l.Spec.RenewTime.Time)
	return age > d, age
}

// ocmVerdict reads OCM's own judgement: the Available condition (when OCM's registration agent sets
// it) and NoSelect taints (unavailable, unreachable, or an admin's).
func ocmVerdict(mc *clusterv1.ManagedCluster) (string, string) {
	if c := meta.FindStatusCondition(mc.Status.Conditions, clusterv1.ManagedClusterConditionAvailable); c != nil && c.Status != metav1.ConditionTrue {
		return ReasonOCMUnavailable, fmt.Sprintf("OCM reports the cluster %s: %s", availability(c.Status), c.Message)
	}
	for _, t := range mc.Spec.Taints {
		if t.Effect == clusterv1.TaintEffectNoSelect {
			return ReasonTainted, fmt.Sprintf("the cluster has taint %s=%s:%s", t.Key, t.Value, t.Effect)
		}
	}
	return "", ""
}

func availability(s metav1.ConditionStatus) string {
	if s == metav1.ConditionFalse {
		return "unavailable"
	}
	return "unreachable"
}

func unhealthy(h Health, reason, msg string) Health {
	h.Healthy, h.Reason, h.Message = false, reason, msg
	return h
}

// keepFirst marks h unhealthy unless an earlier, more basic verdict already did.
func keepFirst(h Health, reason, msg string) Health {
	if h.Reason != "" && h.Reason != ReasonHealthy {
		return h
	}
	return unhealthy(h, reason, msg)
}

// record stores a probe round, carries UnhealthySince over, and notifies subscribers of changes.
func (m *Monitor) record(results []Health) {
	now := m.now()
	m.mu.Lock()
	next := make(map[string]Health, len(results))
	var changed []string
	for _, h := range results {
		prev, seen := m.state[h.Name]
		if !h.Healthy {
			since := now
			if seen && !prev.Healthy && prev.UnhealthySince != nil {
				since = *prev.UnhealthySince
			}
			h.UnhealthySince = &since
		}
		if !seen || prev.Healthy != h.Healthy || prev.Reason != h.Reason || prev.Engaged != h.Engaged || prev.APIReachable != h.APIReachable {
			changed = append(changed, h.Name)
		}
		next[h.Name] = h
	}
	for name := range m.state {
		if _, ok := next[name]; !ok {
			changed = append(changed, name)
		}
	}
	m.state = next
	subs := append([]chan event.GenericEvent(nil), m.subscribers...)
	m.mu.Unlock()
	for _, name := range changed {
		ev := event.GenericEvent{Object: &clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: name}}}
		for _, ch := range subs {
			select {
			case ch <- ev:
			default: // a full channel already holds a pending wake-up; controllers resync anyway
			}
		}
	}
}

func (m *Monitor) heartbeatNamespace() string {
	if m.HeartbeatNamespace != "" {
		return m.HeartbeatNamespace
	}
	return seiv1alpha1.DefaultSystemNamespace
}

func (m *Monitor) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}
