package seikeys

import (
	"fmt"
	"io"
	"strings"

	"github.com/cosmos/go-bip39"
)

// mnemonicEntropyBytes gives 24-word mnemonics, as `seid keys add` makes.
const mnemonicEntropyBytes = 32

// NewMnemonic makes a new 24-word English BIP-39 mnemonic from 32 bytes of r
// (crypto/rand.Reader in production).
func NewMnemonic(r io.Reader) (string, error) {
	entropy := make([]byte, mnemonicEntropyBytes)
	if _, err := io.ReadFull(r, entropy); err != nil {
		return "", fmt.Errorf("read mnemonic entropy: %w", err)
	}
	m, err := bip39.NewMnemonic(entropy)
	if err != nil {
		return "", fmt.Errorf("make mnemonic: %w", err)
	}
	return m, nil
}

// NormalizeMnemonic joins the words of m with single spaces, dropping leading
// and trailing white space (seid reads the mnemonic as a trimmed line).
func NormalizeMnemonic(m string) string { return strings.Join(strings.Fields(m), " ") }

// ValidateMnemonic checks word count, word list membership and checksum.
// The error never contains the mnemonic.
func ValidateMnemonic(m string) error {
	if _, err := bip39.MnemonicToByteArray(NormalizeMnemonic(m)); err != nil {
		return fmt.Errorf("invalid mnemonic (%d words): bad word count, unknown word or checksum mismatch",
			len(strings.Fields(m)))
	}
	return nil
}
