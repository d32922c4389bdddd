package clusterview

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"
)

// nsNameLabel is the label the apiserver puts on every Namespace, naming it.
const nsNameLabel = "kubernetes.io/metadata.name"

// Objects are rewritten as generic JSON (map[string]any, numbers kept as json.Number so no integer is
// rounded): a view only touches metadata, and decoding into typed objects would need every type's
// scheme and cost reflection per field.

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
		if n, ok := md["name"].(string); ok && n != "" {
			md["name"] = v.prefix + n
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
	mapReference(obj, v.prefix, true)
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

// fromUpstream maps an upstream response document (an object, a list or a Status) back into the view
// and strips the view's label.
func (v *View) fromUpstream(doc map[string]any, nsObjects bool) {
	if doc["kind"] == "Status" {
		v.statusFromUpstream(doc)
		return
	}
	if items, ok := doc["items"].([]any); ok {
		for _, it := range items {
			if obj, ok := it.(map[string]any); ok {
				v.objectFromUpstream(obj, nsObjects)
			}
		}
		return
	}
	v.objectFromUpstream(doc, nsObjects)
}

func (v *View) objectFromUpstream(obj map[string]any, nsObjects bool) {
	md, _ := obj["metadata"].(map[string]any)
	if md == nil {
		return
	}
	if nsObjects {
		if n, ok := md["name"].(string); ok {
			md["name"] = strings.TrimPrefix(n, v.prefix)
		}
	} else if ns, ok := md["namespace"].(string); ok {
		md["namespace"] = strings.TrimPrefix(ns, v.prefix)
	}
	if labels, ok := md["labels"].(map[string]any); ok {
		delete(labels, LabelView)
		if nsObjects {
			if n, ok := labels[nsNameLabel].(string); ok {
				labels[nsNameLabel] = strings.TrimPrefix(n, v.prefix)
			}
		}
		if len(labels) == 0 {
			delete(md, "labels")
		}
	}
	mapReference(obj, v.prefix, false)
}

// mapReference maps the namespace of the object an Event is about (core/v1 involvedObject,
// events.k8s.io/v1 regarding).
func mapReference(obj map[string]any, prefix string, toUpstream bool) {
	for _, key := range [...]string{"involvedObject", "regarding"} {
		ref, ok := obj[key].(map[string]any)
		if !ok {
			continue
		}
		ns, ok := ref["namespace"].(string)
		if !ok || ns == "" {
			continue
		}
		if toUpstream {
			ref["namespace"] = prefix + ns
		} else {
			ref["namespace"] = strings.TrimPrefix(ns, prefix)
		}
	}
}

// statusFromUpstream maps the Namespace names a Status names back into the view.
func (v *View) statusFromUpstream(st map[string]any) {
	if msg, ok := st["message"].(string); ok {
		msg = strings.ReplaceAll(msg, `"`+v.prefix, `"`)
		st["message"] = strings.ReplaceAll(msg, "namespace "+v.prefix, "namespace ")
	}
	if details, ok := st["details"].(map[string]any); ok && details["kind"] == "namespaces" {
		if n, ok := details["name"].(string); ok {
			details["name"] = strings.TrimPrefix(n, v.prefix)
		}
	}
}

// rewriteResponse maps a whole (non-watch) response body back into the view.
func (v *View) rewriteResponse(body []byte, nsObjects bool) ([]byte, error) {
	doc, err := decodeJSON(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("read upstream response: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return body, nil
	}
	v.fromUpstream(obj, nsObjects)
	var out bytes.Buffer
	out.Grow(len(body))
	if err := encodeJSON(&out, obj); err != nil {
		return nil, fmt.Errorf("write response: %w", err)
	}
	return out.Bytes(), nil
}

// watchEvent is one event of a watch stream.
type watchEvent struct {
	Type   string         `json:"type"`
	Object map[string]any `json:"object"`
}

// watchBody rewrites a watch stream event by event: each Read returns at most what is left of one
// event, so the proxy flushes every event as it comes.
type watchBody struct {
	v         *View
	nsObjects bool
	src       io.ReadCloser
	dec       *json.Decoder
	buf       bytes.Buffer
	ev        watchEvent
}

func (v *View) newWatchBody(src io.ReadCloser, nsObjects bool) *watchBody {
	dec := json.NewDecoder(src)
	dec.UseNumber()
	return &watchBody{v: v, nsObjects: nsObjects, src: src, dec: dec}
}

func (w *watchBody) Read(p []byte) (int, error) {
	for w.buf.Len() == 0 {
		w.ev = watchEvent{}
		if err := w.dec.Decode(&w.ev); err != nil {
			return 0, err
		}
		if w.ev.Object != nil {
			// BOOKMARKs carry only a resourceVersion (and annotations); ERRORs a Status.
			w.v.fromUpstream(w.ev.Object, w.nsObjects)
		}
		if err := encodeJSON(&w.buf, &w.ev); err != nil {
			return 0, err
		}
	}
	return w.buf.Read(p)
}

func (w *watchBody) Close() error { return w.src.Close() }
