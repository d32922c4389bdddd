package deploy_test

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Every sample under deploy/samples (recursively) passes server-side dry-run on the hub, where they
// are meant to be applied; SeiNode samples (standalone agent use) also on a member. Samples live in
// the user's namespaces, which the test creates first as a user would.
func TestSamplesPassServerSideDryRun(t *testing.T) {
	g := NewWithT(t)
	root := filepath.Join(deployDir(), "samples")
	var files []string
	g.Expect(filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".yaml") {
			files = append(files, path)
		}
		return err
	})).To(Succeed())
	g.Expect(files).NotTo(BeEmpty())

	for _, path := range files {
		rel, err := filepath.Rel(deployDir(), path)
		g.Expect(err).NotTo(HaveOccurred())
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			g := NewWithT(t)
			objs, err := decodeFile(path)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(objs).NotTo(BeEmpty())
			var seiNodes []*unstructured.Unstructured
			for _, o := range objs {
				if o.GetKind() == "SeiNode" {
					seiNodes = append(seiNodes, o)
				}
			}
			for name, set := range map[string][]*unstructured.Unstructured{hubCluster: objs, memberCluster: seiNodes} {
				if len(set) == 0 {
					continue
				}
				cl := cluster(t, name).Client
				g.Expect(ensureNamespaces(t.Context(), cl, namespacesUsed(set)...)).To(Succeed())
				g.Expect(dryRunAll(t.Context(), cl, set)).To(BeEmpty(), "server-side dry-run on the %s cluster", name)
			}
		})
	}
}
