package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// Finding is a needle found in a cluster object.
type Finding struct {
	Resource, Namespace, Name string
	Needle                    string
}

// ScanCluster lists every object of every listable resource on the cluster at cfg, in every namespace,
// and reports each object whose JSON contains one of needles (secrets that must not be there). Needles
// are reported by position, never echoed, so the report itself leaks nothing.
func ScanCluster(ctx context.Context, cfg *rest.Config, needles []string) ([]Finding, int, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, 0, fmt.Errorf("discovery client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, 0, fmt.Errorf("dynamic client: %w", err)
	}
	lists, err := dc.ServerPreferredResources()
	if err != nil {
		return nil, 0, fmt.Errorf("discover resources: %w", err)
	}
	var found []Finding
	scanned := 0
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerb(r.Verbs, "list") {
				continue
			}
			objs, err := dyn.Resource(gv.WithResource(r.Name)).List(ctx, listAll)
			if err != nil {
				continue // some resources (e.g. tokenreviews) list nothing
			}
			for i := range objs.Items {
				scanned++
				found = append(found, scanObject(r.Name, &objs.Items[i], needles)...)
			}
		}
	}
	return found, scanned, nil
}

// ScanText reports which needles (by position) appear in text.
func ScanText(text string, needles []string) []int {
	var out []int
	for i, n := range needles {
		if n != "" && strings.Contains(text, n) {
			out = append(out, i)
		}
	}
	return out
}

func scanObject(resource string, obj *unstructured.Unstructured, needles []string) []Finding {
	raw, err := json.Marshal(obj.Object)
	if err != nil {
		return nil
	}
	var out []Finding
	for _, i := range ScanText(string(raw), needles) {
		out = append(out, Finding{Resource: resource, Namespace: obj.GetNamespace(), Name: obj.GetName(), Needle: fmt.Sprintf("needle #%d", i)})
	}
	return out
}

func hasVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

var listAll = metav1.ListOptions{}
