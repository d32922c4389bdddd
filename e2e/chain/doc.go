// Package chain holds conformance tests that check the pure-Go Sei formats
// (internal/seikeys, internal/gentx, internal/genesis) against a real seid:
// addresses, node IDs and key files seid derives from our keys, genesis files
// seid's validate-genesis accepts, and a single-validator chain that starts
// from a natively assembled genesis and produces blocks.
//
// seid is located by Locate (env SEID_BIN, or the path hack/install-seid.sh
// installs to). Without it the tests skip locally and fail when CI=true.
// Everything listens on 127.0.0.1 only.
package chain
