package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// render builds the kustomization in dir as `kubectl apply -k dir` does (kustomize's defaults: files
// only from under dir, no plugins).
func render(dir string) ([]*unstructured.Unstructured, error) {
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", dir, err)
	}
	out := make([]*unstructured.Unstructured, 0, resMap.Size())
	for _, r := range resMap.Resources() {
		// Through JSON: kustomize's own maps hold Go ints, which unstructured objects do not.
		raw, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("render %s: %s: %w", dir, r.CurId(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("render %s: %s: %w", dir, r.CurId(), err)
		}
		out = append(out, u)
	}
	return out, nil
}

// decodeFile reads every object of a (multi-document) YAML file.
func decodeFile(path string) ([]*unstructured.Unstructured, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var out []*unstructured.Unstructured
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
		if len(bytes.TrimSpace(js)) == 0 || string(bytes.TrimSpace(js)) == "null" {
			continue // an empty document, e.g. comments only
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("decode %s: %w", path, err)
		}
		out = append(out, u)
	}
}

// describe names an object in failure messages: Kind namespace/name.
func describe(o *unstructured.Unstructured) string {
	if o.GetNamespace() == "" {
		return o.GetKind() + " " + o.GetName()
	}
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}

// convert decodes an unstructured object into a typed one.
func convert[T any](o *unstructured.Unstructured) (*T, error) {
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, out); err != nil {
		return nil, fmt.Errorf("decode %s: %w", describe(o), err)
	}
	return out, nil
}

// ofKind returns the objects of kind, typed.
func ofKind[T any](objs []*unstructured.Unstructured, kind string) ([]*T, error) {
	var out []*T
	for _, o := range objs {
		if o.GetKind() != kind {
			continue
		}
		typed, err := convert[T](o)
		if err != nil {
			return nil, err
		}
		out = append(out, typed)
	}
	return out, nil
}

// applyRank orders objects as they must reach a cluster: Namespaces, then CRDs, then the other
// cluster-scoped objects, then namespaced ones.
func applyRank(c client.Client, o *unstructured.Unstructured) (int, error) {
	switch o.GetKind() {
	case "Namespace":
		return 0, nil
	case "CustomResourceDefinition":
		return 1, nil
	}
	namespaced, err := c.IsObjectNamespaced(o)
	if err != nil {
		return 0, fmt.Errorf("scope of %s: %w", describe(o), err)
	}
	if namespaced {
		return 3, nil
	}
	return 2, nil
}

// dryRunAll dry-runs every object on c in apply order and returns every failure. A Namespace is applied
// for real once its dry-run passed, so the objects in it can be dry-run too (and its labels, such as
// the Pod Security level, hold for them).
func dryRunAll(ctx context.Context, c client.Client, objs []*unstructured.Unstructured) []error {
	ranks := map[*unstructured.Unstructured]int{}
	var errs []error
	for _, o := range objs {
		r, err := applyRank(c, o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ranks[o] = r
	}
	if len(errs) > 0 {
		return errs
	}
	ordered := append([]*unstructured.Unstructured(nil), objs...)
	sort.SliceStable(ordered, func(i, j int) bool { return ranks[ordered[i]] < ranks[ordered[j]] })
	for _, o := range ordered {
		if err := dryRun(ctx, c, o); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", describe(o), err))
			continue
		}
		if o.GetKind() == "Namespace" {
			if err := applyNamespace(ctx, c, o); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

// strict rejects unknown and duplicate fields, as `kubectl apply` does by default (the API's own default
// only warns, so a misspelt field would pass unnoticed).
const strict = client.FieldValidation(metav1.FieldValidationStrict)

// dryRun creates o with server-side dry-run or, when it exists (a CRD testfleet installed, a namespace
// an earlier test created), updates the live object to o with dry-run.
func dryRun(ctx context.Context, c client.Client, o *unstructured.Unstructured) error {
	err := c.Create(ctx, o.DeepCopy(), client.DryRunAll, strict)
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(o.GroupVersionKind())
	if err := c.Get(ctx, client.ObjectKeyFromObject(o), live); err != nil {
		return fmt.Errorf("get the existing object: %w", err)
	}
	update := o.DeepCopy()
	update.SetResourceVersion(live.GetResourceVersion())
	return c.Update(ctx, update, client.DryRunAll, strict)
}

// applyNamespace creates the Namespace o for real or, when it exists, sets o's labels and annotations
// on it.
func applyNamespace(ctx context.Context, c client.Client, o *unstructured.Unstructured) error {
	ns := &corev1.Namespace{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, ns); err != nil {
		return fmt.Errorf("decode %s: %w", describe(o), err)
	}
	live := &corev1.Namespace{}
	err := c.Get(ctx, client.ObjectKeyFromObject(ns), live)
	if apierrors.IsNotFound(err) {
		if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s: %w", describe(o), err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("get %s: %w", describe(o), err)
	}
	live.Labels, live.Annotations = mergeMaps(live.Labels, ns.Labels), mergeMaps(live.Annotations, ns.Annotations)
	if err := c.Update(ctx, live); err != nil {
		return fmt.Errorf("update %s: %w", describe(o), err)
	}
	return nil
}

func mergeMaps(dst, src map[string]string) map[string]string {
	if dst == nil && len(src) > 0 {
		dst = map[string]string{}
	}
	maps.Copy(dst, src)
	return dst
}

// ensureNamespaces creates the namespaces for real (envtest has no namespace controller: they stay).
func ensureNamespaces(ctx context.Context, c client.Client, names ...string) error {
	for _, name := range names {
		err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create namespace %s: %w", name, err)
		}
	}
	return nil
}

// namespacesUsed lists the namespaces of the namespaced objects in objs.
// namespacesUsed lists the namespaces objs put objects in, but kube-node-lease: every cluster has it
// (the apiserver creates it), and the agent only reads kubelet Leases there.
func namespacesUsed(objs []*unstructured.Unstructured) []string {
	seen := map[string]bool{corev1.NamespaceNodeLease: true}
	var out []string
	for _, o := range objs {
		if ns := o.GetNamespace(); ns != "" && !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}
