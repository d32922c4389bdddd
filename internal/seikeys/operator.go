package seikeys

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/cosmos/go-bip39"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // Cosmos addresses are defined with RIPEMD-160.
	"golang.org/x/crypto/sha3"
)

// Sizes of secp256k1 encodings.
const (
	Secp256k1PubKeySize    = 33 // compressed public key
	Secp256k1SignatureSize = 64 // R || S
)

// OperatorKey is the secp256k1 account key of a validator operator: it owns
// the sei1… account, the seivaloper1… operator address and signs the gentx.
// The zero value holds no key. The mnemonic is not kept.
type OperatorKey struct {
	s *secp256k1Secret
}

type secp256k1Secret struct {
	priv *secp256k1.PrivateKey
}

// OperatorKeyFromMnemonic derives the key `seid keys add --recover` derives:
// BIP-39 seed with an empty passphrase, BIP-32 path m/44'/118'/0'/0/0.
func OperatorKeyFromMnemonic(mnemonic string) (OperatorKey, error) {
	m := NormalizeMnemonic(mnemonic)
	if err := ValidateMnemonic(m); err != nil {
		return OperatorKey{}, fmt.Errorf("derive operator key: %w", err)
	}
	seed := bip39.NewSeed(m, "")
	scalar, err := derivePath(seed, cosmosPath)
	if err != nil {
		return OperatorKey{}, fmt.Errorf("derive operator key: %w", err)
	}
	return OperatorKey{s: &secp256k1Secret{priv: secp256k1.NewPrivateKey(scalar)}}, nil
}

// PubKey returns the 33-byte compressed public key.
func (k OperatorKey) PubKey() []byte {
	if k.s == nil {
		return nil
	}
	return k.s.priv.PubKey().SerializeCompressed()
}

// Address returns the 20-byte account address, RIPEMD160(SHA256(pub)).
func (k OperatorKey) Address() []byte { return Secp256k1Address(k.PubKey()) }

// AccountAddress returns the sei1… account address.
func (k OperatorKey) AccountAddress() string { return AccAddress(k.Address()) }

// ValoperAddress returns the seivaloper1… operator address (same bytes).
func (k OperatorKey) ValoperAddress() string { return ValoperAddress(k.Address()) }

// EVMAddress returns the key's EVM address with EIP-55 checksum, as seid prints
// it (go-ethereum common.Address.Hex).
func (k OperatorKey) EVMAddress() string {
	if k.s == nil {
		return ""
	}
	return EVMAddressFromPubKey(k.s.priv.PubKey())
}

// SignDirect signs SIGN_MODE_DIRECT sign bytes as the Cosmos SDK's secp256k1
// key does: ECDSA over SHA-256(signBytes), RFC 6979 nonce, low S, 64 bytes R||S.
func (k OperatorKey) SignDirect(signBytes []byte) []byte {
	if k.s == nil {
		return nil
	}
	hash := sha256.Sum256(signBytes)
	// SignCompact = recovery byte || R || S, with S normalised to the low half.
	return ecdsa.SignCompact(k.s.priv, hash[:], true)[1:]
}

// Secp256k1Address returns RIPEMD160(SHA256(pub)) of a compressed public key,
// or nil if pub is not 33 bytes.
func Secp256k1Address(pub []byte) []byte {
	if len(pub) != Secp256k1PubKeySize {
		return nil
	}
	sha := sha256.Sum256(pub)
	h := ripemd160.New()
	h.Write(sha[:])
	return h.Sum(nil)
}

// VerifyDirect checks a 64-byte R||S signature over SHA-256(signBytes) against
// a 33-byte compressed public key. Like the Cosmos SDK it rejects high-S
// (malleable) signatures.
func VerifyDirect(pub, signBytes, sig []byte) error {
	pk, err := secp256k1.ParsePubKey(pub)
	if err != nil || len(pub) != Secp256k1PubKeySize {
		return fmt.Errorf("verify signature: bad secp256k1 public key")
	}
	if len(sig) != Secp256k1SignatureSize {
		return fmt.Errorf("verify signature: %d bytes, want %d", len(sig), Secp256k1SignatureSize)
	}
	var r, s secp256k1.ModNScalar
	if r.SetByteSlice(sig[:32]) || s.SetByteSlice(sig[32:]) || r.IsZero() || s.IsZero() {
		return fmt.Errorf("verify signature: R or S out of range")
	}
	if s.IsOverHalfOrder() {
		return fmt.Errorf("verify signature: S is not in the lower half of the order")
	}
	hash := sha256.Sum256(signBytes)
	if !ecdsa.NewSignature(&r, &s).Verify(hash[:], pk) {
		return fmt.Errorf("verify signature: signature does not match")
	}
	return nil
}

// EVMAddressFromCompressed returns the EIP-55 EVM address of a 33-byte
// compressed secp256k1 public key.
func EVMAddressFromCompressed(pub []byte) (string, error) {
	pk, err := secp256k1.ParsePubKey(pub)
	if err != nil {
		return "", fmt.Errorf("parse secp256k1 public key: %w", err)
	}
	return EVMAddressFromPubKey(pk), nil
}

// EVMAddressFromPubKey returns keccak256(X||Y)[12:] as 0x + EIP-55 hex.
func EVMAddressFromPubKey(pk *secp256k1.PublicKey) string {
	h := sha3.NewLegacyKeccak256()
	h.Write(pk.SerializeUncompressed()[1:])
	return eip55(h.Sum(nil)[12:])
}

// eip55 writes a 20-byte address as 0x + hex, upper-casing each letter whose
// nibble in keccak256(lower-case hex) is >= 8.
func eip55(addr []byte) string {
	lower := []byte(hex.EncodeToString(addr))
	h := sha3.NewLegacyKeccak256()
	h.Write(lower)
	hash := h.Sum(nil)
	for i, c := range lower {
		nibble := hash[i/2] >> 4
		if i%2 == 1 {
			nibble = hash[i/2] & 0x0f
		}
		if c >= 'a' && nibble >= 8 {
			lower[i] = c - 'a' + 'A'
		}
	}
	return "0x" + string(lower)
}
