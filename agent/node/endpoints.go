package node

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// podIPUnknown is the host a node's endpoints get, in PodIP mode, while its pod has no address: the
// .invalid domain never resolves (RFC 2606), so a call fails at once and the plan retries it.
const podIPUnknown = "pod-ip-unknown.invalid"

// podHost is where the agent reaches node's pod: its DNS name in the headless Service, or with
// nodeEndpoints PodIP (clusters without cluster DNS, such as the local data plane) the address in the
// cached pod's status. A restarted pod's new address is picked up on the next reconcile.
func (r *Reconciler) podHost(node *seiv1alpha1.SeiNode) string {
	if r.Config.NodeEndpoints != config.EndpointsPodIP {
		return resources.PodDNSName(node, r.Config)
	}
	// A cache read: it never leaves the process, the bound is only a guard.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var pod corev1.Pod
	// A terminating pod's address still answers, but it is not the node's pod any more.
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: node.Namespace, Name: resources.PodName(node)}, &pod); err != nil ||
		pod.Status.PodIP == "" || !pod.DeletionTimestamp.IsZero() {
		return podIPUnknown
	}
	return pod.Status.PodIP
}
