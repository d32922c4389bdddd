package seikeys

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
)

// Amino type names Tendermint writes into key files.
const (
	tmPubKeyEd25519  = "tendermint/PubKeyEd25519"
	tmPrivKeyEd25519 = "tendermint/PrivKeyEd25519"
)

// typedValue is Tendermint's {"type": …, "value": base64} key encoding.
type typedValue struct {
	Type  string `json:"type"`
	Value []byte `json:"value"`
}

// ed25519FromTyped checks a typed private key and returns it, verifying that
// its public half (the last 32 bytes) matches its seed (the first 32).
func ed25519FromTyped(tv typedValue) (ed25519.PrivateKey, error) {
	if tv.Type != tmPrivKeyEd25519 {
		return nil, fmt.Errorf("private key type is %q, want %q", tv.Type, tmPrivKeyEd25519)
	}
	if len(tv.Value) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("private key is %d bytes, want %d", len(tv.Value), ed25519.PrivateKeySize)
	}
	priv := ed25519.NewKeyFromSeed(tv.Value[:ed25519.SeedSize])
	if !bytes.Equal(priv[ed25519.SeedSize:], tv.Value[ed25519.SeedSize:]) {
		return nil, fmt.Errorf("private key: public half does not match the seed")
	}
	return priv, nil
}

// b64 is standard base64 with padding, as Go's encoding/json writes []byte.
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
