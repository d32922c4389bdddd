package tasks

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/kube"
	"github.com/sei-protocol/sei-fleet/planner"
)

// ensureDataPVC creates the node's data volume if it is absent. An existing claim is left alone: its
// data is the node's state, and most of a claim's spec cannot change anyway.
func ensureDataPVC(ctx context.Context, env *Env) (planner.Result, error) {
	pvc, err := resources.BuildDataPVC(env.Node, env.Config)
	if err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	existing := &corev1.PersistentVolumeClaim{}
	err = env.Client.Get(ctx, client.ObjectKeyFromObject(pvc), existing)
	if err == nil {
		return planner.Done()
	}
	if !apierrors.IsNotFound(err) {
		return planner.Result{}, fmt.Errorf("get PersistentVolumeClaim %s: %w", client.ObjectKeyFromObject(pvc), err)
	}
	if err := env.Client.Create(ctx, pvc); err != nil && !apierrors.IsAlreadyExists(err) {
		return planner.Result{}, fmt.Errorf("create PersistentVolumeClaim %s: %w", client.ObjectKeyFromObject(pvc), err)
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
func resolveP2PAddress(ctx context.Context, env *Env) (planner.Result, error) {
	node := env.Node
	if node.Spec.ExternalAddress != "" {
		node.Status.P2PAddress = node.Spec.ExternalAddress
		return planner.Done()
	}
	svc := &corev1.Service{}
	key := client.ObjectKey{Namespace: node.Namespace, Name: resources.P2PServiceName(node)}
	if err := env.Client.Get(ctx, key, svc); err != nil {
		if apierrors.IsNotFound(err) {
			return planner.Running(2 * time.Second)
		}
		return planner.Result{}, fmt.Errorf("get P2P Service %s: %w", key, err)
	}
	switch svc.Spec.Type {
	case corev1.ServiceTypeLoadBalancer:
		for _, ing := range svc.Status.LoadBalancer.Ingress {
			host := ing.IP
			if host == "" {
				host = ing.Hostname
			}
			if host != "" {
				node.Status.P2PAddress = net.JoinHostPort(host, strconv.Itoa(resources.PortP2P))
				return planner.Done()
			}
		}
		return planner.Running(10 * time.Second) // the load balancer is still being provisioned
	case corev1.ServiceTypeNodePort:
		addr, err := nodePortAddress(ctx, env, svc)
		if err != nil || addr == "" {
			return planner.Running(10 * time.Second)
		}
		node.Status.P2PAddress = addr
		return planner.Done()
	default:
		return planner.Result{}, planner.Terminalf("P2P Service %s has type %s; want LoadBalancer or NodePort", key, svc.Spec.Type)
	}
}

// nodePortAddress prefers the Kubernetes node running the pod, else the first node by name that has an
// address of the configured type: with the Service's default (Cluster) traffic policy every node
// forwards its node port to the pod.
func nodePortAddress(ctx context.Context, env *Env, svc *corev1.Service) (string, error) {
	var port int32
	for _, p := range svc.Spec.Ports {
		if p.Port == resources.PortP2P {
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
