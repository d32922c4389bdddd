#!/usr/bin/env bash
# install-seictl.sh builds the real seictl sidecar from the Go module proxy, for the data-plane tier
# (its image) and the sidecar conformance tests.
#
# seictl's main package is its module root, so it cannot be imported from a wrapper module: the
# module is copied out of the module cache into the cache folder, made writable, and built there.
# Its go.mod already requires the sei-chain pseudo-version that hack/install-seid.sh builds and
# carries sei-chain's replace block, so after a seid build the module and build caches are warm.
#
# Output: ${SEICTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sei-fleet/seictl-<version>}/seictl.
# Progress goes to stderr; the binary path is the last line on stdout. Idempotent: nothing is rebuilt
# when the binary exists and runs. The proxy serves v0.0.68 by name only (not in its version list).
set -euo pipefail

SEICTL_MODULE="github.com/sei-protocol/seictl"
SEICTL_VERSION="${SEICTL_VERSION:-v0.0.68}"
CACHE_DIR="${SEICTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sei-fleet/seictl-${SEICTL_VERSION}}"
BIN="${CACHE_DIR}/seictl"
SRC="${CACHE_DIR}/src"

log() { printf '%s install-seictl: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [[ -x "${BIN}" ]] && "${BIN}" --help >/dev/null 2>&1; then
	log "seictl already installed"
	echo "${BIN}"
	exit 0
fi

command -v go >/dev/null || { log "go not found in PATH"; exit 1; }
export GONOSUMDB="github.com/sei-protocol"
export GOFLAGS="-buildvcs=false -mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

start=$(date +%s)
mkdir -p "${CACHE_DIR}"
dir=$(cd "${CACHE_DIR}" && GOFLAGS="" go mod download -json "${SEICTL_MODULE}@${SEICTL_VERSION}" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
[[ -n "${dir}" && -d "${dir}" ]] || { log "could not download ${SEICTL_MODULE}@${SEICTL_VERSION}"; exit 1; }
log "downloaded after $(($(date +%s) - start))s"

rm -rf "${SRC}"
cp -r "${dir}" "${SRC}"
chmod -R u+w "${SRC}"

build_start=$(date +%s)
log "go build (after a seid build: ~2 min on 2 cores)"
(cd "${SRC}" && go build -o "${BIN}.tmp" .)
mv -f "${BIN}.tmp" "${BIN}"
log "build took $(($(date +%s) - build_start))s; total $(($(date +%s) - start))s"
"${BIN}" --help >/dev/null 2>&1 || { log "built ${BIN} but '${BIN} --help' fails"; exit 1; }
echo "${BIN}"
