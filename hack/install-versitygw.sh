#!/usr/bin/env bash
# install-versitygw.sh builds versitygw, the Versity S3 gateway (Apache-2.0), from the Go module proxy:
# a real S3 server over a directory (its posix backend), which the data-plane tier uses as the
# snapshot store that the real seictl uploads archives to and restores them from.
#
# Output: ${VERSITYGW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sei-fleet/versitygw-<version>}/versitygw.
# Progress goes to stderr; the binary path is the last line on stdout. Idempotent: nothing is rebuilt
# when the binary exists and runs.
set -euo pipefail

VERSITYGW_MODULE="github.com/versity/versitygw"
VERSITYGW_VERSION="${VERSITYGW_VERSION:-v1.8.0}"
CACHE_DIR="${VERSITYGW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sei-fleet/versitygw-${VERSITYGW_VERSION}}"
BIN="${CACHE_DIR}/versitygw"

log() { printf '%s install-versitygw: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [[ -x "${BIN}" ]] && "${BIN}" --version >/dev/null 2>&1; then
	log "versitygw already installed"
	echo "${BIN}"
	exit 0
fi

command -v go >/dev/null || { log "go not found in PATH"; exit 1; }
export GONOSUMDB="github.com/versity"
export GOFLAGS="-buildvcs=false -mod=mod"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

start=$(date +%s)
mkdir -p "${CACHE_DIR}"
GOBIN="${CACHE_DIR}" go install "${VERSITYGW_MODULE}/cmd/versitygw@${VERSITYGW_VERSION}"
"${BIN}" --version >/dev/null
log "built in $(($(date +%s) - start))s"
echo "${BIN}"
