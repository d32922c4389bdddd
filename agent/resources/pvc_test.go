package resources

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

const testDeploymentUID = "6f1c2e9a-3b7d-4e58-9a0c-d2f4b6e8a1c3"

// TestAdoptDataPVC judges claims of the node's name: the node's own (also when an earlier SeiNode of
// that name owned it, or an older agent made it), one being deleted, and foreign ones.
func TestAdoptDataPVC(t *testing.T) {
	validator := newNode("val-0").MintedValidator().WithLabels(map[string]string{seiv1alpha1.LabelDeploymentUID: testDeploymentUID}).Build()
	full := newNode("val-0").Build()
	earlier := validator.DeepCopy()
	earlier.UID = "uid-of-an-earlier-copy"

	// claimOf is the claim node's agent would have created, then edited.
	claimOf := func(node *seiv1alpha1.SeiNode, edit func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
		pvc, err := BuildDataPVC(node, devConfig())
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		if edit != nil {
			edit(pvc)
		}
		return pvc
	}
	ownedByNode := func(owner *seiv1alpha1.SeiNode) func(*corev1.PersistentVolumeClaim) {
		return func(p *corev1.PersistentVolumeClaim) {
			p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(owner, seiv1alpha1.GroupVersion.WithKind("SeiNode"))}
		}
	}
	label := func(k, v string) func(*corev1.PersistentVolumeClaim) {
		return func(p *corev1.PersistentVolumeClaim) {
			if v == "" {
				delete(p.Labels, k)
			} else {
				p.Labels[k] = v
			}
		}
	}

	for _, tc := range []struct {
		name       string
		node       *seiv1alpha1.SeiNode
		claim      *corev1.PersistentVolumeClaim
		wantOwners []metav1.OwnerReference
		wantErr    string
	}{
		{name: "the validator's own claim", node: validator, claim: claimOf(validator, nil)},
		{name: "owned by an earlier copy of the validator: released", node: validator, claim: claimOf(validator, ownedByNode(earlier))},
		{name: "made by an older agent, owned by this validator: released", node: validator, claim: claimOf(validator, ownedByNode(validator))},
		{
			name: "made before the deployment UID label: labelled", node: validator,
			claim: claimOf(validator, label(seiv1alpha1.LabelDeploymentUID, "")),
		},
		{
			name: "a full node's claim owned by an earlier copy: adopted", node: full,
			claim: claimOf(full, ownedByNode(&seiv1alpha1.SeiNode{ObjectMeta: metav1.ObjectMeta{Name: "val-0", UID: "old"}})), wantOwners: []metav1.OwnerReference{ownedBy(full)},
		},
		{
			name: "being deleted", node: validator,
			claim:   claimOf(validator, func(p *corev1.PersistentVolumeClaim) { p.DeletionTimestamp = &metav1.Time{} }),
			wantErr: ErrClaimTerminating.Error(),
		},
		{
			name: "another deployment's", node: validator, claim: claimOf(validator, label(seiv1alpha1.LabelDeploymentUID, "0000")),
			wantErr: `it belongs to deployment UID "0000", this node to "` + testDeploymentUID + `"`,
		},
		{
			name: "a deployment's claim for a node outside any deployment", node: newNode("val-0").MintedValidator().Build(),
			claim:   claimOf(validator, nil),
			wantErr: `it belongs to deployment UID "` + testDeploymentUID + `", this node to ""`,
		},
		{name: "another node's", node: validator, claim: claimOf(validator, label(seiv1alpha1.LabelNode, "val-1")), wantErr: `label sei.io/node is "val-1", not "val-0"`},
		{name: "another chain's", node: validator, claim: claimOf(validator, label(seiv1alpha1.LabelChain, "pacific-1")), wantErr: `label sei.io/chain is "pacific-1"`},
		{name: "a full node's, for a validator", node: validator, claim: claimOf(full, nil), wantErr: `label sei.io/role is "full", not "validator"`},
		{name: "a validator's, for a full node", node: full, claim: claimOf(validator, nil), wantErr: `label sei.io/role is "validator", not "full"`},
		{
			name: "not made by the agent (no labels)", node: validator,
			claim:   claimOf(validator, func(p *corev1.PersistentVolumeClaim) { p.Labels = nil }),
			wantErr: "it has no label sei.io/node",
		},
		{
			name: "owned by something else", node: validator,
			claim: claimOf(validator, func(p *corev1.PersistentVolumeClaim) {
				p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "val-0", UID: "x"}}
			}),
			wantErr: "owned by StatefulSet val-0",
		},
		{
			name: "owned by a SeiNode of another name", node: validator,
			claim:   claimOf(validator, ownedByNode(newNode("val-1").MintedValidator().Build())),
			wantErr: "owned by SeiNode val-1",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			before := tc.claim.DeepCopy()
			meta, err := AdoptDataPVC(tc.node, tc.claim, devConfig())
			g.Expect(tc.claim).To(Equal(before), "the claim passed in is not modified")
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				var foreign *ForeignClaimError
				g.Expect(errors.As(err, &foreign) || errors.Is(err, ErrClaimTerminating)).To(BeTrue())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			want, err := BuildDataPVC(tc.node, devConfig())
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(meta.Labels).To(Equal(want.Labels))
			g.Expect(meta.Name).To(Equal(tc.claim.Name))
			if tc.wantOwners == nil {
				g.Expect(meta.OwnerReferences).To(BeEmpty())
			} else {
				g.Expect(meta.OwnerReferences).To(Equal(tc.wantOwners))
			}
		})
	}
}
