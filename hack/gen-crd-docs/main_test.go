package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
)

// The committed reference matches the committed CRDs: a changed API without `make docs` fails here.
func TestReferenceIsUpToDate(t *testing.T) {
	g := NewWithT(t)
	err := run([]string{"-crds", "../../deploy/crds", "-out", "../../docs/crd-reference.md", "-check"}, io.Discard)
	g.Expect(err).NotTo(HaveOccurred(), "regenerate it with: make docs")
}

func TestOutputIsDeterministic(t *testing.T) {
	g := NewWithT(t)
	crds, err := loadCRDs("../../deploy/crds")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(crds).To(HaveLen(3), "the three sei.io kinds, not kustomization.yaml or OCM's CRDs")
	first, err := render(crds)
	g.Expect(err).NotTo(HaveOccurred())
	for range 5 {
		again, err := render(crds)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(bytes.Equal(first, again)).To(BeTrue())
	}
}

func TestCheckFailsOnAStaleReference(t *testing.T) {
	g := NewWithT(t)
	out := filepath.Join(t.TempDir(), "ref.md")
	g.Expect(os.WriteFile(out, []byte("old\n"), 0o600)).To(Succeed())
	err := run([]string{"-crds", "../../deploy/crds", "-out", out, "-check"}, io.Discard)
	g.Expect(err).To(MatchError(ContainSubstring("is stale: run make docs")))
	g.Expect(run([]string{"-crds", "../../deploy/crds", "-out", out}, io.Discard)).To(Succeed())
	g.Expect(run([]string{"-crds", "../../deploy/crds", "-out", out, "-check"}, io.Discard)).To(Succeed())
}

// Every field of every schema gets a row, with its type, default, constraints and CEL messages, and
// nothing in a cell can break the table.
func TestRowsCarryTypeDefaultAndValidation(t *testing.T) {
	g := NewWithT(t)
	spec := apiextensionsv1.JSONSchemaProps{
		Type:     "object",
		Required: []string{"name"},
		Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"name": {Type: "string", Pattern: "^(a|b)$", MaxLength: ptr.To(int64(63)), Description: "name of\nthe thing.\n\nMore text."},
			"size": {XIntOrString: true, Pattern: quantityPattern + "...$"},
			"count": {Type: "integer", Format: "int32", Default: &apiextensionsv1.JSON{Raw: []byte(`3`)},
				XValidations: apiextensionsv1.ValidationRules{{Rule: "self >= 1", Message: "count must be <positive>"}}},
			"tags": {Type: "array", XListType: ptr.To("set"), Items: &apiextensionsv1.JSONSchemaPropsOrArray{
				Schema: &apiextensionsv1.JSONSchemaProps{Type: "string", MinLength: ptr.To(int64(1))},
			}},
			"items": {Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{
				Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"id": {Type: "string"}},
			}}},
			"labels": {Type: "object", AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{
				Schema: &apiextensionsv1.JSONSchemaProps{Type: "string"},
			}},
			"empty": {Type: "object"},
		},
	}
	var rows []row
	walk("spec", &spec, true, &rows)
	byPath := map[string]row{}
	var paths []string
	for _, r := range rows {
		byPath[r.path] = r
		paths = append(paths, r.path)
	}
	g.Expect(paths).To(Equal([]string{
		"spec", "spec.count", "spec.empty", "spec.items", "spec.items[].id", "spec.labels", "spec.name", "spec.size", "spec.tags",
	}))
	g.Expect(byPath["spec"].valid).To(Equal("**required**"))
	g.Expect(byPath["spec.name"].valid).To(Equal("**required**; length at most 63; pattern `^(a\\|b)$`"))
	g.Expect(byPath["spec.name"].desc).To(Equal("name of the thing."))
	g.Expect(byPath["spec.size"].typ).To(Equal("quantity"))
	g.Expect(byPath["spec.size"].valid).To(BeEmpty(), "a quantity's pattern is not shown")
	g.Expect(byPath["spec.count"].typ).To(Equal("integer (int32)"))
	g.Expect(byPath["spec.count"].def).To(Equal("`3`"))
	g.Expect(byPath["spec.count"].valid).To(Equal("rule: count must be &lt;positive&gt;"))
	g.Expect(byPath["spec.tags"].typ).To(Equal("[]string"))
	g.Expect(byPath["spec.tags"].valid).To(Equal("unique items; each item: length at least 1"))
	g.Expect(byPath["spec.items"].typ).To(Equal("[]object"))
	g.Expect(byPath["spec.labels"].typ).To(Equal("map[string]string"))
	g.Expect(byPath["spec.empty"].typ).To(HavePrefix("object (no fields"))
	for _, r := range rows {
		for _, c := range []string{r.typ, r.def, r.valid, r.desc} {
			g.Expect(strings.ReplaceAll(c, `\|`, "")).NotTo(ContainSubstring("|"), r.path)
			g.Expect(c).NotTo(ContainSubstring("\n"), r.path)
		}
	}
}
