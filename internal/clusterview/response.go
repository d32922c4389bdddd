package clusterview

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Responses are rewritten field by field: an object is decoded one level deep (map of raw JSON), and
// only the fields a view maps (metadata's namespace, name and labels; an Event's object reference; a
// Status's message and details) are decoded and encoded again. Spec, status and managedFields pass as
// they came, unparsed but for the scan that finds where they end.

type rawObject = map[string]json.RawMessage

// labelViewJSON finds the view's label in raw labels without decoding them.
var labelViewJSON = []byte(`"` + LabelView + `"`)

// writeObject writes obj, its keys sorted, its raw values as they are: encoding/json would scan every
// raw value again to compact it.
func writeObject(buf *bytes.Buffer, obj rawObject) {
	buf.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(obj)) {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeKey(buf, k)
		buf.WriteByte(':')
		buf.Write(obj[k])
	}
	buf.WriteByte('}')
}

// writeKey writes a JSON string; object keys seldom need escaping.
func writeKey(buf *bytes.Buffer, k string) {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(k)
			buf.Write(q)
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(k)
	buf.WriteByte('"')
}

func objectJSON(obj rawObject, sizeHint int) json.RawMessage {
	var buf bytes.Buffer
	buf.Grow(sizeHint)
	writeObject(&buf, obj)
	return buf.Bytes()
}

// marshal encodes v without a trailing newline and without escaping HTML.
func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := encodeJSON(&buf, v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// rewriteResponse maps a whole (non-watch) response body back into the view.
func (v *View) rewriteResponse(body []byte, nsObjects bool) ([]byte, error) {
	var doc rawObject
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("read upstream response: %w", err)
	}
	if err := v.fromUpstream(doc, nsObjects); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(body))
	writeObject(&out, doc)
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// fromUpstream maps an upstream document (an object, a list or a Status) back into the view and strips
// the view's label.
func (v *View) fromUpstream(doc rawObject, nsObjects bool) error {
	if kind, ok := doc["kind"]; ok && bytes.Equal(kind, []byte(`"Status"`)) {
		return v.statusFromUpstream(doc)
	}
	raw, ok := doc["items"]
	if !ok {
		return v.objectFromUpstream(doc, nsObjects)
	}
	var items []rawObject
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("read upstream list: %w", err)
	}
	for _, it := range items {
		if err := v.objectFromUpstream(it, nsObjects); err != nil {
			return err
		}
	}
	var out bytes.Buffer
	out.Grow(len(raw))
	out.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			out.WriteByte(',')
		}
		writeObject(&out, it)
	}
	out.WriteByte(']')
	doc["items"] = out.Bytes()
	return nil
}

func (v *View) objectFromUpstream(obj rawObject, nsObjects bool) error {
	for _, key := range [...]string{"involvedObject", "regarding"} {
		if raw, ok := obj[key]; ok {
			out, changed, err := v.trimField(raw, "namespace")
			if err != nil {
				return err
			}
			if changed {
				obj[key] = out
			}
		}
	}
	raw, ok := obj["metadata"]
	if !ok {
		return nil
	}
	var md rawObject
	if err := json.Unmarshal(raw, &md); err != nil {
		return fmt.Errorf("read upstream metadata: %w", err)
	}
	changed := false
	field := "namespace"
	if nsObjects {
		field = "name"
	}
	if s, ok := md[field]; ok {
		out, trimmed, err := v.trimString(s)
		if err != nil {
			return err
		}
		if trimmed {
			md[field], changed = out, true
		}
	}
	if l, ok := md["labels"]; ok && (nsObjects || bytes.Contains(l, labelViewJSON)) {
		var labels map[string]string
		if err := json.Unmarshal(l, &labels); err != nil {
			return fmt.Errorf("read upstream labels: %w", err)
		}
		delete(labels, LabelView)
		if n, ok := labels[nsNameLabel]; ok && nsObjects {
			labels[nsNameLabel] = strings.TrimPrefix(n, v.prefix)
		}
		if len(labels) == 0 {
			delete(md, "labels")
		} else {
			out, err := marshal(labels)
			if err != nil {
				return err
			}
			md["labels"] = out
		}
		changed = true
	}
	if !changed {
		return nil
	}
	obj["metadata"] = objectJSON(md, len(raw))
	return nil
}

// trimString removes the view's prefix from a raw JSON string; it reports whether there was one.
func (v *View) trimString(raw json.RawMessage) (json.RawMessage, bool, error) {
	// The prefix is a DNS label and a dash: it needs no escaping, so a raw match is a match.
	if !bytes.HasPrefix(raw, []byte(`"`+v.prefix)) {
		return raw, false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, false, fmt.Errorf("read upstream string: %w", err)
	}
	out, err := marshal(strings.TrimPrefix(s, v.prefix))
	return out, true, err
}

// trimField removes the view's prefix from field of a raw JSON object.
func (v *View) trimField(raw json.RawMessage, field string) (json.RawMessage, bool, error) {
	if !bytes.Contains(raw, []byte(`"`+v.prefix)) {
		return raw, false, nil
	}
	var obj rawObject
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, false, fmt.Errorf("read upstream object reference: %w", err)
	}
	s, ok := obj[field]
	if !ok {
		return raw, false, nil
	}
	out, changed, err := v.trimString(s)
	if err != nil || !changed {
		return raw, false, err
	}
	obj[field] = out
	return objectJSON(obj, len(raw)), true, nil
}

// statusFromUpstream maps the Namespace names a Status names back into the view.
func (v *View) statusFromUpstream(st rawObject) error {
	if raw, ok := st["message"]; ok && bytes.Contains(raw, []byte(v.prefix)) {
		var msg string
		if err := json.Unmarshal(raw, &msg); err != nil {
			return fmt.Errorf("read upstream status: %w", err)
		}
		msg = strings.ReplaceAll(msg, `"`+v.prefix, `"`)
		out, err := marshal(strings.ReplaceAll(msg, "namespace "+v.prefix, "namespace "))
		if err != nil {
			return err
		}
		st["message"] = out
	}
	if raw, ok := st["details"]; ok && bytes.Contains(raw, []byte(`"namespaces"`)) {
		out, changed, err := v.trimField(raw, "name")
		if err != nil {
			return err
		}
		if changed {
			st["details"] = out
		}
	}
	return nil
}

// watchEvent is one event of a watch stream.
type watchEvent struct {
	Type   string    `json:"type"`
	Object rawObject `json:"object"`
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
	return &watchBody{v: v, nsObjects: nsObjects, src: src, dec: json.NewDecoder(src)}
}

func (w *watchBody) Read(p []byte) (int, error) {
	for w.buf.Len() == 0 {
		w.ev = watchEvent{}
		if err := w.dec.Decode(&w.ev); err != nil {
			return 0, err
		}
		if w.ev.Object != nil {
			// BOOKMARKs carry only a resourceVersion (and annotations); ERRORs a Status.
			if err := w.v.fromUpstream(w.ev.Object, w.nsObjects); err != nil {
				return 0, err
			}
		}
		w.buf.WriteString(`{"type":`)
		writeKey(&w.buf, w.ev.Type)
		w.buf.WriteString(`,"object":`)
		if w.ev.Object == nil {
			w.buf.WriteString("null")
		} else {
			writeObject(&w.buf, w.ev.Object)
		}
		w.buf.WriteString("}\n")
	}
	return w.buf.Read(p)
}

func (w *watchBody) Close() error { return w.src.Close() }
