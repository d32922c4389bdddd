package node

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/kube"
)

// The kubelet's Lease; the agent reads only these, in kube-node-lease.
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get,namespace=kube-node-lease

// fenceRecheck is how often a fence waiting for its kubelet's proof looks again (a kubelet renews its
// Lease every 10s by default).
const fenceRecheck = 3 * time.Second

// noLease is AnnotationFenceLeaseRenewTime's value when the Node had no kubelet Lease.
const noLease = "none"

// fence handles a deleted node: it deletes the StatefulSet, waits until the pod is gone, and then
// releases the finalizer only with proof that the pod's containers stopped. The pod object being gone
// is not that proof: a force delete, or the pod garbage collector after its Node object was deleted,
// removes it while a kubelet cut off from the API server may still run seid. The proof is the kubelet
// of the Kubernetes Node the pod was last seen on renewing its Lease after the agent saw the pod gone
// (it is connected, and has seen the pod's removal), with that Node Ready; or an admin's explicit
// confirmation (AnnotationConfirmPodStopped). A pod never seen bound to a Node never ran. Key Secrets
// stay: a validator's identity outlives its node.
func (r *Reconciler) fence(ctx context.Context, node *seiv1alpha1.SeiNode) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(node, FinalizerAgent) {
		return ctrl.Result{}, nil
	}
	if err := r.keepValidatorData(ctx, node); err != nil {
		return ctrl.Result{}, err
	}
	if node.Status.Phase != seiv1alpha1.NodeTerminating {
		before := node.DeepCopy()
		setPhase(node, seiv1alpha1.NodeTerminating, r.now())
		setCondition(node, seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonNotRunning, "the node is being deleted")
		if _, err := kube.PatchStatus(ctx, r.Client, before, node, nodeStatus); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}
	podKey := client.ObjectKey{Namespace: node.Namespace, Name: resources.PodName(node)}
	pod := &corev1.Pod{}
	podErr := r.APIReader.Get(ctx, podKey, pod)
	if podErr != nil && !apierrors.IsNotFound(podErr) {
		return ctrl.Result{}, fmt.Errorf("get pod %s: %w", podKey, podErr)
	}
	if podErr == nil {
		// Its last Node is whose kubelet must confirm it stopped.
		if err := r.recordPodNodeOf(ctx, node, pod); err != nil {
			return ctrl.Result{}, err
		}
	}
	sts := &appsv1.StatefulSet{}
	key := client.ObjectKey{Namespace: node.Namespace, Name: resources.StatefulSetName(node)}
	if err := r.Client.Get(ctx, key, sts); err == nil {
		if sts.DeletionTimestamp.IsZero() {
			ctrl.LoggerFrom(ctx).Info("Deleting StatefulSet of deleted node")
			if err := r.Client.Delete(ctx, sts, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
				return ctrl.Result{}, fmt.Errorf("delete StatefulSet %s: %w", key, err)
			}
		}
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	} else if !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("get StatefulSet %s: %w", key, err)
	}
	if podErr == nil {
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil // still terminating
	}
	return r.releaseWhenStopped(ctx, node)
}

// releaseWhenStopped releases a deleted node whose pod object is gone once its containers are known
// to have stopped (see fence), and otherwise says in Ready why it holds.
func (r *Reconciler) releaseWhenStopped(ctx context.Context, node *seiv1alpha1.SeiNode) (ctrl.Result, error) {
	podNode := node.Annotations[seiv1alpha1.AnnotationPodNode]
	switch {
	case podNode == "":
		return r.release(ctx, node, "StatefulSet and pod are gone; the pod was never seen bound to a Kubernetes Node")
	case node.Annotations[seiv1alpha1.AnnotationConfirmPodStopped] == podNode:
		r.Recorder.Eventf(node, nil, corev1.EventTypeNormal, "FenceConfirmed", "Fence",
			"an admin confirmed (%s) that the pod's containers on Kubernetes Node %s stopped", seiv1alpha1.AnnotationConfirmPodStopped, podNode)
		return r.release(ctx, node, "StatefulSet and pod are gone; an admin confirmed the containers on "+podNode+" stopped")
	}
	k8sNode, lease, err := r.kubelet(ctx, podNode)
	if err != nil {
		return ctrl.Result{}, err
	}
	seen, ok := node.Annotations[seiv1alpha1.AnnotationFenceLeaseRenewTime]
	if !ok {
		// Persist the Lease as it was when the pod was seen gone first: only a renewal after it counts,
		// and an agent restarted meanwhile must not count an older one.
		seen = noLease
		if lease != nil && lease.Spec.RenewTime != nil {
			seen = lease.Spec.RenewTime.UTC().Format(time.RFC3339Nano)
		}
		if err := r.annotate(ctx, node, seiv1alpha1.AnnotationFenceLeaseRenewTime, seen); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: fenceRecheck}, nil
	}
	stopped, why := kubeletConfirmedStop(podNode, k8sNode, lease, seen)
	if stopped {
		return r.release(ctx, node, "StatefulSet and pod are gone; the kubelet of "+podNode+" renewed its Lease since")
	}
	msg := fmt.Sprintf("the pod is gone from the API but %s; the finalizer %s stays until it does, or until an admin who knows the "+
		"containers stopped runs: kubectl annotate seinode -n %s %s %s=%s", why, FinalizerAgent, node.Namespace, node.Name,
		seiv1alpha1.AnnotationConfirmPodStopped, podNode)
	before := node.DeepCopy()
	setCondition(node, seiv1alpha1.NodeReady, false, seiv1alpha1.ReasonFenceUnconfirmed, msg)
	if old := meta.FindStatusCondition(before.Status.Conditions, seiv1alpha1.NodeReady); old == nil || old.Message != msg {
		r.Recorder.Eventf(node, nil, corev1.EventTypeWarning, seiv1alpha1.ReasonFenceUnconfirmed, "Fence", "%s", msg)
		ctrl.LoggerFrom(ctx).Info("Holding the fence", "reason", why)
	}
	if _, err := kube.PatchStatus(ctx, r.Client, before, node, nodeStatus); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{RequeueAfter: fenceRecheck}, nil
}

// kubeletConfirmedStop decides, from the pod's last Node and its kubelet Lease (nil when absent) and
// the Lease's renewTime when the pod was first seen gone (seen), whether the kubelet has confirmed the
// pod's containers stopped; if not, it says why. Both times come from the kubelet's clock.
func kubeletConfirmedStop(name string, n *corev1.Node, lease *coordinationv1.Lease, seen string) (bool, string) {
	if n == nil {
		return false, fmt.Sprintf("Kubernetes Node %s, where it last ran, is deleted: a kubelet cut off from the API server may still run its containers", name)
	}
	if ready := nodeReady(n); ready != "" {
		return false, fmt.Sprintf("Kubernetes Node %s, where it last ran, is not Ready (%s): its kubelet has not confirmed the containers stopped", name, ready)
	}
	if lease == nil || lease.Spec.RenewTime == nil {
		return false, fmt.Sprintf("Kubernetes Node %s has no kubelet Lease in %s renewed since: its kubelet has not confirmed the containers stopped", name, corev1.NamespaceNodeLease)
	}
	if seen == noLease {
		return true, ""
	}
	at, err := time.Parse(time.RFC3339Nano, seen)
	if err != nil {
		return false, fmt.Sprintf("annotation %s %q is not a time", seiv1alpha1.AnnotationFenceLeaseRenewTime, seen)
	}
	if !lease.Spec.RenewTime.After(at) {
		return false, fmt.Sprintf("the kubelet of Kubernetes Node %s has not renewed its Lease since the pod was seen gone (last renewal %s)",
			name, lease.Spec.RenewTime.UTC().Format(time.RFC3339))
	}
	return true, ""
}

// nodeReady is "" for a Node whose Ready condition is True, else what it says instead.
func nodeReady(n *corev1.Node) string {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status == corev1.ConditionTrue {
				return ""
			}
			return fmt.Sprintf("Ready=%s, %s", c.Status, c.Reason)
		}
	}
	return "no Ready condition"
}

// kubelet reads Node name and its kubelet Lease, uncached: nil for either when it does not exist.
func (r *Reconciler) kubelet(ctx context.Context, name string) (*corev1.Node, *coordinationv1.Lease, error) {
	n := &corev1.Node{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Name: name}, n); apierrors.IsNotFound(err) {
		n = nil
	} else if err != nil {
		return nil, nil, fmt.Errorf("get Node %s: %w", name, err)
	}
	lease := &coordinationv1.Lease{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: corev1.NamespaceNodeLease, Name: name}, lease); apierrors.IsNotFound(err) {
		lease = nil
	} else if err != nil {
		return nil, nil, fmt.Errorf("get Lease %s/%s: %w", corev1.NamespaceNodeLease, name, err)
	}
	return n, lease, nil
}

// release removes the agent's finalizer: the node is fenced.
func (r *Reconciler) release(ctx context.Context, node *seiv1alpha1.SeiNode, why string) (ctrl.Result, error) {
	if err := kube.SetFinalizer(ctx, r.Client, node, FinalizerAgent, false); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	ctrl.LoggerFrom(ctx).Info("Node fenced", "reason", why)
	return ctrl.Result{}, nil
}

// recordPodNode remembers the Kubernetes Node of a live node's pod (from the cache) in
// AnnotationPodNode, so a later fence knows whose kubelet must confirm the pod stopped.
func (r *Reconciler) recordPodNode(ctx context.Context, node *seiv1alpha1.SeiNode) error {
	pod := &corev1.Pod{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: node.Namespace, Name: resources.PodName(node)}, pod); err != nil {
		return client.IgnoreNotFound(err)
	}
	return r.recordPodNodeOf(ctx, node, pod)
}

// recordPodNodeOf writes pod's Node into AnnotationPodNode when it is bound to one not recorded yet.
// An unbound pod changes nothing: the last Node stays the one to hear from.
func (r *Reconciler) recordPodNodeOf(ctx context.Context, node *seiv1alpha1.SeiNode, pod *corev1.Pod) error {
	if pod.Spec.NodeName == "" || node.Annotations[seiv1alpha1.AnnotationPodNode] == pod.Spec.NodeName {
		return nil
	}
	return r.annotate(ctx, node, seiv1alpha1.AnnotationPodNode, pod.Spec.NodeName)
}

// annotate sets one annotation on node with a metadata merge patch under an optimistic lock.
func (r *Reconciler) annotate(ctx context.Context, node *seiv1alpha1.SeiNode, key, value string) error {
	before := node.DeepCopy()
	if node.Annotations == nil {
		node.Annotations = map[string]string{}
	}
	node.Annotations[key] = value
	if err := r.Client.Patch(ctx, node, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("annotate SeiNode %s with %s: %w", client.ObjectKeyFromObject(node), key, err)
	}
	return nil
}
