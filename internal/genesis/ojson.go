package genesis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// node is an ordered JSON value. Objects keep their member order and scalars
// keep their text exactly as read, so a genesis round-trips byte for byte
// through parse and encode (map[string]any would sort keys and reformat
// numbers).
type node struct {
	kind    nodeKind
	raw     []byte   // scalar: the JSON text
	members []member // object
	elems   []*node  // array
}

type nodeKind uint8

const (
	scalarNode nodeKind = iota
	objectNode
	arrayNode
)

type member struct {
	key string
	val *node
}

// parseJSON parses one JSON value. Duplicate object keys are rejected: Go
// (and so seid) would silently keep the last one.
func parseJSON(data []byte) (*node, error) {
	if !json.Valid(data) {
		// Let encoding/json describe the problem.
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		return nil, fmt.Errorf("invalid JSON")
	}
	p := &jsonParser{data: data}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	return n, nil
}

// jsonParser walks input already checked by json.Valid, so it only has to
// find boundaries, not report syntax errors.
type jsonParser struct {
	data []byte
	pos  int
}

func (p *jsonParser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (*node, error) {
	p.ws()
	switch p.data[p.pos] {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		return &node{raw: p.str()}, nil
	default:
		start := p.pos
		for p.pos < len(p.data) && !bytes.ContainsRune([]byte(",}] \t\r\n"), rune(p.data[p.pos])) {
			p.pos++
		}
		return &node{raw: p.data[start:p.pos]}, nil
	}
}

// str returns the raw text of the string starting at pos, quotes included.
func (p *jsonParser) str() []byte {
	start := p.pos
	p.pos++ // opening quote
	for p.data[p.pos] != '"' {
		if p.data[p.pos] == '\\' {
			p.pos++
		}
		p.pos++
	}
	p.pos++
	return p.data[start:p.pos]
}

func (p *jsonParser) object() (*node, error) {
	n := &node{kind: objectNode}
	p.pos++ // {
	p.ws()
	if p.data[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	for {
		p.ws()
		var key string
		if err := json.Unmarshal(p.str(), &key); err != nil {
			return nil, fmt.Errorf("invalid JSON key: %w", err)
		}
		if n.get(key) != nil {
			return nil, fmt.Errorf("duplicate JSON key %q", key)
		}
		p.ws()
		p.pos++ // :
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.members = append(n.members, member{key: key, val: v})
		p.ws()
		c := p.data[p.pos]
		p.pos++
		if c == '}' {
			return n, nil
		}
	}
}

func (p *jsonParser) array() (*node, error) {
	n := &node{kind: arrayNode, elems: []*node{}}
	p.pos++ // [
	p.ws()
	if p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, v)
		p.ws()
		c := p.data[p.pos]
		p.pos++
		if c == ']' {
			return n, nil
		}
	}
}

// get returns the member key of an object node, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != objectNode {
		return nil
	}
	for _, m := range n.members {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

// lookup follows object keys from n; nil if any is missing.
func (n *node) lookup(keys ...string) *node {
	for _, k := range keys {
		n = n.get(k)
	}
	return n
}

// set replaces the member key, or appends it when absent.
func (n *node) set(key string, v *node) {
	for i, m := range n.members {
		if m.key == key {
			n.members[i].val = v
			return
		}
	}
	n.members = append(n.members, member{key: key, val: v})
}

// insertAfter adds key right after member after (or at the end), or
// replaces key in place when it exists.
func (n *node) insertAfter(after, key string, v *node) {
	if n.get(key) != nil {
		n.set(key, v)
		return
	}
	i := slices.IndexFunc(n.members, func(m member) bool { return m.key == after })
	if i < 0 {
		n.members = append(n.members, member{key: key, val: v})
		return
	}
	n.members = slices.Insert(n.members, i+1, member{key: key, val: v})
}

// encode writes n compactly; indent with json.Indent afterwards.
func (n *node) encode(buf *bytes.Buffer) {
	switch n.kind {
	case scalarNode:
		buf.Write(n.raw)
	case objectNode:
		buf.WriteByte('{')
		for i, m := range n.members {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(jsonString(m.key))
			buf.WriteByte(':')
			m.val.encode(buf)
		}
		buf.WriteByte('}')
	case arrayNode:
		buf.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				buf.WriteByte(',')
			}
			e.encode(buf)
		}
		buf.WriteByte(']')
	}
}

// compact returns n's compact JSON text.
func (n *node) compact() []byte {
	var b bytes.Buffer
	n.encode(&b)
	return b.Bytes()
}

// indented returns n as json.MarshalIndent(v, "", "  ") would write it,
// which is how seid writes genesis.json (no trailing newline).
func (n *node) indented() []byte {
	var compact, out bytes.Buffer
	n.encode(&compact)
	out.Grow(compact.Len() * 2)
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		// Cannot happen: every node came from valid JSON or from jsonString.
		return compact.Bytes()
	}
	return out.Bytes()
}

// Constructors.

func jsonString(s string) []byte {
	b, err := json.Marshal(s)
	if err != nil { // cannot happen for a string
		return []byte(`""`)
	}
	return b
}

func strNode(s string) *node { return &node{raw: jsonString(s)} }

func rawNode(raw string) *node { return &node{raw: []byte(raw)} }

func objNode(members ...member) *node { return &node{kind: objectNode, members: members} }

// arrNode returns an empty array node.
func arrNode() *node { return &node{kind: arrayNode, elems: []*node{}} }

// stringValue decodes a scalar string node.
func (n *node) stringValue() (string, bool) {
	if n == nil || n.kind != scalarNode || len(n.raw) == 0 || n.raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(n.raw, &s); err != nil {
		return "", false
	}
	return s, true
}
