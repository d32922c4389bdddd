// Package gentx builds, signs, parses and verifies Sei genesis transactions
// (gentxs) in pure Go, byte-identical to `seid gentx`.
//
// A gentx is a cosmos.tx.v1beta1.Tx holding one MsgCreateValidator, signed
// with SIGN_MODE_DIRECT by the operator's secp256k1 key (account number 0,
// sequence 0). Its signature covers the gogoproto canonical encoding of the
// body and auth info, which this package rebuilds with protowire; its file
// form is the compact proto-JSON seid writes (gentx.json).
//
// Build signs a new gentx; Parse reads any gentx.json (strictly: exact field
// names, no unknown or duplicate fields) and Verify checks it for a chain ID
// the way InitChain will: canonical sign bytes, signature, signer/delegator
// and delegator/validator address equality, and MsgCreateValidator's basic
// rules. Parse never panics (see FuzzParse).
//
// Coin and Dec (sdk.Int / sdk.Dec as text) live here because gentxs are their
// first user; package genesis reuses them.
package gentx
