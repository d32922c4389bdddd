package seikeys

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestNewMnemonic(t *testing.T) {
	g := NewWithT(t)
	m, err := NewMnemonic(rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.Fields(m)).To(HaveLen(24))
	g.Expect(ValidateMnemonic(m)).To(Succeed())

	// All-zero entropy is the well-known "abandon … art" mnemonic (vector one).
	m0, err := NewMnemonic(bytes.NewReader(make([]byte, 32)))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(m0).To(Equal(strings.TrimSpace(loadVector(t, "one").mnemonic)))
}

func TestOperatorKeyFromMnemonicRejects(t *testing.T) {
	valid := strings.TrimSpace(loadVector(t, "one").mnemonic)
	tests := []struct{ name, mnemonic string }{
		{"empty", ""},
		{"bad checksum", strings.Replace(valid, " art", " abandon", 1)},
		{"unknown word", strings.Replace(valid, "art", "artt", 1)},
		{"too few words", "abandon abandon abandon"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := OperatorKeyFromMnemonic(tc.mnemonic)
			g.Expect(err).To(MatchError(ContainSubstring("invalid mnemonic")))
			g.Expect(err.Error()).NotTo(ContainSubstring("abandon"), "errors must not echo the mnemonic")
		})
	}
}

func TestOperatorKeyWhitespace(t *testing.T) {
	g := NewWithT(t)
	v := loadVector(t, "two")
	k, err := OperatorKeyFromMnemonic("  " + strings.ReplaceAll(strings.TrimSpace(v.mnemonic), " ", "\t ") + "\n\n")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(k.AccountAddress()).To(Equal(v.addresses.Account))
}

func TestSignDirectAndVerify(t *testing.T) {
	g := NewWithT(t)
	k, err := OperatorKeyFromMnemonic(loadVector(t, "one").mnemonic)
	g.Expect(err).NotTo(HaveOccurred())
	msg := []byte("sign doc")
	sig := k.SignDirect(msg)
	g.Expect(sig).To(HaveLen(Secp256k1SignatureSize))
	g.Expect(k.SignDirect(msg)).To(Equal(sig), "RFC 6979 signatures are deterministic")
	g.Expect(VerifyDirect(k.PubKey(), msg, sig)).To(Succeed())

	g.Expect(VerifyDirect(k.PubKey(), []byte("other"), sig)).To(MatchError(ContainSubstring("does not match")))
	g.Expect(VerifyDirect(k.PubKey(), msg, sig[:63])).To(MatchError(ContainSubstring("63 bytes")))
	g.Expect(VerifyDirect(k.PubKey()[:32], msg, sig)).To(MatchError(ContainSubstring("public key")))

	// The high-S twin of a valid signature (n - S) is rejected, as in the SDK.
	high := highS(t, sig)
	g.Expect(VerifyDirect(k.PubKey(), msg, high)).To(MatchError(ContainSubstring("lower half")))

	allFF := bytes.Repeat([]byte{0xff}, 64)
	g.Expect(VerifyDirect(k.PubKey(), msg, allFF)).To(MatchError(ContainSubstring("out of range")))
}

func TestBech32(t *testing.T) {
	v := loadVector(t, "one")
	acc := v.addresses.Account
	tests := []struct {
		name, in, hrp, wantErr string
	}{
		{"account", acc, AccountPrefix, ""},
		{"valoper", v.addresses.Valoper, ValoperPrefix, ""},
		{"valcons", v.addresses.Valcons, ValconsPrefix, ""},
		{"wrong prefix", acc, ValoperPrefix, `prefix is "sei", want "seivaloper"`},
		{"bad checksum", acc[:len(acc)-1] + "q", AccountPrefix, "checksum"},
		{"mixed case", strings.ToUpper(acc[:5]) + acc[5:], AccountPrefix, "decode bech32"},
		{"empty", "", AccountPrefix, "decode bech32"},
		{"short", "sei1qqqqqqqqqqqqqq2k6ngz", AccountPrefix, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			addr, err := DecodeAddress(tc.in, tc.hrp)
			if tc.name == "short" {
				g.Expect(err).To(HaveOccurred())
				return
			}
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(addr).To(HaveLen(AddressLength))
			enc, err := Bech32Encode(tc.hrp, addr)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(enc).To(Equal(tc.in))
		})
	}
	g := NewWithT(t)
	// Upper-case bech32 is valid bech32 and decodes to the same bytes.
	up, err := DecodeAddress(strings.ToUpper(acc), AccountPrefix)
	g.Expect(err).NotTo(HaveOccurred())
	lo, err := DecodeAddress(acc, AccountPrefix)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(up).To(Equal(lo))
	g.Expect(AccAddress(nil)).To(BeEmpty())
}
