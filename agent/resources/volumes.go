package resources

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// Volume names.
const (
	VolumeData       = "data"
	VolumeNodeKey    = "node-key"
	VolumeSigningKey = "signing-key"
	VolumeGenesis    = "genesis"
	VolumeTmp        = "tmp"
)

// Where seid-init finds the mounted keys and genesis. Only seid-init mounts them: it copies what seid
// needs onto the data volume, so neither the sidecar (which serves an HTTP API) nor the long-running
// seid container ever has the Secrets mounted.
const (
	mountNodeKey    = "/etc/sei/keys/node"
	mountSigningKey = "/etc/sei/keys/signing"
	mountGenesis    = "/etc/sei/genesis"
	mountTmp        = "/tmp"
)

// secretMode is owner-read-only; with the pod's fsGroup kubelet makes it 0440 owned by that group.
const secretMode int32 = 0o400

// volumes are the pod's volumes: the data claim, the node key, the consensus key for validators, the
// genesis ConfigMap once spec.genesis names one, and an emptyDir for /tmp under the read-only root
// filesystem. Secret and ConfigMap volumes project only the key the pod needs, so a Secret missing it
// keeps the pod from starting with an event that names the key, instead of a half-initialized node.
func volumes(node *seiv1alpha1.SeiNode) []corev1.Volume {
	keys := KeySecretNames(node)
	vols := []corev1.Volume{
		{Name: VolumeData, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: DataPVCName(node)},
		}},
		secretVolume(VolumeNodeKey, keys.NodeKey, SecretKeyNodeKey),
	}
	if node.Spec.Validator != nil {
		vols = append(vols, secretVolume(VolumeSigningKey, keys.SigningKey, SecretKeySigningKey))
	}
	if g := node.Spec.Genesis; g != nil {
		vols = append(vols, corev1.Volume{Name: VolumeGenesis, VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: g.ConfigMapName},
				Items:                []corev1.KeyToPath{{Key: ConfigMapKeyGenesis, Path: ConfigMapKeyGenesis}},
			},
		}})
	}
	return append(vols, corev1.Volume{Name: VolumeTmp, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
}

func secretVolume(name, secret, key string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName:  secret,
		Items:       []corev1.KeyToPath{{Key: key, Path: key}},
		DefaultMode: ptr.To(secretMode),
	}}}
}

// initMounts are seid-init's mounts: the data volume, the key Secrets and the genesis.
func initMounts(node *seiv1alpha1.SeiNode, home string) []corev1.VolumeMount {
	mounts := []corev1.VolumeMount{
		{Name: VolumeData, MountPath: home},
		{Name: VolumeNodeKey, MountPath: mountNodeKey, ReadOnly: true},
	}
	if node.Spec.Validator != nil {
		mounts = append(mounts, corev1.VolumeMount{Name: VolumeSigningKey, MountPath: mountSigningKey, ReadOnly: true})
	}
	if node.Spec.Genesis != nil {
		mounts = append(mounts, corev1.VolumeMount{Name: VolumeGenesis, MountPath: mountGenesis, ReadOnly: true})
	}
	return append(mounts, corev1.VolumeMount{Name: VolumeTmp, MountPath: mountTmp})
}

// runtimeMounts are the sidecar's and seid's mounts: the data volume and /tmp, no Secrets.
func runtimeMounts(home string) []corev1.VolumeMount {
	return []corev1.VolumeMount{
		{Name: VolumeData, MountPath: home},
		{Name: VolumeTmp, MountPath: mountTmp},
	}
}
