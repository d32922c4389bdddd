package provisioner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

const (
	// annSelectedNode is where kube-scheduler writes the node it chose for a WaitForFirstConsumer claim.
	annSelectedNode = "volume.kubernetes.io/selected-node"
	// annProvisionedBy marks a dynamically provisioned PV: kube-controller-manager then leaves its
	// deletion to the provisioner it names.
	annProvisionedBy = "pv.kubernetes.io/provisioned-by"
	// annNode names the node whose directory holds a volume, so reclaiming can check the path.
	annNode = "sei-fleet.local/node"
)

// reconciler provisions claims and reclaims released volumes of the provisioner's classes.
type reconciler struct {
	client.Client
	Recorder events.EventRecorder
	name     string
	dirs     func(nodeName string) (string, bool)
}

func (r *reconciler) setup(mgr ctrl.Manager) error {
	scheduled := predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetAnnotations()[annSelectedNode] != "" })
	if err := ctrl.NewControllerManagedBy(mgr).Named("provisioner-claims").
		For(&corev1.PersistentVolumeClaim{}, builder.WithPredicates(scheduled)).
		Complete(reconcile.Func(r.provision)); err != nil {
		return err
	}
	ours := predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetAnnotations()[annProvisionedBy] == r.name })
	return ctrl.NewControllerManagedBy(mgr).Named("provisioner-volumes").
		For(&corev1.PersistentVolume{}, builder.WithPredicates(ours)).
		Complete(reconcile.Func(r.reclaim))
}

// provision gives an unbound claim of one of the provisioner's classes, once kube-scheduler has
// chosen its node, a directory on that node and a PV pre-bound to the claim (kube-controller-manager
// completes the binding).
func (r *reconciler) provision(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var pvc corev1.PersistentVolumeClaim
	if err := r.Get(ctx, req.NamespacedName, &pvc); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	nodeName := pvc.Annotations[annSelectedNode]
	className := ptr.Deref(pvc.Spec.StorageClassName, "")
	if pvc.Spec.VolumeName != "" || pvc.DeletionTimestamp != nil || nodeName == "" || className == "" {
		return reconcile.Result{}, nil
	}
	var class storagev1.StorageClass
	if err := r.Get(ctx, client.ObjectKey{Name: className}, &class); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if class.Provisioner != r.name {
		return reconcile.Result{}, nil
	}
	pvName := "pvc-" + string(pvc.UID)
	if err := r.Get(ctx, client.ObjectKey{Name: pvName}, &corev1.PersistentVolume{}); !apierrors.IsNotFound(err) {
		return reconcile.Result{}, err // provisioned already, or the lookup failed
	}
	if ptr.Deref(pvc.Spec.VolumeMode, corev1.PersistentVolumeFilesystem) != corev1.PersistentVolumeFilesystem {
		r.warn(&pvc, "ProvisioningFailed", "Provision", "only filesystem volumes: a volume is a directory")
		return reconcile.Result{}, nil
	}
	var node corev1.Node
	if err := r.Get(ctx, client.ObjectKey{Name: nodeName}, &node); err != nil {
		return reconcile.Result{}, fmt.Errorf("selected node %s: %w", nodeName, err)
	}
	base, ok := r.dirs(nodeName)
	if !ok || !filepath.IsAbs(base) {
		err := fmt.Errorf("node %s has no absolute volume directory (got %q)", nodeName, base)
		r.warn(&pvc, "ProvisioningFailed", "Provision", err.Error())
		return reconcile.Result{}, err
	}
	path := filepath.Join(base, fmt.Sprintf("%s_%s_%s", pvName, pvc.Namespace, pvc.Name))
	// Open to every user (MkdirAll's mode is cut by the umask): pods run as non-root, and only pods
	// with an fsGroup get the directory chowned by the kubelet.
	if err := os.MkdirAll(path, 0o777); err != nil {
		return reconcile.Result{}, err
	}
	if err := os.Chmod(path, 0o777); err != nil {
		return reconcile.Result{}, err
	}
	hostname := node.Labels[corev1.LabelHostname]
	if hostname == "" {
		hostname = node.Name
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName, Annotations: map[string]string{annProvisionedBy: r.name, annNode: nodeName}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity: corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
			// Any mode holds: the node affinity keeps every consumer on the one node.
			AccessModes:                   pvc.Spec.AccessModes,
			VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
			PersistentVolumeReclaimPolicy: ptr.Deref(class.ReclaimPolicy, corev1.PersistentVolumeReclaimDelete),
			StorageClassName:              class.Name,
			ClaimRef: &corev1.ObjectReference{
				Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: path}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{
					Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{hostname},
				}},
			}}}},
		},
	}
	if err := r.Create(ctx, pv); err != nil && !apierrors.IsAlreadyExists(err) {
		return reconcile.Result{}, fmt.Errorf("create PV %s: %w", pvName, err)
	}
	log.FromContext(ctx).Info("Provisioned", "pv", pvName, "node", nodeName, "path", path)
	return reconcile.Result{}, nil
}

// reclaim removes the directory and the PV of a released volume whose policy is Delete.
func (r *reconciler) reclaim(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var pv corev1.PersistentVolume
	if err := r.Get(ctx, req.NamespacedName, &pv); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if pv.Status.Phase != corev1.VolumeReleased || pv.DeletionTimestamp != nil ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		return reconcile.Result{}, nil
	}
	path, err := r.volumePath(&pv)
	if err == nil {
		err = os.RemoveAll(path)
	}
	if err != nil {
		r.warn(&pv, "VolumeFailedDelete", "Delete", err.Error())
		return reconcile.Result{}, err
	}
	if err := r.Delete(ctx, &pv, client.Preconditions{UID: &pv.UID}); client.IgnoreNotFound(err) != nil {
		return reconcile.Result{}, fmt.Errorf("delete PV %s: %w", pv.Name, err)
	}
	log.FromContext(ctx).Info("Reclaimed", "pv", pv.Name, "path", path)
	return reconcile.Result{}, nil
}

// volumePath is a PV's directory, checked to be one provision made (directly under its node's
// volume directory, named after the PV) before anything is removed.
func (r *reconciler) volumePath(pv *corev1.PersistentVolume) (string, error) {
	if pv.Spec.Local == nil {
		return "", fmt.Errorf("PV %s is not a local volume", pv.Name)
	}
	nodeName := pv.Annotations[annNode]
	base, ok := r.dirs(nodeName)
	if !ok {
		return "", fmt.Errorf("node %q of PV %s has no volume directory", nodeName, pv.Name)
	}
	path := pv.Spec.Local.Path
	if filepath.Dir(path) != filepath.Clean(base) || !strings.HasPrefix(filepath.Base(path), pv.Name+"_") {
		return "", fmt.Errorf("PV %s: %s is not a volume directory under %s", pv.Name, path, base)
	}
	return path, nil
}

func (r *reconciler) warn(obj client.Object, reason, action, note string) {
	r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, reason, action, "%s", note)
}
