package seikeys

import (
	"fmt"
	"log/slog"
)

// The Format, String, GoString and LogValue methods below make every fmt verb
// (%v, %+v, %#v, %s, %x, …) and slog print public data only.

// String returns the public part of the key.
func (k ConsensusKey) String() string {
	if k.s == nil {
		return "ConsensusKey{}"
	}
	return fmt.Sprintf("ConsensusKey{address: %s, pub_key: %s}", k.AddressHex(), k.PubKeyBase64())
}

// GoString is String; the private key is never printed.
func (k ConsensusKey) GoString() string { return k.String() }

// Format prints String for every verb.
func (k ConsensusKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue logs the public part only.
func (k ConsensusKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// String returns the public part of the key.
func (k NodeKey) String() string {
	if k.s == nil {
		return "NodeKey{}"
	}
	return fmt.Sprintf("NodeKey{id: %s}", k.ID())
}

// GoString is String; the private key is never printed.
func (k NodeKey) GoString() string { return k.String() }

// Format prints String for every verb.
func (k NodeKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue logs the public part only.
func (k NodeKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// String returns the public part of the key.
func (k OperatorKey) String() string {
	if k.s == nil {
		return "OperatorKey{}"
	}
	return fmt.Sprintf("OperatorKey{address: %s}", k.AccountAddress())
}

// GoString is String; the private key is never printed.
func (k OperatorKey) GoString() string { return k.String() }

// Format prints String for every verb.
func (k OperatorKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue logs the public part only.
func (k OperatorKey) LogValue() slog.Value { return slog.StringValue(k.String()) }
