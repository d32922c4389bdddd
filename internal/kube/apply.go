// Package kube holds the small Kubernetes client helpers the hub and the agent share: server-side apply
// of typed objects under a named field owner, a status patch that writes only when something changed,
// finalizers, and conditions.
package kube

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
)

// Apply server-side applies obj as owner, forcing ownership of the fields it sets: the fields obj
// carries are the desired state, and nothing else is touched. obj's status is never sent.
func Apply(ctx context.Context, c client.Client, scheme *runtime.Scheme, obj client.Object, owner string) error {
	return apply(ctx, c, scheme, obj, owner, "")
}

// ApplyExisting is Apply for the existing object with uid only: server-side apply creates what does
// not exist, unless the applied object names a UID (the apiserver then answers Conflict), so a write
// meant as an update never brings back an object deleted since it was read.
func ApplyExisting(ctx context.Context, c client.Client, scheme *runtime.Scheme, obj client.Object, owner string, uid types.UID) error {
	if uid == "" {
		return fmt.Errorf("apply existing %T %s: no UID", obj, client.ObjectKeyFromObject(obj))
	}
	return apply(ctx, c, scheme, obj, owner, uid)
}

func apply(ctx context.Context, c client.Client, scheme *runtime.Scheme, obj client.Object, owner string, uid types.UID) error {
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return fmt.Errorf("apply %T %s: %w", obj, client.ObjectKeyFromObject(obj), err)
	}
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return fmt.Errorf("apply %s %s: %w", gvk.Kind, client.ObjectKeyFromObject(obj), err)
	}
	u := &unstructured.Unstructured{Object: raw}
	u.SetGroupVersionKind(gvk)
	// Server-set fields must not be claimed by the applier.
	unstructured.RemoveNestedField(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(u.Object, "metadata", "uid")
	unstructured.RemoveNestedField(u.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(u.Object, "metadata", "generation")
	if uid != "" {
		u.SetUID(uid)
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(owner), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply %s %s: %w", gvk.Kind, client.ObjectKeyFromObject(obj), err)
	}
	return nil
}

// PatchStatus writes obj's status when it differs from before's, with one merge patch under an
// optimistic lock (a concurrent change makes the patch fail and the reconcile retry). It reports
// whether it wrote.
func PatchStatus(ctx context.Context, c client.Client, before, obj client.Object, status func(client.Object) any) (bool, error) {
	if equality.Semantic.DeepEqual(status(before), status(obj)) {
		return false, nil
	}
	if err := c.Status().Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return false, fmt.Errorf("patch status of %s: %w", client.ObjectKeyFromObject(obj), err)
	}
	return true, nil
}

// SetFinalizer adds (or removes) finalizer on obj with a merge patch of metadata only. An Update
// would send the whole object back, and a spec the client re-serialises differently from what the user
// applied ("10m" becomes "10m0s") would trip immutability rules. The patch carries the resourceVersion,
// so a concurrent change to the finalizer list makes it fail and the caller retry.
func SetFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string, present bool) error {
	before, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return fmt.Errorf("copy %s", client.ObjectKeyFromObject(obj))
	}
	if present {
		controllerutil.AddFinalizer(obj, finalizer)
	} else {
		controllerutil.RemoveFinalizer(obj, finalizer)
	}
	if err := c.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("set finalizer %s on %s: %w", finalizer, client.ObjectKeyFromObject(obj), err)
	}
	return nil
}
