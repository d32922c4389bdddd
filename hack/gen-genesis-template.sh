#!/usr/bin/env bash
# gen-genesis-template.sh regenerates internal/genesis/template/genesis.json,
# the genesis template package genesis embeds, by running `seid init` in a
# temporary home: the default app_state and consensus_params of that seid
# version. chain_id, genesis_time and the epoch start times in it do not
# matter; assembly overwrites them.
#
# Usage: hack/gen-genesis-template.sh [OUTPUT]   (default: the embedded template)
# seid comes from $SEID, or from hack/install-seid.sh (built if missing).
# After regenerating, rerun `go test ./internal/genesis/... ./e2e/chain/...`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-${ROOT}/internal/genesis/template/genesis.json}"
SEID="${SEID:-}"
if [[ -z "${SEID}" ]]; then
	SEID="$("${ROOT}/hack/install-seid.sh" | tail -n 1)"
fi
if [[ ! -x "${SEID}" ]]; then
	echo "gen-genesis-template: seid not found at '${SEID}'" >&2
	exit 1
fi

home="$(mktemp -d)"
trap 'rm -rf "${home}"' EXIT

# A neutral chain ID: seid init embeds a different genesis for Sei's
# well-known networks (pacific-1, atlantic-2, arctic-1).
"${SEID}" init template --chain-id sei-fleet-template --mode validator --home "${home}" >/dev/null 2>&1
cp "${home}/config/genesis.json" "${OUT}"
echo "gen-genesis-template: wrote ${OUT} from $("${SEID}" version 2>&1 | head -n 1)" >&2
sha256sum "${OUT}" >&2
