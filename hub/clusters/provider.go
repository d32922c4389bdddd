package clusters

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/cluster"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	mcmanager "sigs.k8s.io/multicluster-runtime/pkg/manager"
	"sigs.k8s.io/multicluster-runtime/pkg/multicluster"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// The provider pins each member's identity on its ManagedCluster (patch).
// +kubebuilder:rbac:groups=cluster.open-cluster-management.io,resources=managedclusters,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch,namespace=sei-fleet-system
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get

var _ multicluster.Provider = &Provider{}

// Options configure a Provider.
type Options struct {
	// Namespace holds the member kubeconfig Secrets (the hub's own namespace).
	Namespace string
	// Scheme is given to every member cluster's client; it must know SeiNode.
	Scheme *runtime.Scheme
	// ClientTimeout bounds every request to a member but watches; without one a hung member hangs the hub.
	ClientTimeout time.Duration
	// Resync re-checks every registration this often, re-engaging whatever went missing.
	Resync time.Duration
	// ClusterOptions are applied to every member cluster (cache restrictions, for example).
	ClusterOptions []cluster.Option
	// NewCluster builds a member cluster; default cluster.New.
	NewCluster func(cfg *rest.Config, opts ...cluster.Option) (cluster.Cluster, error)
	// Workers is how many clusters are (re-)engaged at once (default 4). An unreachable member holds
	// one worker for up to ClientTimeout per attempt; the others keep engaging the rest.
	Workers int
	// HeartbeatNamespace is where agents keep their heartbeat Lease on members (VerifyIdentity reads
	// it); default sei-fleet-system.
	HeartbeatNamespace string
	// QPS and Burst rate-limit the hub's requests to each member; every member gets its own limiter,
	// shared by all its clients. Zero keeps client-go's defaults.
	QPS   float64
	Burst int
	// HubID is the hub's own identity, the UID of its kube-system namespace (read from the hub when
	// empty). A member with the same identity is the hub itself and is refused.
	HubID types.UID
}

func (o *Options) setDefaults() {
	if o.Namespace == "" {
		o.Namespace = seiv1alpha1.DefaultSystemNamespace
	}
	if o.ClientTimeout == 0 {
		o.ClientTimeout = 10 * time.Second
	}
	if o.Resync == 0 {
		o.Resync = 30 * time.Second
	}
	if o.NewCluster == nil {
		o.NewCluster = cluster.New
	}
	if o.Workers == 0 {
		o.Workers = 4
	}
	if o.HeartbeatNamespace == "" {
		o.HeartbeatNamespace = seiv1alpha1.DefaultSystemNamespace
	}
}

// Provider engages the hub's member clusters. See the package documentation.
type Provider struct {
	opts Options
	log  logr.Logger

	mu       sync.RWMutex
	members  map[multicluster.ClusterName]*member
	indexers []index
	// refused records, per cluster, why it is registered but not engaged.
	refused map[string]error

	mgr     mcmanager.Manager
	hub     client.Client
	ctx     context.Context // the clusters' lifetime: the provider's, not a reconcile's
	hubUID  types.UID       // the hub's kube-system namespace UID, to recognise the hub as a member; under mu
	changed func(name string)
}

// New returns a Provider; call SetupWithManager before the manager starts.
func New(opts Options) *Provider {
	opts.setDefaults()
	return &Provider{
		opts:    opts,
		log:     ctrl.Log.WithName("cluster-provider"),
		members: map[multicluster.ClusterName]*member{},
		refused: map[string]error{},
		hubUID:  opts.HubID,
	}
}

// KubeconfigSecretName is the name of the Secret holding cluster's kubeconfig.
func KubeconfigSecretName(cluster string) string {
	return cluster + seiv1alpha1.KubeconfigSecretSuffix
}

// SetupWithManager registers the provider's controller on the hub. ctx bounds the life of every
// engaged cluster.
func (p *Provider) SetupWithManager(ctx context.Context, mgr mcmanager.Manager) error {
	if mgr == nil {
		return errors.New("cluster provider needs a manager")
	}
	p.mgr, p.ctx, p.hub = mgr, ctx, mgr.GetLocalManager().GetClient()
	secretToCluster := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		name, ok := clusterForSecret(o.GetName())
		if !ok || o.GetNamespace() != p.opts.Namespace {
			return nil
		}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: name}}}
	})
	return ctrl.NewControllerManagedBy(mgr.GetLocalManager()).
		Named("cluster-provider").
		For(&clusterv1.ManagedCluster{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: p.opts.Workers}).
		Watches(&corev1.Secret{}, secretToCluster, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return o.GetNamespace() == p.opts.Namespace
		}))).
		Complete(p)
}

func clusterForSecret(secret string) (string, bool) {
	n := len(secret) - len(seiv1alpha1.KubeconfigSecretSuffix)
	if n <= 0 || secret[n:] != seiv1alpha1.KubeconfigSecretSuffix {
		return "", false
	}
	return secret[:n], true
}

// OnChange registers fn, called with a cluster's name whenever it is engaged, re-engaged or
// disengaged. fn may run on several goroutines at once (for different clusters) and should not block.
// Call before the manager starts.
func (p *Provider) OnChange(fn func(name string)) { p.changed = fn }

// Reconcile engages, re-engages or disengages one ManagedCluster.
func (p *Provider) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	name := req.Name
	log := p.log.WithValues("cluster", name)
	mc := &clusterv1.ManagedCluster{}
	if err := p.hub.Get(ctx, types.NamespacedName{Name: name}, mc); err != nil {
		if apierrors.IsNotFound(err) {
			p.disengage(name, nil)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, fmt.Errorf("get ManagedCluster %s: %w", name, err)
	}
	if !mc.DeletionTimestamp.IsZero() {
		p.disengage(name, errors.New("ManagedCluster is being deleted"))
		return reconcile.Result{}, nil
	}
	if !mc.Spec.HubAcceptsClient {
		p.disengage(name, errors.New("the hub has not accepted the cluster (spec.hubAcceptsClient is false)"))
		return reconcile.Result{RequeueAfter: p.opts.Resync}, nil
	}
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: p.opts.Namespace, Name: KubeconfigSecretName(name)}
	if err := p.hub.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			p.disengage(name, fmt.Errorf("no kubeconfig Secret %s", key))
			return reconcile.Result{RequeueAfter: p.opts.Resync}, nil
		}
		return reconcile.Result{}, fmt.Errorf("get kubeconfig Secret %s: %w", key, err)
	}
	raw := secret.Data[seiv1alpha1.KubeconfigSecretKey]
	if len(raw) == 0 {
		p.disengage(name, fmt.Errorf("kubeconfig Secret %s has no %q key", key, seiv1alpha1.KubeconfigSecretKey))
		return reconcile.Result{RequeueAfter: p.opts.Resync}, nil
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])
	// Same kubeconfig, same pin: nothing to do. A pin removed by an admin is set again by engaging
	// anew, which re-reads the cluster's identity.
	if m := p.member(multicluster.ClusterName(name)); m != nil && m.hash == hash &&
		mc.Annotations[seiv1alpha1.AnnotationClusterIdentity] == string(m.identity) {
		return reconcile.Result{RequeueAfter: p.opts.Resync}, nil
	}
	if err := p.engage(ctx, mc, raw, hash); err != nil {
		// The Secret is the truth: an instance built from an earlier kubeconfig goes too, so the hub
		// never keeps writing to a cluster the Secret no longer names.
		log.Info("Cluster not engaged", "reason", err.Error())
		p.disengage(name, err)
		if IsIdentityChanged(err) {
			// Not transient: it waits for the Secret or the pin to change (both watched) or the resync.
			return reconcile.Result{RequeueAfter: p.opts.Resync}, nil
		}
		return reconcile.Result{}, err
	}
	log.Info("Engaged member cluster")
	return reconcile.Result{RequeueAfter: p.opts.Resync}, nil
}

func (p *Provider) engage(ctx context.Context, mc *clusterv1.ManagedCluster, kubeconfig []byte, hash string) error {
	name := mc.Name
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		return fmt.Errorf("parse kubeconfig of cluster %s: %w", name, err)
	}
	withRequestTimeout(cfg, p.opts.ClientTimeout)
	p.withRateLimit(cfg)
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("build client for cluster %s: %w", name, err)
	}
	identity, err := p.identify(ctx, name, clientset)
	if err != nil {
		return err
	}
	if err := p.pin(ctx, mc, identity); err != nil {
		return err
	}
	opts := append([]cluster.Option{func(o *cluster.Options) { o.Scheme = p.opts.Scheme }}, p.opts.ClusterOptions...)
	cl, err := p.opts.NewCluster(cfg, opts...)
	if err != nil {
		return fmt.Errorf("build client for cluster %s: %w", name, err)
	}
	p.mu.RLock()
	indexers := append([]index(nil), p.indexers...)
	p.mu.RUnlock()
	for _, idx := range indexers {
		if err := cl.GetFieldIndexer().IndexField(ctx, idx.obj, idx.field, idx.extract); err != nil {
			return fmt.Errorf("index %s on cluster %s: %w", idx.field, name, err)
		}
	}

	// Replace whatever instance was there in one step, so Get never reports the cluster missing.
	clusterCtx, cancel := context.WithCancel(p.ctx)
	m := &member{cluster: cl, cancel: cancel, hash: hash, identity: identity, clientset: clientset}
	p.mu.Lock()
	old := p.members[multicluster.ClusterName(name)]
	p.members[multicluster.ClusterName(name)] = m
	delete(p.refused, name)
	p.mu.Unlock()
	if old != nil {
		old.cancel()
	}
	go func() {
		var reason error
		if err := cl.Start(clusterCtx); err != nil {
			p.log.Error(err, "Member cluster stopped", "cluster", name)
			reason = fmt.Errorf("the client of cluster %s stopped: %w", name, err)
		}
		// Remove this instance only: a replacement may already hold the name. The next resync
		// engages the cluster again.
		p.removeIf(name, m, reason)
	}()
	if err := p.mgr.Engage(clusterCtx, multicluster.ClusterName(name), cl); err != nil {
		p.removeIf(name, m, nil)
		return fmt.Errorf("engage cluster %s: %w", name, err)
	}
	p.notify(name)
	return nil
}

// withRateLimit gives cfg a limiter of its own. Without one, client-go makes one per REST client (per
// kind, per clientset), so a member's real limit would be a multiple of QPS.
func (p *Provider) withRateLimit(cfg *rest.Config) {
	if p.opts.QPS <= 0 || p.opts.Burst <= 0 {
		return
	}
	cfg.QPS, cfg.Burst = float32(p.opts.QPS), p.opts.Burst
	cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(cfg.QPS, cfg.Burst)
}

// identify reads the identity of the cluster a kubeconfig reaches, and refuses the hub itself: the hub
// record and the member copy of a SeiNode would be one object. It is the first contact with the
// member: one request, without discovery, bounded by ClientTimeout.
func (p *Provider) identify(ctx context.Context, name string, clientset kubernetes.Interface) (types.UID, error) {
	hubUID, err := p.hubIdentity(ctx)
	if err != nil {
		return "", err
	}
	probeCtx, cancel := context.WithTimeout(ctx, p.opts.ClientTimeout)
	defer cancel()
	uid, err := ReadIdentity(probeCtx, clientset)
	if err != nil {
		return "", fmt.Errorf("reach cluster %s: %w", name, err)
	}
	if uid == hubUID {
		return "", fmt.Errorf("cluster %s is the hub itself: a hub cannot be its own member; register a separate cluster", name)
	}
	return uid, nil
}

// hubIdentity returns the UID of the hub's kube-system namespace, read once.
func (p *Provider) hubIdentity(ctx context.Context) (types.UID, error) {
	p.mu.RLock()
	uid := p.hubUID
	p.mu.RUnlock()
	if uid != "" {
		return uid, nil
	}
	ns := &corev1.Namespace{}
	if err := p.mgr.GetLocalManager().GetAPIReader().Get(ctx, types.NamespacedName{Name: metav1.NamespaceSystem}, ns); err != nil {
		return "", fmt.Errorf("read the hub's kube-system namespace: %w", err)
	}
	p.mu.Lock()
	p.hubUID = ns.UID
	p.mu.Unlock()
	return ns.UID, nil
}
