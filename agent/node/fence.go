package node

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

	"github.com/sei-protocol/sei-fleet/agent/config"
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

// fenceMargin is how long after the pod's grace period the kubelet may still be stopping its
// containers, counted from a renewal that shows it connected after the removal: its pod watch
// delivering the removal late, and the container runtime cleaning up after the SIGKILL.
const fenceMargin = 10 * time.Second

// defaultGracePeriod is Kubernetes' termination grace period when a pod sets none.
const defaultGracePeriod int64 = 30

// fence handles a deleted node: it deletes the StatefulSet, waits until the pod is gone, and then
// releases the finalizer only with proof that the pod's containers stopped. The pod object being gone
// is not that proof: a force delete, or the pod garbage collector after its Node object was deleted,
// removes it while a kubelet cut off from the API server may still run seid, and a kubelet that
// learns of the removal takes up to the pod's grace period to stop it. The proof is the kubelet of the
// Kubernetes Node the pod was last seen on (the same registration: name and UID) renewing its Lease
// after the agent saw the pod gone (it is connected, and learns of the removal), and again at least
// the pod's grace period and fenceMargin later, with that Node Ready; or an admin's explicit
// confirmation (AnnotationConfirmPodStopped). A pod never seen bound to a Node never ran. Key Secrets
// stay: a validator's identity outlives its node.
func (r *Reconciler) fence(ctx context.Context, node *seiv1alpha1.SeiNode) (ctrl.Result, error) {
	r.progress.forget(string(node.UID))
	r.resumes.forget(string(node.UID))
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
	st := fenceState{
		podNode: podNode,
		nodeUID: node.Annotations[seiv1alpha1.AnnotationPodNodeUID],
		seen:    node.Annotations[seiv1alpha1.AnnotationFenceLeaseRenewTime],
		renewed: node.Annotations[seiv1alpha1.AnnotationFenceLeaseRenewedTime],
		grace:   fenceGrace(node, r.Config),
	}
	record, stopped, why := st.next(k8sNode, lease)
	if len(record) > 0 {
		// Persisted before anything relies on it: an agent restarted meanwhile must not count an
		// older renewal, or trust another registration of the Node.
		if err := r.annotate(ctx, node, record); err != nil {
			return ctrl.Result{}, err
		}
	}
	if stopped {
		return r.release(ctx, node, "StatefulSet and pod are gone; the kubelet of "+podNode+" renewed its Lease since, and again after the pod's grace period")
	}
	if why == "" {
		return ctrl.Result{RequeueAfter: fenceRecheck}, nil
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

// fenceState is what a fence has recorded on the deleted SeiNode about the kubelet it waits for.
type fenceState struct {
	podNode string        // the Kubernetes Node the pod was last seen bound to
	nodeUID string        // its UID then; "" when an older agent recorded the name alone
	seen    string        // its Lease's renewTime when the pod was seen gone, noLease, or "" before
	renewed string        // the first renewTime after seen, or "" before
	grace   time.Duration // the pod's termination grace period
}

// next takes one step of the fence from the Node (nil when deleted) and its kubelet Lease (nil when
// absent): the annotations to record, and either stopped (the kubelet confirmed the containers
// stopped) or why not ("" when only something was recorded and the fence looks again). Lease times are
// compared only with Lease times: all come from the kubelet's clock.
func (s fenceState) next(n *corev1.Node, lease *coordinationv1.Lease) (record map[string]string, stopped bool, why string) {
	record = map[string]string{}
	if n == nil {
		return record, false, fmt.Sprintf("Kubernetes Node %s, where it last ran, is deleted: a kubelet cut off from the API server may still run its containers", s.podNode)
	}
	if s.nodeUID == "" {
		// Recorded by an older agent: pin the registration seen now, the earliest one can be.
		s.nodeUID = string(n.UID)
		record[seiv1alpha1.AnnotationPodNodeUID] = s.nodeUID
	}
	if string(n.UID) != s.nodeUID {
		return record, false, fmt.Sprintf("Kubernetes Node %s, where it last ran, was deleted and registered again (UID %s, was %s): "+
			"the kubelet that ran it may be cut off from the API server and still run its containers", s.podNode, n.UID, s.nodeUID)
	}
	if owner := leaseNodeUID(lease); owner != "" && owner != s.nodeUID {
		return record, false, fmt.Sprintf("the kubelet Lease %s/%s belongs to another registration of Kubernetes Node %s (UID %s, not %s)",
			corev1.NamespaceNodeLease, s.podNode, s.podNode, owner, s.nodeUID)
	}
	var renew *time.Time
	if lease != nil && lease.Spec.RenewTime != nil {
		renew = &lease.Spec.RenewTime.Time
	}
	if s.seen == "" {
		record[seiv1alpha1.AnnotationFenceLeaseRenewTime] = formatLeaseTime(renew)
		return record, false, ""
	}
	if s.renewed == "" {
		if renewedSince(s.seen, renew) {
			record[seiv1alpha1.AnnotationFenceLeaseRenewedTime] = formatLeaseTime(renew)
			return record, false, ""
		}
		if ready := nodeReady(n); ready != "" {
			return record, false, fmt.Sprintf("Kubernetes Node %s, where it last ran, is not Ready (%s): its kubelet has not confirmed the containers stopped", s.podNode, ready)
		}
		if renew == nil {
			return record, false, fmt.Sprintf("Kubernetes Node %s has no kubelet Lease in %s renewed since: its kubelet has not confirmed the containers stopped", s.podNode, corev1.NamespaceNodeLease)
		}
		if _, err := time.Parse(time.RFC3339Nano, s.seen); err != nil && s.seen != noLease {
			return record, false, fmt.Sprintf("annotation %s %q is not a time", seiv1alpha1.AnnotationFenceLeaseRenewTime, s.seen)
		}
		return record, false, fmt.Sprintf("the kubelet of Kubernetes Node %s has not renewed its Lease since the pod was seen gone (last renewal %s)",
			s.podNode, renew.UTC().Format(time.RFC3339))
	}
	back, err := time.Parse(time.RFC3339Nano, s.renewed)
	if err != nil {
		return record, false, fmt.Sprintf("annotation %s %q is not a time", seiv1alpha1.AnnotationFenceLeaseRenewedTime, s.renewed)
	}
	if ready := nodeReady(n); ready != "" {
		return record, false, fmt.Sprintf("Kubernetes Node %s, where it last ran, is not Ready (%s): its kubelet has not confirmed the containers stopped", s.podNode, ready)
	}
	due := back.Add(s.grace + fenceMargin)
	if renew == nil || renew.Before(due) {
		return record, false, fmt.Sprintf("the kubelet of Kubernetes Node %s renewed its Lease at %s, after the pod was seen gone, and may take the pod's "+
			"grace period (%s) to stop its containers: it must renew it again at or after %s (its clock; %s of margin)",
			s.podNode, back.UTC().Format(time.RFC3339Nano), s.grace, due.UTC().Format(time.RFC3339Nano), fenceMargin)
	}
	return record, true, ""
}

// renewedSince says whether a Lease renewed at renew (nil: no Lease) was renewed after the one
// recorded as seen; a Lease that appears where there was none counts.
func renewedSince(seen string, renew *time.Time) bool {
	if renew == nil {
		return false
	}
	if seen == noLease {
		return true
	}
	at, err := time.Parse(time.RFC3339Nano, seen)
	return err == nil && renew.After(at)
}

func formatLeaseTime(t *time.Time) string {
	if t == nil {
		return noLease
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// leaseNodeUID is the UID of the Node a kubelet Lease's owner reference names, if any: a kubelet
// makes its Lease owned by its Node.
func leaseNodeUID(lease *coordinationv1.Lease) string {
	if lease == nil {
		return ""
	}
	for _, o := range lease.OwnerReferences {
		if o.Kind == "Node" && o.APIVersion == "v1" {
			return string(o.UID)
		}
	}
	return ""
}

// fenceGrace is the pod's grace period recorded for the fence; when none was (an older agent), the
// one the agent renders for the node's pod, which is longer than Kubernetes' default.
func fenceGrace(node *seiv1alpha1.SeiNode, cfg *config.Config) time.Duration {
	secs, err := strconv.ParseInt(node.Annotations[seiv1alpha1.AnnotationPodGracePeriod], 10, 64)
	if err != nil || secs < 0 {
		secs = resources.TerminationGracePeriod(node, cfg)
	}
	return time.Duration(secs) * time.Second
}

// podGrace is the longest time pod's kubelet may take to stop its containers: its termination grace
// period, or the one its deletion asked for if longer.
func podGrace(pod *corev1.Pod) int64 {
	g := defaultGracePeriod
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		g = *pod.Spec.TerminationGracePeriodSeconds
	}
	if d := pod.DeletionGracePeriodSeconds; d != nil && *d > g {
		g = *d
	}
	return g
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

// recordPodNodeOf records pod's Node — its name and UID, the registration whose kubelet runs the pod —
// and the pod's grace period, when they are not recorded yet. An unbound pod changes nothing: the last
// Node stays the one to hear from.
func (r *Reconciler) recordPodNodeOf(ctx context.Context, node *seiv1alpha1.SeiNode, pod *corev1.Pod) error {
	if pod.Spec.NodeName == "" {
		return nil
	}
	a := node.Annotations
	record := map[string]string{}
	moved := a[seiv1alpha1.AnnotationPodNode] != pod.Spec.NodeName
	if moved {
		record[seiv1alpha1.AnnotationPodNode] = pod.Spec.NodeName
	}
	// The longest seen: a pod's grace may shrink in a new spec while the old one is still stopping.
	if g := podGrace(pod); moved || recordedGrace(a) < g {
		record[seiv1alpha1.AnnotationPodGracePeriod] = strconv.FormatInt(g, 10)
	}
	if moved || a[seiv1alpha1.AnnotationPodNodeUID] == "" {
		n := &corev1.Node{}
		switch err := r.APIReader.Get(ctx, client.ObjectKey{Name: pod.Spec.NodeName}, n); {
		case err == nil:
			record[seiv1alpha1.AnnotationPodNodeUID] = string(n.UID)
		case apierrors.IsNotFound(err):
			// Bound to a Node that is gone: no registration to pin (the fence holds for a deleted
			// Node); the old Node's UID is not this one's.
			record[seiv1alpha1.AnnotationPodNodeUID] = ""
		default:
			return fmt.Errorf("get Node %s of pod %s: %w", pod.Spec.NodeName, client.ObjectKeyFromObject(pod), err)
		}
		if record[seiv1alpha1.AnnotationPodNodeUID] == a[seiv1alpha1.AnnotationPodNodeUID] {
			delete(record, seiv1alpha1.AnnotationPodNodeUID)
		}
	}
	if len(record) == 0 {
		return nil
	}
	return r.annotate(ctx, node, record)
}

// recordedGrace is AnnotationPodGracePeriod's seconds, or -1 when unset or unreadable.
func recordedGrace(a map[string]string) int64 {
	secs, err := strconv.ParseInt(a[seiv1alpha1.AnnotationPodGracePeriod], 10, 64)
	if err != nil {
		return -1
	}
	return secs
}

// annotate sets annotations on node (an empty value removes one) with a metadata merge patch under an
// optimistic lock.
func (r *Reconciler) annotate(ctx context.Context, node *seiv1alpha1.SeiNode, record map[string]string) error {
	before := node.DeepCopy()
	if node.Annotations == nil {
		node.Annotations = map[string]string{}
	}
	keys := make([]string, 0, len(record))
	for k, v := range record {
		keys = append(keys, k)
		if v == "" {
			delete(node.Annotations, k)
		} else {
			node.Annotations[k] = v
		}
	}
	if err := r.Client.Patch(ctx, node, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		slices.Sort(keys)
		return fmt.Errorf("annotate SeiNode %s with %s: %w", client.ObjectKeyFromObject(node), strings.Join(keys, ", "), err)
	}
	return nil
}
