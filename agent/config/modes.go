package config

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// VolumeSettings are a mode's data volume settings with the fallback to default applied.
type VolumeSettings struct {
	// StorageClassName is empty for the cluster's default StorageClass.
	StorageClassName string
	Size             resource.Quantity
}

// StorageFor returns the data volume settings of mode. A mode's entry overrides default field by
// field: an archive entry that sets only size keeps the default storage class.
func (c *Config) StorageFor(mode seiv1alpha1.NodeMode) VolumeSettings {
	v := c.Storage.Default
	if o := c.Storage.Override(mode); o != nil {
		if o.StorageClassName != "" {
			v.StorageClassName = o.StorageClassName
		}
		if o.Size != nil {
			v.Size = o.Size
		}
	}
	out := VolumeSettings{StorageClassName: v.StorageClassName}
	if v.Size != nil {
		out.Size = v.Size.DeepCopy()
	}
	return out
}

// ResourcesFor returns the seid container's resources for mode. A mode's entry replaces default as a
// whole: requests and limits are sized together, and mixing a mode's requests with the default's
// limits could ask for more than it allows.
func (c *Config) ResourcesFor(mode seiv1alpha1.NodeMode) corev1.ResourceRequirements {
	if o := c.Resources.Override(mode); o != nil {
		return o.Requirements()
	}
	return c.Resources.Default.Requirements()
}

// SchedulingFor returns the scheduling of mode. A mode's entry overrides default field by field; a
// field counts as set when present in the file, so "nodeSelector: {}" or "tolerations: []" in a mode's
// entry clears the default's.
func (c *Config) SchedulingFor(mode seiv1alpha1.NodeMode) Scheduling {
	s := c.Scheduling.Default
	if o := c.Scheduling.Override(mode); o != nil {
		if o.ServiceAccountName != "" {
			s.ServiceAccountName = o.ServiceAccountName
		}
		if o.NodeSelector != nil {
			s.NodeSelector = o.NodeSelector
		}
		if o.Tolerations != nil {
			s.Tolerations = o.Tolerations
		}
		if o.PriorityClassName != "" {
			s.PriorityClassName = o.PriorityClassName
		}
		if o.TerminationGracePeriodSeconds != nil {
			s.TerminationGracePeriodSeconds = o.TerminationGracePeriodSeconds
		}
	}
	return Scheduling{
		ServiceAccountName: s.ServiceAccountName,
		NodeSelector:       copyMap(s.NodeSelector),
		Tolerations:        copyTolerations(s.Tolerations),
		PriorityClassName:  s.PriorityClassName,

		TerminationGracePeriodSeconds: copyInt64(s.TerminationGracePeriodSeconds),
	}
}

func copyInt64(v *int64) *int64 {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyTolerations(ts []corev1.Toleration) []corev1.Toleration {
	if len(ts) == 0 {
		return nil
	}
	out := make([]corev1.Toleration, len(ts))
	for i := range ts {
		ts[i].DeepCopyInto(&out[i])
	}
	return out
}
