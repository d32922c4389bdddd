// Package member is everything the hub does inside a member cluster, and so the exact rights the hub's
// identity on a member needs (its RBAC markers generate deploy/hub/member-rbac): make sure a namespace
// exists, copy a genesis ConfigMap, apply and delete the member copy of a SeiNode, orphan it, and read the
// agent's heartbeat Lease. Never Secrets: the hub cannot read a member's keys.
package member

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/genesiscm"
	"github.com/sei-protocol/sei-fleet/internal/kube"
)

// +kubebuilder:rbac:groups=sei.io,resources=seinodes,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;create
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;create
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get,namespace=sei-fleet-system

// Labels on what the hub writes into members.
const (
	// LabelManagedBy marks member SeiNodes the hub manages; an orphaned copy loses it.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedByHub is its value.
	ManagedByHub = "sei-fleet-hub"
	// AnnotationOrphaned marks a member copy the hub let go of (deletionPolicy Retain).
	AnnotationOrphaned = "sei.io/orphaned-from-hub"
)

// EnsureNamespace creates namespace on the member if it does not exist. Reads are uncached (r): the hub
// may not list or watch a member's namespaces.
func EnsureNamespace(ctx context.Context, r client.Reader, c client.Client, namespace string) error {
	ns := &corev1.Namespace{}
	err := r.Get(ctx, client.ObjectKey{Name: namespace}, ns)
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("get namespace %s: %w", namespace, err)
	}
	ns = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", namespace, err)
	}
	return nil
}

// CopyGenesis makes the member hold an immutable copy of the hub's genesis ConfigMap. It verifies the
// hub copy against want first, and never overwrites a member ConfigMap with other contents. Reads are
// uncached (r): the hub may not list or watch a member's ConfigMaps.
func CopyGenesis(ctx context.Context, r client.Reader, member client.Client, hubCopy *corev1.ConfigMap, want string) error {
	got, data := genesiscm.Hash(hubCopy)
	if got != want {
		return fmt.Errorf("hub genesis ConfigMap %s/%s hashes to %s, not %s: refusing to distribute it", hubCopy.Namespace, hubCopy.Name, got, want)
	}
	existing := &corev1.ConfigMap{}
	err := r.Get(ctx, client.ObjectKeyFromObject(hubCopy), existing)
	if err == nil {
		if have, _ := genesiscm.Hash(existing); have != want {
			return fmt.Errorf("member ConfigMap %s/%s holds a different genesis (sha256 %s, want %s): not overwriting it", existing.Namespace, existing.Name, have, want)
		}
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("get genesis ConfigMap %s/%s: %w", hubCopy.Namespace, hubCopy.Name, err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: hubCopy.Namespace, Name: hubCopy.Name, Labels: hubCopy.Labels,
			Annotations: map[string]string{seiv1alpha1.AnnotationGenesisSHA256: want},
		},
		Immutable: ptr.To(true),
		Data:      map[string]string{genesiscm.Key: string(data)},
	}
	if err := member.Create(ctx, cm); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create genesis ConfigMap %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	return nil
}

// Copy builds the member copy of a hub record: the same name, namespace, labels and spec; the
// record's deletion policy, so a copy whose record vanished while its cluster was away is still
// handled as its owner asked; and the ID of the hub that made it (seiv1alpha1.AnnotationHubID), so a
// hub sweeps only its own copies.
func Copy(record *seiv1alpha1.SeiNode, hubID string) *seiv1alpha1.SeiNode {
	labels := map[string]string{LabelManagedBy: ManagedByHub}
	for k, v := range record.Labels {
		labels[k] = v
	}
	annotations := map[string]string{seiv1alpha1.AnnotationHubID: hubID}
	if p := record.Annotations[seiv1alpha1.AnnotationDeletionPolicy]; p != "" {
		annotations[seiv1alpha1.AnnotationDeletionPolicy] = p
	}
	return &seiv1alpha1.SeiNode{
		TypeMeta:   metav1.TypeMeta{APIVersion: seiv1alpha1.GroupVersion.String(), Kind: "SeiNode"},
		ObjectMeta: metav1.ObjectMeta{Namespace: record.Namespace, Name: record.Name, Labels: labels, Annotations: annotations},
		Spec:       *record.Spec.DeepCopy(),
	}
}

// Create server-side applies a member copy that does not exist yet as the hub (field owner sei-hub).
func Create(ctx context.Context, member client.Client, scheme *runtime.Scheme, copy *seiv1alpha1.SeiNode) error {
	return kube.Apply(ctx, member, scheme, copy, seiv1alpha1.FieldOwnerHub)
}

// Update server-side applies an existing member copy, the one with uid, as the hub (field owner
// sei-hub). It never creates one: if that copy is gone (a fence deleted it since it was read), the
// apiserver refuses the write with a conflict.
func Update(ctx context.Context, member client.Client, scheme *runtime.Scheme, copy *seiv1alpha1.SeiNode, uid types.UID) error {
	return kube.ApplyExisting(ctx, member, scheme, copy, seiv1alpha1.FieldOwnerHub, uid)
}

// Orphan lets go of a member copy: it keeps running, and the hub no longer manages or sweeps it.
func Orphan(ctx context.Context, member client.Client, node *seiv1alpha1.SeiNode, when string) error {
	if node.Labels[LabelManagedBy] != ManagedByHub {
		return nil
	}
	patch := client.MergeFrom(node.DeepCopy())
	delete(node.Labels, LabelManagedBy)
	if node.Annotations == nil {
		node.Annotations = map[string]string{}
	}
	node.Annotations[AnnotationOrphaned] = when
	if err := member.Patch(ctx, node, patch, client.FieldOwner(seiv1alpha1.FieldOwnerHub)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("orphan member SeiNode %s/%s: %w", node.Namespace, node.Name, err)
	}
	return nil
}
