package testfleet

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// Simulator plays, for one envtest cluster, the parts of Kubernetes envtest does not run: the
// StatefulSet controller and the kubelet (one pod per replica, at the revision it was created with,
// replaced only when deleted — OnDelete semantics — and reported ready), and a load-balancer
// controller (an ingress IP for every LoadBalancer Service). Deterministic enough for tests, faithful
// enough that an agent's replace-pod and await-rollout logic is really exercised.
type Simulator struct {
	// Client reaches the cluster; SetClient replaces it (after an apiserver restart).
	Client client.Client
	// Interval between passes (default 100ms).
	Interval time.Duration
	// LoadBalancerIP gives a LoadBalancer Service its ingress IP (default: 127.0.0.1).
	LoadBalancerIP func(svc *corev1.Service) string

	mu       sync.Mutex
	notReady map[string]bool // namespace/name of StatefulSets held not ready
}

// SetClient replaces the client, for a cluster whose apiserver came back with new credentials.
func (s *Simulator) SetClient(c client.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Client = c
}

func (s *Simulator) client() client.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Client
}

// HoldNotReady keeps a StatefulSet's pod unready until Release (a node that never syncs).
func (s *Simulator) HoldNotReady(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.notReady == nil {
		s.notReady = map[string]bool{}
	}
	s.notReady[namespace+"/"+name] = true
}

// Release undoes HoldNotReady.
func (s *Simulator) Release(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.notReady, namespace+"/"+name)
}

// Run simulates until ctx ends. Errors of one pass are retried on the next (the apiserver may be
// paused or stopped by the test).
func (s *Simulator) Run(ctx context.Context) {
	interval := s.Interval
	if interval == 0 {
		interval = 100 * time.Millisecond
	}
	wait.NonSlidingUntilWithContext(ctx, func(ctx context.Context) { _ = s.Pass(ctx) }, interval)
}

// SimulatedNode is the one Kubernetes Node a simulated cluster has; its addresses are loopback, so a
// NodePort address the agent derives from it is reachable from the test.
const SimulatedNode = "sim-node-0"

// Pass runs one simulation pass.
func (s *Simulator) Pass(ctx context.Context) error {
	if err := s.ensureNode(ctx); err != nil {
		return err
	}
	sets := &appsv1.StatefulSetList{}
	if err := s.client().List(ctx, sets); err != nil {
		return fmt.Errorf("list StatefulSets: %w", err)
	}
	if err := each(len(sets.Items), func(i int) error { return s.statefulSet(ctx, &sets.Items[i]) }); err != nil {
		return err
	}
	if err := s.collectOrphanPods(ctx, sets); err != nil {
		return err
	}
	svcs := &corev1.ServiceList{}
	if err := s.client().List(ctx, svcs); err != nil {
		return fmt.Errorf("list Services: %w", err)
	}
	return each(len(svcs.Items), func(i int) error { return s.loadBalancer(ctx, &svcs.Items[i]) })
}

// passWorkers is how many objects a pass handles at once, as kube-controller-manager's workers and
// every kubelet work side by side: one at a time, a pass over a member's tens of StatefulSets took
// seconds on a loaded machine, and every node there waited that long for its pod.
const passWorkers = 8

// each runs do for 0..n-1, passWorkers at a time, and returns every error.
func each(n int, do func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, passWorkers)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = do(i)
		})
	}
	wg.Wait()
	return aggregate.Join(errs...)
}

func (s *Simulator) statefulSet(ctx context.Context, sts *appsv1.StatefulSet) error {
	if !sts.DeletionTimestamp.IsZero() {
		return nil
	}
	replicas := int32(1)
	if sts.Spec.Replicas != nil {
		replicas = *sts.Spec.Replicas
	}
	updateRevision := fmt.Sprintf("%s-%d", sts.Name, sts.Generation)
	podName := sts.Name + "-0"
	pod := &corev1.Pod{}
	err := s.client().Get(ctx, client.ObjectKey{Namespace: sts.Namespace, Name: podName}, pod)
	switch {
	case apierrors.IsNotFound(err) && replicas > 0:
		pod = &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: sts.Namespace, Name: podName, Labels: map[string]string{}},
			Spec:       *sts.Spec.Template.Spec.DeepCopy(),
		}
		for k, v := range sts.Spec.Template.Labels {
			pod.Labels[k] = v
		}
		pod.Labels[appsv1.StatefulSetRevisionLabel] = updateRevision
		pod.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(sts, appsv1.SchemeGroupVersion.WithKind("StatefulSet"))}
		if err := s.client().Create(ctx, pod); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create pod %s/%s: %w", sts.Namespace, podName, err)
		}
	case err == nil && replicas == 0:
		if err := s.client().Delete(ctx, pod); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete pod %s/%s: %w", sts.Namespace, podName, err)
		}
		pod = nil
	case apierrors.IsNotFound(err):
		pod = nil
	case err != nil:
		return fmt.Errorf("get pod %s/%s: %w", sts.Namespace, podName, err)
	}

	s.mu.Lock()
	held := s.notReady[sts.Namespace+"/"+sts.Name]
	s.mu.Unlock()
	status := appsv1.StatefulSetStatus{
		ObservedGeneration: sts.Generation,
		UpdateRevision:     updateRevision,
		CurrentRevision:    updateRevision,
		CollisionCount:     sts.Status.CollisionCount,
	}
	if pod != nil && pod.Name != "" {
		rev := pod.Labels[appsv1.StatefulSetRevisionLabel]
		status.Replicas, status.CurrentReplicas = 1, 1
		status.CurrentRevision = rev
		if sts.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType && sts.Status.CurrentRevision != "" {
			// As kube-controller-manager does: only a RollingUpdate advances currentRevision.
			status.CurrentRevision = sts.Status.CurrentRevision
		}
		if rev == updateRevision {
			status.UpdatedReplicas = 1
		}
		if !held {
			status.ReadyReplicas, status.AvailableReplicas = 1, 1
		}
	}
	if equality.Semantic.DeepEqual(status, sts.Status) {
		return nil
	}
	sts.Status = status
	if err := s.client().Status().Update(ctx, sts); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return fmt.Errorf("update status of StatefulSet %s/%s: %w", sts.Namespace, sts.Name, err)
	}
	return nil
}

// collectOrphanPods deletes pods whose StatefulSet is gone, as the garbage collector would.
func (s *Simulator) collectOrphanPods(ctx context.Context, sets *appsv1.StatefulSetList) error {
	live := map[string]bool{}
	for _, sts := range sets.Items {
		live[string(sts.UID)] = true
	}
	pods := &corev1.PodList{}
	if err := s.client().List(ctx, pods); err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		owner := metav1.GetControllerOf(pod)
		if owner == nil || owner.Kind != "StatefulSet" || live[string(owner.UID)] {
			continue
		}
		if err := s.client().Delete(ctx, pod); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("collect pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
	}
	return nil
}

func (s *Simulator) ensureNode(ctx context.Context) error {
	n := &corev1.Node{}
	err := s.client().Get(ctx, client.ObjectKey{Name: SimulatedNode}, n)
	if apierrors.IsNotFound(err) {
		n = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: SimulatedNode}}
		if err := s.client().Create(ctx, n); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", SimulatedNode, err)
		}
	} else if err != nil {
		return fmt.Errorf("get node %s: %w", SimulatedNode, err)
	}
	if len(n.Status.Addresses) > 0 {
		return nil
	}
	n.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeInternalIP, Address: "127.0.0.1"},
		{Type: corev1.NodeExternalIP, Address: "127.0.0.1"},
		{Type: corev1.NodeHostName, Address: SimulatedNode},
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	if err := s.client().Status().Update(ctx, n); err != nil && !apierrors.IsConflict(err) {
		return fmt.Errorf("set addresses of node %s: %w", SimulatedNode, err)
	}
	return nil
}

func (s *Simulator) loadBalancer(ctx context.Context, svc *corev1.Service) error {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || len(svc.Status.LoadBalancer.Ingress) > 0 {
		return nil
	}
	ip := "127.0.0.1"
	if s.LoadBalancerIP != nil {
		ip = s.LoadBalancerIP(svc)
	}
	if net.ParseIP(ip) == nil {
		return fmt.Errorf("load balancer IP %q for Service %s/%s is not an IP", ip, svc.Namespace, svc.Name)
	}
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	if err := s.client().Status().Update(ctx, svc); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return fmt.Errorf("set load balancer ingress of Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}
