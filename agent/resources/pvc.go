package resources

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// BuildDataPVC renders the claim holding seid's home: one ReadWriteOnce volume, sized and classed by
// spec.dataVolume field by field, else by the configuration for the node's mode. The storage class is
// left out when neither names one, so the cluster's default class applies.
//
// A validator's claim has no owner: it holds the signing state (the last height, round and step the
// key signed), and a SeiNode is deleted whenever the hub fences it, so a claim the SeiNode owned would
// be collected with it and the validator would come back at height 0 — free to sign again what it
// already signed. The claim is found again by its name and labels (AdoptDataPVC). Every other node's
// claim is owned by its SeiNode: that data is disposable and would otherwise leak.
func BuildDataPVC(node *seiv1alpha1.SeiNode, cfg *config.Config) (*corev1.PersistentVolumeClaim, error) {
	if err := checkInput(node, cfg); err != nil {
		return nil, err
	}
	vol := cfg.StorageFor(node.Spec.Mode())
	if d := node.Spec.DataVolume; d != nil {
		if d.Size != nil {
			vol.Size = d.Size.DeepCopy()
		}
		if d.StorageClassName != nil {
			vol.StorageClassName = *d.StorageClassName
		}
	}
	meta := objectMeta(node, DataPVCName(node), dataPVCLabels(node))
	if node.Spec.Validator != nil {
		meta.OwnerReferences = nil
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "PersistentVolumeClaim"},
		ObjectMeta: meta,
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: vol.Size},
			},
		},
	}
	if vol.StorageClassName != "" {
		pvc.Spec.StorageClassName = ptr.To(vol.StorageClassName)
	}
	return pvc, nil
}

// dataPVCLabels are the claim's labels beyond Labels: its component, and the UID of the deployment
// the node belongs to when the hub recorded one, which tells a claim of this deployment's node from
// one a deleted deployment of the same name left behind.
func dataPVCLabels(node *seiv1alpha1.SeiNode) map[string]string {
	l := map[string]string{seiv1alpha1.LabelComponent: ComponentData}
	if uid := node.Labels[seiv1alpha1.LabelDeploymentUID]; uid != "" {
		l[seiv1alpha1.LabelDeploymentUID] = uid
	}
	return l
}

// ErrClaimTerminating: the claim of the node's name is being deleted. Its data cannot be kept, and a new
// claim of that name can only be created once it is gone.
var ErrClaimTerminating = errors.New("the data claim is being deleted")

// ForeignClaimError says why an existing claim of the node's name is not the node's own.
type ForeignClaimError struct {
	Claim  string
	Reason string
}

func (e *ForeignClaimError) Error() string {
	return fmt.Sprintf("PersistentVolumeClaim %s is not this node's data volume: %s; "+
		"the node will not start on it (delete or rename the claim if its data may go)", e.Claim, e.Reason)
}

// claimIdentity are the labels that say whose data a claim holds. They must match exactly: a validator
// must never start on another node's volume (or another chain's, or a full node's, whose state file no
// key ever signed from), and no node may take a validator's.
var claimIdentity = []string{seiv1alpha1.LabelNode, seiv1alpha1.LabelChain, seiv1alpha1.LabelRole, seiv1alpha1.LabelComponent}

// AdoptDataPVC judges an existing claim named DataPVCName(node) and returns its metadata as it must
// be: labels as BuildDataPVC renders them, and the owner references of the node's kind of claim (none
// for a validator, a controller reference to this SeiNode otherwise). A claim an earlier SeiNode of
// the same name owned is the node's own: that is how a fenced and re-created node, or one made by an
// older agent, finds its volume again.
//
// It returns ErrClaimTerminating for a claim being deleted, and a *ForeignClaimError for a claim
// labelled for another node, chain, role or deployment (a claim without the deployment UID label is
// given it), or owned by anything but a SeiNode of the node's name.
func AdoptDataPVC(node *seiv1alpha1.SeiNode, claim *corev1.PersistentVolumeClaim, cfg *config.Config) (metav1.ObjectMeta, error) {
	want, err := BuildDataPVC(node, cfg)
	if err != nil {
		return metav1.ObjectMeta{}, err
	}
	key := claim.Namespace + "/" + claim.Name
	if claim.DeletionTimestamp != nil {
		return metav1.ObjectMeta{}, ErrClaimTerminating
	}
	for _, ref := range claim.OwnerReferences {
		if !isNodeRef(ref, node.Name) {
			return metav1.ObjectMeta{}, &ForeignClaimError{Claim: key, Reason: fmt.Sprintf("owned by %s %s", ref.Kind, ref.Name)}
		}
	}
	for _, k := range claimIdentity {
		if got, w := claim.Labels[k]; got != want.Labels[k] {
			if !w {
				return metav1.ObjectMeta{}, &ForeignClaimError{Claim: key, Reason: fmt.Sprintf("it has no label %s (want %q)", k, want.Labels[k])}
			}
			return metav1.ObjectMeta{}, &ForeignClaimError{Claim: key, Reason: fmt.Sprintf("label %s is %q, not %q", k, got, want.Labels[k])}
		}
	}
	if got, ok := claim.Labels[seiv1alpha1.LabelDeploymentUID]; ok && got != want.Labels[seiv1alpha1.LabelDeploymentUID] {
		return metav1.ObjectMeta{}, &ForeignClaimError{Claim: key, Reason: fmt.Sprintf("it belongs to deployment UID %q, this node to %q",
			got, want.Labels[seiv1alpha1.LabelDeploymentUID])}
	}
	meta := *claim.ObjectMeta.DeepCopy()
	if meta.Labels == nil {
		meta.Labels = map[string]string{}
	}
	maps.Copy(meta.Labels, want.Labels)
	meta.OwnerReferences = slices.Clone(want.OwnerReferences)
	return meta, nil
}

// isNodeRef: ref points at a SeiNode named name (of any UID: an earlier copy of the same node).
func isNodeRef(ref metav1.OwnerReference, name string) bool {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	return err == nil && gv.Group == seiv1alpha1.GroupVersion.Group && ref.Kind == "SeiNode" && ref.Name == name
}
