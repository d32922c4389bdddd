// Package seikeys owns the key material and address formats of a Sei node,
// implemented in pure Go and checked byte for byte against a real seid:
//
//   - the Tendermint ed25519 consensus key (priv_validator_key.json) and the
//     initial priv_validator_state.json,
//   - the ed25519 P2P node key (node_key.json) and its node ID,
//   - the secp256k1 operator/account key derived from a BIP-39 mnemonic on the
//     Cosmos path m/44'/118'/0'/0/0, its bech32 addresses (sei, seivaloper) and
//     its EVM address, and SIGN_MODE_DIRECT signatures made with it,
//   - bech32 encoding and decoding with prefix checks (sei, seivaloper, seivalcons).
//
// Types that hold private keys never print them: fmt verbs, slog and
// encoding/json see only public data. The secret sits behind a pointer so that
// even a struct embedding a key in an unexported field prints an address, not
// bytes.
package seikeys
