package resources

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/sei-protocol/sei-fleet/agent/config"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// BuildDataPVC renders the claim holding seid's home: one ReadWriteOnce volume, sized and classed by
// spec.dataVolume field by field, else by the configuration for the node's mode. The storage class is
// left out when neither names one, so the cluster's default class applies.
//
// The SeiNode owns the claim, so deleting the SeiNode deletes the node's data — for a validator that
// includes its signing state. Pausing (spec.paused) is the way to stop a node and keep its data.
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
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "PersistentVolumeClaim"},
		ObjectMeta: objectMeta(node, DataPVCName(node), map[string]string{seiv1alpha1.LabelComponent: ComponentData}),
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
