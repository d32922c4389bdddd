package seikeys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ConsensusKey is a Tendermint ed25519 validator (consensus) key, the content
// of priv_validator_key.json. The zero value holds no key; its methods return
// empty values.
type ConsensusKey struct {
	s *ed25519Secret
}

// ed25519Secret keeps the private key two pointers away from the key value:
// fmt dereferences only a top-level pointer, so even a mis-verbed print of an
// unexported field (where fmt cannot call Format) shows addresses, not bytes.
type ed25519Secret struct {
	key *ed25519.PrivateKey
}

func newEd25519Secret(priv ed25519.PrivateKey) *ed25519Secret { return &ed25519Secret{key: &priv} }

// priv returns the private key.
func (s *ed25519Secret) priv() ed25519.PrivateKey { return *s.key }

// GenerateConsensusKey makes a new consensus key from 32 bytes of r
// (crypto/rand.Reader in production).
func GenerateConsensusKey(r io.Reader) (ConsensusKey, error) {
	priv, err := readEd25519(r)
	if err != nil {
		return ConsensusKey{}, fmt.Errorf("generate consensus key: %w", err)
	}
	return ConsensusKey{s: newEd25519Secret(priv)}, nil
}

// ConsensusKeyFromSeed builds a consensus key from a 32-byte ed25519 seed.
func ConsensusKeyFromSeed(seed []byte) (ConsensusKey, error) {
	if len(seed) != ed25519.SeedSize {
		return ConsensusKey{}, fmt.Errorf("consensus key seed is %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	return ConsensusKey{s: newEd25519Secret(ed25519.NewKeyFromSeed(seed))}, nil
}

func readEd25519(r io.Reader) (ed25519.PrivateKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(r, seed); err != nil {
		return nil, fmt.Errorf("read ed25519 seed: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// privValidatorKeyJSON mirrors sei-tendermint privval.filePVKeyJSON.
type privValidatorKeyJSON struct {
	Address string     `json:"address"`
	PubKey  typedValue `json:"pub_key"`
	PrivKey typedValue `json:"priv_key"`
}

// ParseConsensusKey parses priv_validator_key.json and checks that the
// address, public key and private key agree.
func ParseConsensusKey(data []byte) (ConsensusKey, error) {
	var f privValidatorKeyJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return ConsensusKey{}, fmt.Errorf("parse priv_validator_key.json: %w", err)
	}
	priv, err := ed25519FromTyped(f.PrivKey)
	if err != nil {
		return ConsensusKey{}, fmt.Errorf("parse priv_validator_key.json: %w", err)
	}
	k := ConsensusKey{s: newEd25519Secret(priv)}
	if f.PubKey.Type != tmPubKeyEd25519 {
		return ConsensusKey{}, fmt.Errorf("parse priv_validator_key.json: pub_key type is %q, want %q",
			f.PubKey.Type, tmPubKeyEd25519)
	}
	if !bytes.Equal(f.PubKey.Value, k.PubKey()) {
		return ConsensusKey{}, fmt.Errorf("parse priv_validator_key.json: pub_key does not match priv_key")
	}
	if !strings.EqualFold(f.Address, k.AddressHex()) {
		return ConsensusKey{}, fmt.Errorf("parse priv_validator_key.json: address %q does not match the key (%s)",
			f.Address, k.AddressHex())
	}
	return k, nil
}

// JSON returns priv_validator_key.json exactly as seid writes it: two-space
// indentation, no trailing newline. It contains the private key.
func (k ConsensusKey) JSON() []byte {
	if k.s == nil {
		return nil
	}
	f := privValidatorKeyJSON{
		Address: k.AddressHex(),
		PubKey:  typedValue{Type: tmPubKeyEd25519, Value: k.PubKey()},
		PrivKey: typedValue{Type: tmPrivKeyEd25519, Value: k.s.priv()},
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil { // cannot happen: fixed struct of strings and bytes
		return nil
	}
	return out
}

// PubKey returns the 32-byte ed25519 public key.
func (k ConsensusKey) PubKey() ed25519.PublicKey {
	if k.s == nil {
		return nil
	}
	return k.s.priv().Public().(ed25519.PublicKey)
}

// PubKeyBase64 returns the public key in standard base64, as genesis files and
// gentxs carry it.
func (k ConsensusKey) PubKeyBase64() string { return b64(k.PubKey()) }

// Address returns the 20-byte consensus address, sha256(pub)[:20].
func (k ConsensusKey) Address() []byte { return ConsensusAddress(k.PubKey()) }

// AddressHex returns the consensus address in upper-case hex, as in
// priv_validator_key.json and the genesis validators list.
func (k ConsensusKey) AddressHex() string { return strings.ToUpper(hex.EncodeToString(k.Address())) }

// ValconsAddress returns the seivalcons1… address.
func (k ConsensusKey) ValconsAddress() string { return ValconsAddress(k.Address()) }

// Sign signs msg with the consensus key (ed25519).
func (k ConsensusKey) Sign(msg []byte) []byte {
	if k.s == nil {
		return nil
	}
	return ed25519.Sign(k.s.priv(), msg)
}

// ConsensusAddress returns sha256(pub)[:20] for an ed25519 public key
// (Tendermint crypto.AddressHash), or nil for a key of the wrong size.
func ConsensusAddress(pub ed25519.PublicKey) []byte {
	if len(pub) != ed25519.PublicKeySize {
		return nil
	}
	sum := sha256.Sum256(pub)
	return sum[:AddressLength]
}

// InitialPrivValidatorStateJSON returns data/priv_validator_state.json as
// `seid init` writes it: height 0, round 0, step 0, no signature.
func InitialPrivValidatorStateJSON() []byte {
	return []byte("{\n  \"height\": \"0\",\n  \"round\": 0,\n  \"step\": 0\n}")
}
