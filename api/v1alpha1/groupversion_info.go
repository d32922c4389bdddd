// Package v1alpha1 holds the sei.io/v1alpha1 API: SeiNodeDeployment and SeiPlacementPolicy on the hub,
// and SeiNode, which exists both as the hub's fleet record and as the copy a member cluster's agent runs.
//
// The package owns types, validation markers and the constants both sides of the fleet agree on (labels,
// field owners, condition types and reasons). It owns no behaviour.
//
// +kubebuilder:object:generate=true
// +groupName=sei.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "sei.io", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
