// Command gen-crd-docs writes the CRD reference (docs/crd-reference.md) from the generated
// CustomResourceDefinitions in deploy/crds: every field of every kind with its type, default,
// validation (OpenAPI constraints and the CEL rules' messages) and description, and the kind's
// kubectl columns. The CRDs are the source because they are what the API server enforces; they are
// generated from api/v1alpha1 by `make manifests`, which runs this command after them.
//
// Usage:
//
//	go run ./hack/gen-crd-docs [-crds deploy/crds] [-out docs/crd-reference.md] [-check]
//
// With -check nothing is written: the command fails when the reference differs from what it would
// write, naming the command that fixes it. Output is deterministic: fields are sorted by name, kinds
// by kind, and nothing depends on the clock or on map order.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "gen-crd-docs: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen-crd-docs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	crdDir := fs.String("crds", "deploy/crds", "folder of the generated CRD files (*.yaml; other kinds are skipped)")
	out := fs.String("out", "docs/crd-reference.md", "the reference to write")
	check := fs.Bool("check", false, "write nothing; fail when the reference is stale")
	if err := fs.Parse(args); err != nil {
		return err
	}
	crds, err := loadCRDs(*crdDir)
	if err != nil {
		return err
	}
	doc, err := render(crds)
	if err != nil {
		return err
	}
	if *check {
		have, err := os.ReadFile(*out)
		if err != nil {
			return fmt.Errorf("read %s: %w", *out, err)
		}
		if !bytes.Equal(have, doc) {
			return fmt.Errorf("%s is stale: run make docs", *out)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return fmt.Errorf("create folder of %s: %w", *out, err)
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	return nil
}

// loadCRDs reads every CustomResourceDefinition among dir's *.yaml files (not its subfolders: OCM's
// CRDs live in one and are not ours to document), sorted by kind.
func loadCRDs(dir string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	sort.Strings(files)
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("decode %s: %w", f, err)
		}
		if head.Kind != "CustomResourceDefinition" {
			continue // kustomization.yaml
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(raw, crd); err != nil {
			return nil, fmt.Errorf("decode %s: %w", f, err)
		}
		crds = append(crds, crd)
	}
	if len(crds) == 0 {
		return nil, errors.New("no CustomResourceDefinition in " + dir)
	}
	sort.Slice(crds, func(i, j int) bool { return crds[i].Spec.Names.Kind < crds[j].Spec.Names.Kind })
	return crds, nil
}
