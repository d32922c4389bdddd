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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the group and version of every type in this package.
var GroupVersion = schema.GroupVersion{Group: "sei.io", Version: "v1alpha1"}

var schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

// AddToScheme adds the types of this package to a runtime.Scheme.
var AddToScheme = schemeBuilder.AddToScheme

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion,
		&SeiNode{}, &SeiNodeList{},
		&SeiNodeDeployment{}, &SeiNodeDeploymentList{},
		&SeiPlacementPolicy{}, &SeiPlacementPolicyList{},
	)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
