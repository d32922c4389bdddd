package tasks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/kube"
	"github.com/sei-protocol/sei-fleet/planner"
)

// ensureDataPVC creates the node's data volume if it is absent, and otherwise makes sure the claim of
// that name is the node's own before anything mounts it (resources.AdoptDataPVC): a foreign claim is
// refused, which fails the plan before a StatefulSet exists; a claim being deleted is waited out, then
// replaced. The node's own claim keeps its spec (its data is the node's state, and most of a claim's
// spec cannot change) and gets its labels and owner references put right: a validator's claim made by
// an older agent loses its owner, so it outlives the SeiNode from now on.
//
// Claims are read uncached: the agent's cache holds only objects labelled as its own, so a claim
// someone else made under the node's name would look absent, and its AlreadyExists on create looked
// like success — the node then ran on whatever that claim held.
func ensureDataPVC(ctx context.Context, env *Env) (planner.Result, error) {
	pvc, err := resources.BuildDataPVC(env.Node, env.Config)
	if err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	key := client.ObjectKeyFromObject(pvc)
	existing := &corev1.PersistentVolumeClaim{}
	err = env.Reader.Get(ctx, key, existing)
	if apierrors.IsNotFound(err) {
		ctrl.LoggerFrom(ctx).Info("Creating data PersistentVolumeClaim", "PersistentVolumeClaim", klog.KObj(pvc))
		if err := env.Client.Create(ctx, pvc); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return planner.Polling() // someone else was faster, perhaps unlabelled (not watched): judge theirs next time
			}
			return planner.Result{}, fmt.Errorf("create PersistentVolumeClaim %s: %w", key, err)
		}
		return planner.Done()
	}
	if err != nil {
		return planner.Result{}, fmt.Errorf("get PersistentVolumeClaim %s: %w", key, err)
	}
	meta, err := resources.AdoptDataPVC(env.Node, existing, env.Config)
	switch {
	case errors.Is(err, resources.ErrClaimTerminating):
		ctrl.LoggerFrom(ctx).Info("Waiting for the deleted data PersistentVolumeClaim to go before creating it again",
			"PersistentVolumeClaim", klog.KObj(existing))
		return planner.Watching() // a claim labelled for the node is watched (a foreign one waits for the fallback)
	case err != nil:
		return planner.Result{}, planner.Terminal(err)
	}
	if equality.Semantic.DeepEqual(meta.Labels, existing.Labels) && equality.Semantic.DeepEqual(meta.OwnerReferences, existing.OwnerReferences) {
		return planner.Done()
	}
	ctrl.LoggerFrom(ctx).Info("Adopting data PersistentVolumeClaim", "PersistentVolumeClaim", klog.KObj(existing),
		"reason", "labels or owner references differ from the node's")
	patched := existing.DeepCopy()
	patched.Labels, patched.OwnerReferences = meta.Labels, meta.OwnerReferences
	// The patch is conditional on the resourceVersion read: a claim changed since (deleted, relabelled)
	// is judged again rather than overwritten.
	if err := env.Client.Patch(ctx, patched, client.MergeFromWithOptions(existing, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return planner.Polling()
		}
		return planner.Result{}, fmt.Errorf("adopt PersistentVolumeClaim %s: %w", key, err)
	}
	return planner.Done()
}

// applyServices applies the headless Service (stable pod DNS, the sidecar's address) and the P2P
// Service other clusters reach the node through.
func applyServices(ctx context.Context, env *Env) (planner.Result, error) {
	headless, err := resources.BuildHeadlessService(env.Node, env.Config)
	if err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	p2p, err := resources.BuildP2PService(env.Node, env.Config)
	if err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	for _, svc := range []*corev1.Service{headless, p2p} {
		if err := kube.Apply(ctx, env.Client, env.Scheme, svc, seiv1alpha1.FieldOwnerAgent); err != nil {
			return planner.Result{}, err
		}
	}
	return planner.Done()
}

// applyStatefulSet applies the node's StatefulSet. Its update strategy is OnDelete: a changed pod
// template takes effect only when replace-pod deletes the pod, so the agent decides when a node
// restarts.
func applyStatefulSet(ctx context.Context, env *Env) (planner.Result, error) {
	// The last word before a pod exists: another validator may have claimed a key since the plan began.
	refusal, err := CheckKeyClaims(ctx, env.Client, env.Node)
	if err != nil {
		return planner.Result{}, err
	}
	if refusal != nil {
		return planner.Result{}, planner.Terminal(refusal)
	}
	sts, err := resources.BuildStatefulSet(env.Node, env.Config)
	if err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	if err := kube.Apply(ctx, env.Client, env.Scheme, sts, seiv1alpha1.FieldOwnerAgent); err != nil {
		return planner.Result{}, err
	}
	return planner.Done()
}

// resolveP2PAddress works out the host:port peers in other clusters dial, in order of precedence:
// spec.externalAddress; the P2P LoadBalancer's ingress; or, for a NodePort Service, a node address of
// the configured type plus the node port. It waits while a load balancer is still being provisioned.
// For a node that serves state sync it works out its RPC address on the same Service the same way
// (spec.externalAddress names only the P2P address).
func resolveP2PAddress(ctx context.Context, env *Env) (planner.Result, error) {
	node := env.Node
	serving := node.Spec.ServeStateSync != nil
	if !serving {
		node.Status.RPCAddress = ""
	}
	if node.Spec.ExternalAddress != "" && !serving {
		node.Status.P2PAddress = node.Spec.ExternalAddress
		return planner.Done()
	}
	svc := &corev1.Service{}
	key := client.ObjectKey{Namespace: node.Namespace, Name: resources.P2PServiceName(node)}
	if err := env.Client.Get(ctx, key, svc); err != nil {
		if apierrors.IsNotFound(err) {
			return planner.Watching() // the node's own Service: its creation wakes the node
		}
		return planner.Result{}, fmt.Errorf("get P2P Service %s: %w", key, err)
	}
	var p2p, rpc string
	switch svc.Spec.Type {
	case corev1.ServiceTypeLoadBalancer:
		host := loadBalancerHost(svc)
		if host == "" {
			return planner.Watching() // the load balancer is still being provisioned; its ingress wakes the node
		}
		p2p = net.JoinHostPort(host, strconv.Itoa(resources.PortP2P))
		rpc = net.JoinHostPort(host, strconv.Itoa(resources.PortRPC))
	case corev1.ServiceTypeNodePort:
		var err error
		if p2p, err = nodePortAddress(ctx, env, svc, resources.PortP2P); err != nil || p2p == "" {
			return planner.Polling() // Kubernetes nodes' addresses are not watched
		}
		if serving {
			if rpc, err = nodePortAddress(ctx, env, svc, resources.PortRPC); err != nil || rpc == "" {
				return planner.Polling() // the Service has no RPC node port yet
			}
		}
	default:
		return planner.Result{}, planner.Terminalf("P2P Service %s has type %s; want LoadBalancer or NodePort", key, svc.Spec.Type)
	}
	node.Status.P2PAddress = p2p
	if node.Spec.ExternalAddress != "" {
		node.Status.P2PAddress = node.Spec.ExternalAddress
	}
	if serving {
		node.Status.RPCAddress = rpc
	}
	return planner.Done()
}

// loadBalancerHost is the first address of a LoadBalancer Service's ingress, or "".
func loadBalancerHost(svc *corev1.Service) string {
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ing.IP != "" {
			return ing.IP
		}
		if ing.Hostname != "" {
			return ing.Hostname
		}
	}
	return ""
}

// nodePortAddress prefers the Kubernetes node running the pod, else the first node by name that has an
// address of the configured type: with the Service's default (Cluster) traffic policy every node
// forwards its node port to the pod.
func nodePortAddress(ctx context.Context, env *Env, svc *corev1.Service, servicePort int32) (string, error) {
	var port int32
	for _, p := range svc.Spec.Ports {
		if p.Port == servicePort {
			port = p.NodePort
		}
	}
	if port == 0 {
		return "", nil
	}
	want := corev1.NodeExternalIP
	if env.Config.P2P.NodeAddressType == config.NodeAddressInternalIP {
		want = corev1.NodeInternalIP
	}
	nodes := &corev1.NodeList{}
	if err := env.Client.List(ctx, nodes); err != nil {
		return "", fmt.Errorf("list nodes: %w", err)
	}
	sort.Slice(nodes.Items, func(i, j int) bool { return nodes.Items[i].Name < nodes.Items[j].Name })
	podNode := ""
	pod := &corev1.Pod{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: env.Node.Namespace, Name: resources.PodName(env.Node)}, pod); err == nil {
		podNode = pod.Spec.NodeName
	}
	best := ""
	for _, n := range nodes.Items {
		for _, a := range n.Status.Addresses {
			if a.Type != want || a.Address == "" {
				continue
			}
			hostPort := net.JoinHostPort(a.Address, strconv.Itoa(int(port)))
			if n.Name == podNode {
				return hostPort, nil
			}
			if best == "" {
				best = hostPort
			}
		}
	}
	return best, nil
}
