package resources

// The scripts are constants: everything node-specific reaches them through environment variables,
// so no spec value is ever spliced into shell code, and the golden files show one reviewed script.
// Paths under /etc/sei are the mount points in volumes.go (a test checks that they agree).

// ExitGenesisMismatch is the exit code of seid-init when the mounted genesis does not hash to the
// expected sha256, and of seid's start script when config/genesis.json no longer does (both scripts'
// "exit 3"): the agent reports that node's genesis as refused.
const ExitGenesisMismatch = 3

// initScript is seid-init's script. It runs on every pod start and is idempotent:
//   - `seid init` only on a fresh volume. seid writes config.toml before app.toml, so both present
//     means an earlier init finished; --overwrite lets an interrupted one start over.
//   - The node key from its Secret replaces whatever seid init generated: the node's P2P identity
//     (its ID, which peers dial) is the one the agent published.
//   - A validator's consensus key likewise. Its signing state (last height, round and step signed) is
//     created only when absent and never reset: it is what stops the key from signing twice at a
//     height it already signed.
//   - With spec.genesis, the genesis is copied onto the volume and the copy checked against the
//     expected sha256 before it replaces config/genesis.json; a mismatch fails the pod (exit
//     ExitGenesisMismatch, which the agent reports), so seid never runs on a genesis nobody agreed
//     on. Checking the copy rather than the mount means what is checked is exactly what seid reads.
//
// Files are written to a temporary name and renamed, so a crash never leaves half a key behind, and
// with umask 077 nothing lands readable by anyone else.
const initScript = `set -euo pipefail
umask 077
config="${SEI_HOME}/config"

install_private() {
  cp -f "$1" "$2.tmp"
  chmod 0600 "$2.tmp"
  mv -f "$2.tmp" "$2"
}

if [ ! -f "${config}/config.toml" ] || [ ! -f "${config}/app.toml" ]; then
  seid init "${SEI_MONIKER}" --chain-id "${SEI_CHAIN_ID}" --mode "${SEI_MODE}" --home "${SEI_HOME}" --overwrite
fi

install_private /etc/sei/keys/node/node_key.json "${config}/node_key.json"

if [ "${SEI_MODE}" = validator ]; then
  install_private /etc/sei/keys/signing/priv_validator_key.json "${config}/priv_validator_key.json"
  state="${SEI_HOME}/data/priv_validator_state.json"
  if [ ! -f "${state}" ]; then
    mkdir -p "${SEI_HOME}/data"
    printf '{"height":"0","round":0,"step":0}\n' > "${state}.tmp"
    mv -f "${state}.tmp" "${state}"
  fi
fi

if [ -n "${SEI_GENESIS_SHA256:-}" ]; then
  cp -f /etc/sei/genesis/genesis.json "${config}/genesis.json.tmp"
  if ! echo "${SEI_GENESIS_SHA256}  ${config}/genesis.json.tmp" | sha256sum -c --status -; then
    echo "genesis.json from the ConfigMap does not have sha256 ${SEI_GENESIS_SHA256}: refusing to start" >&2
    rm -f "${config}/genesis.json.tmp"
    exit 3
  fi
  mv -f "${config}/genesis.json.tmp" "${config}/genesis.json"
fi
`

// startScript is seid's start gate: seid starts only once the sidecar releases it, i.e. /v0/healthz
// answers 200 after the agent's mark-ready task, when configuration, genesis and peers are in place.
// The check is a plain HTTP/1.0 request over bash's /dev/tcp, so the seid image needs no curl. exec
// makes seid the container's main process, so it receives SIGTERM directly.
//
// With spec.genesis it then checks config/genesis.json against the expected sha256 again, right
// before every `exec seid start`. seid-init checks only when the pod starts; the sidecar's
// restart-seid (SIGTERM, and the kubelet restarts this container alone) and any crash restart run
// this script without it, and the sidecar can write config/genesis.json in between (configure-genesis,
// ceremony tasks). A mismatch exits ExitGenesisMismatch, as seid-init does, so the agent reports it.
const startScript = `set -uo pipefail

released() (
  exec 3<>"/dev/tcp/127.0.0.1/${SEI_SIDECAR_PORT}" || exit 1
  printf 'GET /v0/healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  read -r -t 10 _ status _ <&3 || exit 1
  [ "${status}" = 200 ]
)

echo "waiting for the sidecar on port ${SEI_SIDECAR_PORT} to release seid"
until released 2>/dev/null; do
  sleep 2
done

if [ -n "${SEI_GENESIS_SHA256:-}" ] &&
  ! echo "${SEI_GENESIS_SHA256}  ${SEI_HOME}/config/genesis.json" | sha256sum -c --status - 2>/dev/null; then
  echo "config/genesis.json does not have sha256 ${SEI_GENESIS_SHA256}: refusing to start seid" >&2
  exit 3
fi
exec seid start --home "${SEI_HOME}"
`
