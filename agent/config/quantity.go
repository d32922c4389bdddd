package config

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Quantity is a resource.Quantity that keeps what the file said when it was not a quantity, so that
// Validate can report it under the field's name. resource.Quantity alone fails the whole decode with
// a message that names no field.
type Quantity struct {
	resource.Quantity
	// unparsed is the file's text when it did not parse (invalid is true and Quantity zero then).
	unparsed string
	invalid  bool
}

// NewQuantity parses s; it is meant for literals and tests and reports errors like the file would.
func NewQuantity(s string) Quantity {
	var q Quantity
	// UnmarshalJSON never fails: a bad value is kept for Validate.
	_ = q.UnmarshalJSON([]byte(s))
	return q
}

// UnmarshalJSON accepts what resource.Quantity accepts (a string or a number) and remembers anything
// else for Validate.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	*q = Quantity{}
	if err := q.Quantity.UnmarshalJSON(b); err != nil {
		q.Quantity = resource.Quantity{}
		q.unparsed, q.invalid = strings.Trim(string(b), `"`), true
	}
	return nil
}

// ResourceList maps resource names (cpu, memory, ...) to quantities.
type ResourceList map[corev1.ResourceName]Quantity

// Resources are a container's requests and limits.
type Resources struct {
	Requests ResourceList `json:"requests,omitempty"`
	Limits   ResourceList `json:"limits,omitempty"`
}

// isZero reports whether the file left r out.
func (r Resources) isZero() bool { return r.Requests == nil && r.Limits == nil }

// Requirements returns r as Kubernetes resource requirements, with copies of the quantities.
func (r Resources) Requirements() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{Requests: r.Requests.core(), Limits: r.Limits.core()}
}

func (l ResourceList) core() corev1.ResourceList {
	if len(l) == 0 {
		return nil
	}
	out := make(corev1.ResourceList, len(l))
	for name, q := range l {
		out[name] = q.DeepCopy()
	}
	return out
}
