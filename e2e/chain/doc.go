// Package chain holds conformance tests that check the pure-Go Sei formats
// (internal/seikeys, internal/gentx, internal/genesis) against a real seid:
// addresses, node IDs and key files seid derives from our keys, genesis files
// seid's validate-genesis accepts, and chains of one and four validators that
// start from a natively assembled genesis and produce blocks. One test runs a
// whole fleet (a hub and three member clusters on real kube-apiservers) and
// starts seid validators from the keys, genesis and peers its ceremony made.
//
// seid is located by Locate (env SEID_BIN, or the path hack/install-seid.sh
// installs to); the fleet needs kube-apiserver and etcd test binaries (make
// test-bins). Without them the tests skip locally and fail when CI=true.
// Everything listens on loopback only: 127.0.0.1, or for the fleet's
// validators one address of 127.0.0.0/8 each.
package chain
