package clusterview

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Responses are the bulk of what a view rewrites (every list item, every watch event), so they are
// rewritten in one pass over the bytes (scan.go): values are copied as they came but for metadata's
// namespace (or a Namespace's name), metadata's labels and an Event's object reference. Nothing is
// decoded; a Status, rare and small, is the exception.

var (
	keyKind      = []byte(`"kind"`)
	keyItems     = []byte(`"items"`)
	keyObject    = []byte(`"object"`)
	keyMetadata  = []byte(`"metadata"`)
	keyNamespace = []byte(`"namespace"`)
	keyName      = []byte(`"name"`)
	keyLabels    = []byte(`"labels"`)
	keyInvolved  = []byte(`"involvedObject"`)
	keyRegarding = []byte(`"regarding"`)
	keyLabelView = []byte(`"` + LabelView + `"`)
	keyNsName    = []byte(`"` + nsNameLabel + `"`)
	kindStatus   = []byte(`"Status"`)
)

// members writes the members of one object, with commas between them.
type members struct {
	out *bytes.Buffer
	n   int
}

func (m *members) key(k []byte) {
	if m.n > 0 {
		m.out.WriteByte(',')
	}
	m.n++
	m.out.Write(k)
	m.out.WriteByte(':')
}

// rewriteResponse maps a whole (non-watch) response body back into the view.
func (v *View) rewriteResponse(body []byte, nsObjects bool) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(body))
	if err := v.writeDoc(&out, body, nsObjects); err != nil {
		return nil, fmt.Errorf("rewrite upstream response: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// writeDoc writes an upstream document (an object, a list or a Status) mapped back into the view and
// without the view's label.
func (v *View) writeDoc(out *bytes.Buffer, doc []byte, nsObjects bool) error {
	status := false
	if err := eachMember(doc, func(k, val []byte) error {
		if bytes.Equal(k, keyKind) {
			status = bytes.Equal(val, kindStatus)
		}
		return nil
	}); err != nil {
		return err
	}
	if status {
		return v.writeStatus(out, doc)
	}
	return v.writeObject(out, doc, nsObjects, true)
}

// writeObject writes an object, or at the top (list) a list whose items it writes as objects.
func (v *View) writeObject(out *bytes.Buffer, obj []byte, nsObjects, top bool) error {
	m := members{out: out}
	out.WriteByte('{')
	err := eachMember(obj, func(k, val []byte) error {
		m.key(k)
		switch {
		case top && val[0] == '[' && bytes.Equal(k, keyItems):
			return v.writeItems(out, val, nsObjects)
		case val[0] == '{' && bytes.Equal(k, keyMetadata):
			return v.writeMetadata(out, val, nsObjects)
		case val[0] == '{' && (bytes.Equal(k, keyInvolved) || bytes.Equal(k, keyRegarding)):
			return v.writeMembers(out, val, keyNamespace)
		}
		out.Write(val)
		return nil
	})
	out.WriteByte('}')
	return err
}

func (v *View) writeItems(out *bytes.Buffer, items []byte, nsObjects bool) error {
	n := 0
	out.WriteByte('[')
	err := eachElement(items, func(it []byte) error {
		if n > 0 {
			out.WriteByte(',')
		}
		n++
		if it[0] != '{' {
			out.Write(it)
			return nil
		}
		return v.writeObject(out, it, nsObjects, false)
	})
	out.WriteByte(']')
	return err
}

func (v *View) writeMetadata(out *bytes.Buffer, md []byte, nsObjects bool) error {
	field := keyNamespace
	if nsObjects {
		field = keyName
	}
	m := members{out: out}
	out.WriteByte('{')
	err := eachMember(md, func(k, val []byte) error {
		switch {
		case bytes.Equal(k, field):
			m.key(k)
			v.writeTrimmed(out, val)
		case val[0] == '{' && bytes.Equal(k, keyLabels):
			return v.writeLabels(&m, k, val, nsObjects)
		default:
			m.key(k)
			out.Write(val)
		}
		return nil
	})
	out.WriteByte('}')
	return err
}

// writeLabels writes labels without the view's, and nothing when no other is left.
func (v *View) writeLabels(m *members, k, labels []byte, nsObjects bool) error {
	mark, n := m.out.Len(), m.n
	m.key(k)
	kept := members{out: m.out}
	m.out.WriteByte('{')
	err := eachMember(labels, func(lk, lv []byte) error {
		if bytes.Equal(lk, keyLabelView) {
			return nil
		}
		kept.key(lk)
		if nsObjects && bytes.Equal(lk, keyNsName) {
			v.writeTrimmed(m.out, lv)
		} else {
			m.out.Write(lv)
		}
		return nil
	})
	m.out.WriteByte('}')
	if kept.n == 0 {
		m.out.Truncate(mark)
		m.n = n
	}
	return err
}

// writeMembers writes an object with the view's prefix trimmed from field.
func (v *View) writeMembers(out *bytes.Buffer, obj, field []byte) error {
	m := members{out: out}
	out.WriteByte('{')
	err := eachMember(obj, func(k, val []byte) error {
		m.key(k)
		if bytes.Equal(k, field) {
			v.writeTrimmed(out, val)
		} else {
			out.Write(val)
		}
		return nil
	})
	out.WriteByte('}')
	return err
}

// writeTrimmed writes a raw JSON string without the view's prefix. The prefix is a DNS label and a
// dash, which JSON never escapes, so a raw match is a match.
func (v *View) writeTrimmed(out *bytes.Buffer, s []byte) {
	if len(s) > len(v.prefix) && s[0] == '"' && string(s[1:1+len(v.prefix)]) == v.prefix {
		out.WriteByte('"')
		out.Write(s[1+len(v.prefix):])
		return
	}
	out.Write(s)
}

// writeStatus writes a Status with the Namespace names it names mapped back into the view.
func (v *View) writeStatus(out *bytes.Buffer, doc []byte) error {
	decoded, err := decodeJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	st, ok := decoded.(map[string]any)
	if !ok {
		return errors.New("status is not a JSON object")
	}
	if msg, ok := st["message"].(string); ok {
		msg = strings.ReplaceAll(msg, `"`+v.prefix, `"`)
		st["message"] = strings.ReplaceAll(msg, "namespace "+v.prefix, "namespace ")
	}
	if details, ok := st["details"].(map[string]any); ok && details["kind"] == "namespaces" {
		if n, ok := details["name"].(string); ok {
			details["name"] = strings.TrimPrefix(n, v.prefix)
		}
	}
	mark := out.Len()
	if err := encodeJSON(out, st); err != nil {
		return err
	}
	// encodeJSON ends with a newline; the caller frames the document.
	out.Truncate(mark + len(bytes.TrimSuffix(out.Bytes()[mark:], []byte("\n"))))
	return nil
}

// writeEvent writes one watch event ({"type":…,"object":…}) mapped back into the view.
func (v *View) writeEvent(out *bytes.Buffer, ev []byte, nsObjects bool) error {
	m := members{out: out}
	out.WriteByte('{')
	err := eachMember(ev, func(k, val []byte) error {
		m.key(k)
		if val[0] == '{' && bytes.Equal(k, keyObject) {
			// BOOKMARKs carry only a resourceVersion (and annotations); ERRORs a Status.
			return v.writeDoc(out, val, nsObjects)
		}
		out.Write(val)
		return nil
	})
	out.WriteString("}\n")
	return err
}

// watchBody rewrites a watch stream event by event: each Read returns at most what is left of one
// event, so the proxy flushes every event as it comes.
type watchBody struct {
	v         *View
	nsObjects bool
	src       io.ReadCloser
	// in holds upstream bytes; in[r:e] is not yet rewritten.
	in   []byte
	r, e int
	out  bytes.Buffer
	err  error
}

func (v *View) newWatchBody(src io.ReadCloser, nsObjects bool) *watchBody {
	return &watchBody{v: v, nsObjects: nsObjects, src: src, in: make([]byte, 32<<10)}
}

func (w *watchBody) Read(p []byte) (int, error) {
	for w.out.Len() == 0 {
		if w.err != nil {
			return 0, w.err
		}
		w.err = w.next()
	}
	return w.out.Read(p)
}

// next rewrites the next whole event into out, reading from the upstream until it has one.
func (w *watchBody) next() error {
	for {
		start := skipWS(w.in[:w.e], w.r)
		if start < w.e {
			end, err := skipValue(w.in[:w.e], start)
			if err == nil {
				w.r = end
				return w.v.writeEvent(&w.out, w.in[start:end], w.nsObjects)
			}
			if !errors.Is(err, errTruncated) {
				return err
			}
		}
		// Keep the partial event at the front, with room to read more.
		w.e = copy(w.in, w.in[w.r:w.e])
		w.r = 0
		if w.e == len(w.in) {
			w.in = append(w.in, make([]byte, len(w.in))...)
		}
		n, err := w.src.Read(w.in[w.e:])
		w.e += n
		if err != nil && n == 0 {
			if errors.Is(err, io.EOF) && skipWS(w.in[:w.e], 0) < w.e {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
}

func (w *watchBody) Close() error { return w.src.Close() }
