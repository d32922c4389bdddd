package seikeys

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
)

// NodeKey is a Tendermint P2P node key, the content of node_key.json. The zero
// value holds no key.
type NodeKey struct {
	s *ed25519Secret
}

// GenerateNodeKey makes a new node key from 32 bytes of r.
func GenerateNodeKey(r io.Reader) (NodeKey, error) {
	priv, err := readEd25519(r)
	if err != nil {
		return NodeKey{}, fmt.Errorf("generate node key: %w", err)
	}
	return NodeKey{s: newEd25519Secret(priv)}, nil
}

// nodeKeyJSON mirrors sei-tendermint types.NodeKey's JSON.
type nodeKeyJSON struct {
	ID      string     `json:"id"`
	PrivKey typedValue `json:"priv_key"`
}

// ParseNodeKey parses node_key.json and checks that its id matches the key.
func ParseNodeKey(data []byte) (NodeKey, error) {
	var f nodeKeyJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return NodeKey{}, fmt.Errorf("parse node_key.json: %w", err)
	}
	priv, err := ed25519FromTyped(f.PrivKey)
	if err != nil {
		return NodeKey{}, fmt.Errorf("parse node_key.json: %w", err)
	}
	k := NodeKey{s: newEd25519Secret(priv)}
	if f.ID != k.ID() {
		return NodeKey{}, fmt.Errorf("parse node_key.json: id %q does not match the key (%s)", f.ID, k.ID())
	}
	return k, nil
}

// JSON returns node_key.json exactly as seid writes it: compact, no trailing
// newline. It contains the private key.
func (k NodeKey) JSON() []byte {
	if k.s == nil {
		return nil
	}
	out, err := json.Marshal(nodeKeyJSON{ID: k.ID(), PrivKey: typedValue{Type: tmPrivKeyEd25519, Value: k.s.priv()}})
	if err != nil { // cannot happen: fixed struct of strings and bytes
		return nil
	}
	return out
}

// PubKey returns the 32-byte ed25519 public key.
func (k NodeKey) PubKey() ed25519.PublicKey {
	if k.s == nil {
		return nil
	}
	return k.s.priv().Public().(ed25519.PublicKey)
}

// ID returns the node ID: lower-case hex of sha256(pub)[:20].
func (k NodeKey) ID() string { return NodeIDFromPubKey(k.PubKey()) }

// NodeIDFromPubKey returns the node ID of an ed25519 public key, or "" for a
// key of the wrong size.
func NodeIDFromPubKey(pub ed25519.PublicKey) string {
	addr := ConsensusAddress(pub)
	if addr == nil {
		return ""
	}
	return hex.EncodeToString(addr)
}

// IsNodeID reports whether s has the form of a node ID (40 lower-case hex digits).
func IsNodeID(s string) bool {
	if len(s) != 2*AddressLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
