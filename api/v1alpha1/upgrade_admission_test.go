package v1alpha1_test

import (
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const upgradeFragment = `upgrade: {name: v2, height: 100, image: "seid:v2"}`

// A network upgrade is refused at admission when it is malformed, and while it is declared the image
// of the deployment cannot change: nothing may run the new image before the upgrade height.
func TestUpgradeAdmission(t *testing.T) {
	for _, tc := range []struct {
		name, fragment, want string
	}{
		{"height zero", `upgrade: {name: v2, height: 0, image: "seid:v2"}`, "spec.upgrade.height"},
		{"no image", `upgrade: {name: v2, height: 10}`, "spec.upgrade.image"},
		{"same image", `upgrade: {name: v2, height: 10, image: "seid:v1"}`, "spec.upgrade.image must differ from spec.image"},
		{"bad name", `upgrade: {name: "v 2", height: 10, image: "seid:v2"}`, "spec.upgrade.name"},
		{"with joins", upgradeFragment + "\njoins: {deployment: other}", "spec.upgrade is not allowed with spec.joins"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := dryRun(t, patch(t, validDeployment, tc.fragment))
			NewWithT(t).Expect(err).To(MatchError(ContainSubstring(tc.want)))
		})
	}
	t.Run("valid", func(t *testing.T) {
		NewWithT(t).Expect(dryRun(t, patch(t, validDeployment, upgradeFragment))).To(Succeed())
	})
}

func TestUpgradeHoldsTheImageUntilItIsRemoved(t *testing.T) {
	g := NewWithT(t)
	u := patch(t, validDeployment, upgradeFragment)
	u.SetName("upgrade-holds-image")
	g.Expect(fleet.Hub.Client.Create(t.Context(), u)).To(Succeed())
	t.Cleanup(func() { _ = fleet.Hub.Client.Delete(t.Context(), u) })

	update := func(fragment string) error {
		changed := patch(t, validDeployment, fragment)
		changed.SetName(u.GetName())
		changed.SetResourceVersion(u.GetResourceVersion())
		err := fleet.Hub.Client.Update(t.Context(), changed)
		if err == nil {
			u = changed
		}
		return err
	}
	// The image switch before the height is refused, whether to the upgrade's image or another.
	g.Expect(update(upgradeFragment + "\nimage: seid:v2")).To(MatchError(ContainSubstring("spec.image cannot change while spec.upgrade is set")))
	g.Expect(update(upgradeFragment + "\nimage: seid:v3")).To(MatchError(ContainSubstring("spec.image cannot change while spec.upgrade is set")))
	// The upgrade itself cannot be moved: cancel it first.
	g.Expect(update(`upgrade: {name: v2, height: 200, image: "seid:v2"}`)).To(MatchError(ContainSubstring("spec.upgrade is immutable once set")))
	// Removing it (a cancel, or the edit after the upgrade) may set the image in the same edit.
	g.Expect(update("upgrade: null\nimage: seid:v2")).To(Succeed())
	image, _, _ := unstructured.NestedString(u.Object, "spec", "image")
	g.Expect(image).To(Equal("seid:v2"))

	// Declaring an upgrade and changing the image in one edit is refused too.
	g.Expect(update(`upgrade: {name: v3, height: 300, image: "seid:v3"}` + "\nimage: seid:v2b")).
		To(MatchError(ContainSubstring("spec.image cannot change while spec.upgrade is set")))
	g.Expect(update(`upgrade: {name: v3, height: 300, image: "seid:v3"}` + "\nimage: seid:v2")).To(Succeed())
}
