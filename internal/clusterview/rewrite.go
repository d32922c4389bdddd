package clusterview

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// nsNameLabel is the label the apiserver puts on every Namespace, naming it.
const nsNameLabel = "kubernetes.io/metadata.name"

// Request bodies are rewritten as generic JSON (map[string]any, numbers kept as json.Number so no
// integer is rounded): patches of every kind touch metadata in many shapes, and decoding into typed
// objects would need every type's scheme. Responses, read far more often, take a cheaper path
// (response.go).

func decodeJSON(r io.Reader) (any, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func encodeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// rewriteRequestBody maps a create, update or patch body onto the upstream. contentType is the
// request's media type (no parameters). It returns the new body and its content type.
func (v *View) rewriteRequestBody(body []byte, contentType string, nsObjects bool) ([]byte, error) {
	if contentType == "application/apply-patch+yaml" {
		// Apply bodies may be YAML; JSON is YAML too, so the rewritten body keeps the content type.
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] != '{' {
			j, err := yaml.YAMLToJSON(body)
			if err != nil {
				return nil, fmt.Errorf("read apply body: %w", err)
			}
			body = j
		}
	}
	doc, err := decodeJSON(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	switch d := doc.(type) {
	case map[string]any:
		v.toUpstream(d, nsObjects)
	case []any:
		if contentType != "application/json-patch+json" {
			return nil, fmt.Errorf("request body is a JSON array, not an object")
		}
		v.jsonPatchToUpstream(d, nsObjects)
	default:
		return nil, fmt.Errorf("request body is not a JSON object")
	}
	var out bytes.Buffer
	out.Grow(len(body) + 64)
	if err := encodeJSON(&out, doc); err != nil {
		return nil, fmt.Errorf("write request body: %w", err)
	}
	return out.Bytes(), nil
}

// toUpstream maps an object (or a merge patch) sent by the client and ensures the view's label.
func (v *View) toUpstream(obj map[string]any, nsObjects bool) {
	md, _ := obj["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		obj["metadata"] = md
	}
	if nsObjects {
		// A generated name keeps the prefix too: the apiserver appends to generateName.
		for _, key := range [...]string{"name", "generateName"} {
			if n, ok := md[key].(string); ok && n != "" {
				md[key] = v.prefix + n
			}
		}
	} else if ns, ok := md["namespace"].(string); ok && ns != "" {
		md["namespace"] = v.prefix + ns
	}
	labels, _ := md["labels"].(map[string]any)
	if labels == nil {
		// Also replaces "labels": null in a merge patch, which would drop the view's label.
		labels = map[string]any{}
		md["labels"] = labels
	}
	labels[LabelView] = v.name
	if nsObjects {
		if n, ok := labels[nsNameLabel].(string); ok {
			labels[nsNameLabel] = v.prefix + n
		}
	}
	mapReference(obj, v.prefix)
}

// jsonPatchToUpstream maps the operations of a JSON patch that set the namespace or all labels.
func (v *View) jsonPatchToUpstream(ops []any, nsObjects bool) {
	for _, o := range ops {
		op, _ := o.(map[string]any)
		if op == nil {
			continue
		}
		path, _ := op["path"].(string)
		switch {
		case path == "/metadata/namespace" && !nsObjects, path == "/metadata/name" && nsObjects:
			if s, ok := op["value"].(string); ok && s != "" {
				op["value"] = v.prefix + s
			}
		case path == "/metadata/labels":
			if op["op"] == "remove" {
				op["op"] = "replace"
			}
			labels, _ := op["value"].(map[string]any)
			if labels == nil {
				labels = map[string]any{}
				op["value"] = labels
			}
			labels[LabelView] = v.name
		case path == "/metadata":
			if md, ok := op["value"].(map[string]any); ok {
				v.toUpstream(map[string]any{"metadata": md}, nsObjects)
			}
		}
	}
}

// mapReference maps the namespace of the object an Event is about (core/v1 involvedObject,
// events.k8s.io/v1 regarding) onto the upstream.
func mapReference(obj map[string]any, prefix string) {
	for _, key := range [...]string{"involvedObject", "regarding"} {
		ref, ok := obj[key].(map[string]any)
		if !ok {
			continue
		}
		ns, ok := ref["namespace"].(string)
		if !ok || ns == "" {
			continue
		}
		ref["namespace"] = prefix + ns
	}
}
