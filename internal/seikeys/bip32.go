package seikeys

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// hardened marks a hardened BIP-32 child index.
const hardened uint32 = 1 << 31

// cosmosPath is m/44'/118'/0'/0/0: BIP-44, coin type 118 (ATOM, which Sei's
// `keys add` uses for secp256k1 keys), account 0, external chain, index 0.
var cosmosPath = []uint32{44 | hardened, 118 | hardened, 0 | hardened, 0, 0}

var errInvalidChild = errors.New("derived key is invalid (probability < 2^-127); use another index")

// derivePath derives the private key at path from a BIP-32 seed (here the
// 64-byte BIP-39 seed). Only private derivation is needed.
func derivePath(seed []byte, path []uint32) (*secp256k1.ModNScalar, error) {
	key, chain, err := splitHMAC([]byte("Bitcoin seed"), seed)
	if err != nil {
		return nil, fmt.Errorf("derive BIP-32 master key: %w", err)
	}
	for depth, index := range path {
		key, chain, err = deriveChild(key, chain, index)
		if err != nil {
			return nil, fmt.Errorf("derive BIP-32 child at depth %d: %w", depth+1, err)
		}
	}
	return key, nil
}

// deriveChild is BIP-32 CKDpriv: I = HMAC-SHA512(c, data || ser32(i)), where
// data is 0x00 || ser256(k) for hardened children and serP(K) otherwise;
// the child key is parse256(I_L) + k mod n and the chain code is I_R.
func deriveChild(key *secp256k1.ModNScalar, chain []byte, index uint32) (*secp256k1.ModNScalar, []byte, error) {
	data := make([]byte, 0, 33+4)
	if index >= hardened {
		kb := key.Bytes()
		data = append(data, 0)
		data = append(data, kb[:]...)
	} else {
		data = append(data, secp256k1.NewPrivateKey(key).PubKey().SerializeCompressed()...)
	}
	data = binary.BigEndian.AppendUint32(data, index)
	il, childChain, err := splitHMAC(chain, data)
	if err != nil {
		return nil, nil, err
	}
	il.Add(key)
	if il.IsZero() {
		return nil, nil, errInvalidChild
	}
	return il, childChain, nil
}

// splitHMAC computes HMAC-SHA512(key, data) and returns I_L as a scalar (which
// must be in [1, n-1]) and I_R as the chain code.
func splitHMAC(key, data []byte) (*secp256k1.ModNScalar, []byte, error) {
	mac := hmac.New(sha512.New, key)
	mac.Write(data)
	sum := mac.Sum(nil)
	var il secp256k1.ModNScalar
	if overflow := il.SetByteSlice(sum[:32]); overflow || il.IsZero() {
		return nil, nil, errInvalidChild
	}
	return &il, sum[32:], nil
}
