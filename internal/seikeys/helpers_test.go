package seikeys

import (
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// highS returns R || (n - S) for a 64-byte low-S signature.
func highS(t *testing.T, sig []byte) []byte {
	t.Helper()
	var s secp256k1.ModNScalar
	if s.SetByteSlice(sig[32:]) {
		t.Fatal("S overflows")
	}
	s.Negate()
	out := append([]byte{}, sig[:32]...)
	b := s.Bytes()
	return append(out, b[:]...)
}
