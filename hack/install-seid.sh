#!/usr/bin/env bash
# install-seid.sh builds a real seid from the Go module proxy, for the chain
# conformance tests (e2e/chain) and hack/gen-genesis-template.sh.
#
# sei-chain release tags are not valid Go module versions, so this builds the one
# recent pseudo-version the proxy serves whole, inside a throwaway wrapper module
# that copies sei-chain's own replace block (Go ignores replace directives of
# dependencies). The wrapper lives in the cache folder, never in the repo: a nested
# go.mod would break `go test ./...` here.
#
# Output: ${SEID_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sei-fleet/seid-<version>}/seid.
# Progress goes to stderr; the binary path is the last line on stdout.
# Idempotent: nothing is rebuilt when the binary exists and `seid version` runs.
# A cold build takes ~13 minutes on 2 cores; a warm one ~20 s.
#
# The binary is cgo and loads libwasmvm*.so from the Go module cache (rpath), so
# run it on the machine that built it.
set -euo pipefail

SEI_CHAIN_MODULE="github.com/sei-protocol/sei-chain"
SEI_CHAIN_VERSION="${SEI_CHAIN_VERSION:-v0.0.29-fix.0.20260326202429-c9b42951fef7}"
CACHE_DIR="${SEID_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sei-fleet/seid-${SEI_CHAIN_VERSION}}"
BIN="${CACHE_DIR}/seid"
WRAP="${CACHE_DIR}/wrapper"

log() { printf '%s install-seid: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [[ -x "${BIN}" ]] && "${BIN}" version >/dev/null 2>&1; then
	log "seid already installed"
	echo "${BIN}"
	exit 0
fi

command -v go >/dev/null || { log "go not found in PATH"; exit 1; }

export GONOSUMDB="github.com/sei-protocol"
export GOFLAGS="-buildvcs=false -mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

start=$(date +%s)
mkdir -p "${WRAP}"

log "downloading ${SEI_CHAIN_MODULE}@${SEI_CHAIN_VERSION} (~150 MB on a cold cache)"
dl_json=$(cd "${WRAP}" && go mod download -json "${SEI_CHAIN_MODULE}@${SEI_CHAIN_VERSION}")
modfile=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"${dl_json}")
moddir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"${dl_json}")
if [[ -z "${modfile}" || ! -f "${modfile}" ]]; then
	log "could not locate the go.mod of ${SEI_CHAIN_MODULE}@${SEI_CHAIN_VERSION}"
	exit 1
fi
log "downloaded after $(($(date +%s) - start))s"

# The wrapper module: require sei-chain, copy its replace directives (both the
# block form and single-line form), import cmd/seid from a tools file.
{
	echo "module example.com/seid-wrapper"
	echo
	echo "go 1.25.6"
	echo
	echo "require ${SEI_CHAIN_MODULE} ${SEI_CHAIN_VERSION}"
	echo
	awk '
		/^replace[[:space:]]*\($/ { inblock = 1; print; next }
		inblock { print; if ($0 ~ /^\)/) inblock = 0; next }
		/^replace[[:space:]]/ { print }
	' "${modfile}"
} >"${WRAP}/go.mod"
cat >"${WRAP}/tools.go" <<'EOF'
//go:build tools

package tools

import _ "github.com/sei-protocol/sei-chain/cmd/seid"
EOF

tidy_start=$(date +%s)
log "go mod tidy"
(cd "${WRAP}" && go mod tidy)
log "tidy took $(($(date +%s) - tidy_start))s"

# Version ldflags as sei-chain's Makefile sets them, so `seid version` prints
# something useful. The version package moved into the monorepo's sei-cosmos.
version_pkg="github.com/cosmos/cosmos-sdk/version"
if [[ -n "${moddir}" && -d "${moddir}/sei-cosmos/version" ]]; then
	version_pkg="${SEI_CHAIN_MODULE}/sei-cosmos/version"
fi
ldflags="-checklinkname=0"
ldflags+=" -X ${version_pkg}.Name=sei -X ${version_pkg}.AppName=seid"
ldflags+=" -X ${version_pkg}.Version=${SEI_CHAIN_VERSION}"
ldflags+=" -X ${version_pkg}.Commit=${SEI_CHAIN_VERSION##*-}"

build_start=$(date +%s)
log "go build (cold: ~13 min on 2 cores)"
(cd "${WRAP}" && go build -tags netgo -ldflags "${ldflags}" -o "${BIN}.tmp" "${SEI_CHAIN_MODULE}/cmd/seid")
mv -f "${BIN}.tmp" "${BIN}"
log "build took $(($(date +%s) - build_start))s; total $(($(date +%s) - start))s"

if ! "${BIN}" version >/dev/null 2>&1; then
	log "built ${BIN} but '${BIN} version' fails"
	exit 1
fi
log "seid version: $("${BIN}" version 2>&1 | head -1)"
echo "${BIN}"
