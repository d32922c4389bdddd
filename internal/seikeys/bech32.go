package seikeys

import (
	"fmt"

	"github.com/cosmos/btcutil/bech32"
)

// Bech32 human-readable prefixes of Sei (app/params/config.go in sei-chain).
const (
	AccountPrefix = "sei"
	ValoperPrefix = "seivaloper"
	ValconsPrefix = "seivalcons"
)

// AddressLength is the length of account, operator and consensus addresses.
const AddressLength = 20

// bech32Limit is the length limit the Cosmos SDK passes to bech32.Decode.
const bech32Limit = 1023

// Bech32Encode encodes data (8-bit bytes) as classic bech32 with prefix hrp.
func Bech32Encode(hrp string, data []byte) (string, error) {
	conv, err := bech32.ConvertBits(data, 8, 5, true)
	if err != nil {
		return "", fmt.Errorf("convert bech32 data bits: %w", err)
	}
	s, err := bech32.Encode(hrp, conv)
	if err != nil {
		return "", fmt.Errorf("encode bech32 with prefix %q: %w", hrp, err)
	}
	return s, nil
}

// Bech32Decode decodes a bech32 string, checks that its prefix is hrp and
// returns the 8-bit data. Mixed-case strings are rejected, as in the SDK.
func Bech32Decode(s, hrp string) ([]byte, error) {
	gotHRP, conv, err := bech32.Decode(s, bech32Limit)
	if err != nil {
		return nil, fmt.Errorf("decode bech32 %q: %w", s, err)
	}
	if gotHRP != hrp {
		return nil, fmt.Errorf("decode bech32 %q: prefix is %q, want %q", s, gotHRP, hrp)
	}
	data, err := bech32.ConvertBits(conv, 5, 8, false)
	if err != nil {
		return nil, fmt.Errorf("decode bech32 %q: %w", s, err)
	}
	return data, nil
}

// DecodeAddress decodes a 20-byte address with the given prefix
// (AccountPrefix, ValoperPrefix or ValconsPrefix).
func DecodeAddress(s, hrp string) ([]byte, error) {
	data, err := Bech32Decode(s, hrp)
	if err != nil {
		return nil, err
	}
	if len(data) != AddressLength {
		return nil, fmt.Errorf("decode address %q: %d bytes, want %d", s, len(data), AddressLength)
	}
	return data, nil
}

// AccAddress returns the sei1… form of a 20-byte address.
func AccAddress(addr []byte) string { return mustEncode(AccountPrefix, addr) }

// ValoperAddress returns the seivaloper1… form of a 20-byte address.
func ValoperAddress(addr []byte) string { return mustEncode(ValoperPrefix, addr) }

// ValconsAddress returns the seivalcons1… form of a 20-byte consensus address.
func ValconsAddress(addr []byte) string { return mustEncode(ValconsPrefix, addr) }

// mustEncode encodes with one of the constant prefixes above. That cannot fail
// for any input (8→5 bit conversion with padding always succeeds and the
// prefixes are valid), so an error yields "" rather than a panic.
func mustEncode(hrp string, addr []byte) string {
	if len(addr) == 0 {
		return ""
	}
	s, err := Bech32Encode(hrp, addr)
	if err != nil {
		return ""
	}
	return s
}
