package resources

// The scripts are constants: everything node-specific reaches them through environment variables,
// so no spec value is ever spliced into shell code, and the golden files show one reviewed script.
// Paths under /etc/sei are the mount points in volumes.go (a test checks that they agree). They run
// in the seid image, which ships bash and a few coreutils (dataplane/images.ShellTools): no sed, grep
// or jq, so JSON is read with bash's own regular expressions.

// ExitGenesisMismatch is the exit code of seid-init when the mounted genesis does not hash to the
// expected sha256, and of seid's start script when config/genesis.json no longer does (both scripts'
// "exit 3"): the agent reports that node's genesis as refused.
const ExitGenesisMismatch = 3

// ExitSigningState is seid-init's exit code when a validator's signing state cannot be established:
// the state file on the volume has no readable height, the floor is not a height, or the Secret's
// consensus key has no readable address and public key (so nobody can tell whose the state is). The
// validator does not start on a state nobody can read.
const ExitSigningState = 4

// ExitHalted is the exit code of seid's start script when it finds, at the closed start gate, that
// seid stopped at its halt-height (app.toml): it writes "seid halted at height H" to the termination
// message first, so the pod's status carries the witness (the agent's await-halt reads it), then the
// kubelet runs the script again, which waits at the gate.
const ExitHalted = 5

// HaltReportedFile, under seid's data directory, holds the halt-height the start script last reported
// (so that it reports each halt once).
const HaltReportedFile = "halt_reported"

// UnvouchedFile, under seid's data directory, marks a validator whose signing state its own volume
// cannot vouch for. It holds the height of the state seid-init left; startScript arms seid's
// double-sign check while it exists and removes it once the state shows a signature at or above
// that height, i.e. once this key has signed from this volume. (startScript writes it again, one above
// the state's height, when it cannot be read.)
const UnvouchedFile = "signing_state_unvouched"

// initScript is seid-init's script. It runs on every pod start and is idempotent:
//   - `seid init` only on a fresh volume. seid writes config.toml before app.toml, so both present
//     means an earlier init finished; --overwrite lets an interrupted one start over.
//   - The node key from its Secret replaces whatever seid init generated: the node's P2P identity
//     (its ID, which peers dial) is the one the agent published.
//   - A validator's consensus key likewise, and its signing state (priv_validator_state.json: the
//     last height, round and step the key signed) is raised to SEI_SIGNING_STATE_FLOOR
//     (spec.validator.signingStateFloor) when it is missing or lower, as {"height":"<floor>",
//     "round":0,"step":0}; it is never lowered, and a state at or above the floor is not touched.
//     The floor is the hub's word that the key may have signed below it elsewhere.
//   - The volume vouches for the signing state only when the consensus key already on it is the
//     Secret's (so the state is this key's) and the state needed no raising. Otherwise seid-init
//     writes UnvouchedFile and startScript arms seid's double-sign check. A state another key left
//     (or seid init made for the key it generated) is rewritten at its own height or the floor,
//     whichever is higher, without that key's signature: what seid-init leaves unvouched never
//     carries a signature, so a signature in it later is this key's own.
//   - "The Secret's key" means the same address and public key, read from the JSON, not the same
//     bytes: the same key written another way (a re-created Secret, other tooling) is still this key,
//     and rewriting its state as another key's would drop its signature and let it sign its last
//     height, round 0, again. A key on the volume whose address or public key cannot be read counts
//     as another key (unvouched, the state rewritten), as any key that differed did before. A Secret
//     whose key cannot be read fails the pod (ExitSigningState): taken for "another key" it would
//     strip this key's state on every start. The agent refuses such a Secret before any pod exists.
//   - With spec.genesis, the genesis is copied onto the volume and the copy checked against the
//     expected sha256 before it replaces config/genesis.json; a mismatch fails the pod (exit
//     ExitGenesisMismatch, which the agent reports), so seid never runs on a genesis nobody agreed
//     on. Checking the copy rather than the mount means what is checked is exactly what seid reads.
//
// Files are written to a temporary name and renamed, so a crash never leaves half a key or state
// behind, and with umask 077 nothing lands readable by anyone else. A validator's three renames run
// in the one order a crash between them cannot exploit: UnvouchedFile first, then the state, then
// the key. A raised state or an installed key without the mark would be vouched for by the next run
// (the Secret's key, a state at the floor) and the check never armed; the key before the state
// would leave another key's signature at the marked height, which startScript takes as this key's.
// Killed after any rename, the next run finds the mark, or the old key and state, and ends where
// an uninterrupted run does (TestInitScriptSurvivesACrashAfterAnyRename). Heights are compared as base-10
// (10#): bash reads a leading zero as octal.
const initScript = `set -euo pipefail
umask 077
config="${SEI_HOME}/config"

install_private() {
  cp -f "$1" "$2.tmp"
  chmod 0600 "$2.tmp"
  mv -f "$2.tmp" "$2"
}

# key_id prints a consensus key file's address (upper case) and public key, or nothing when either
# cannot be read: the same key in any JSON layout prints the same.
key_id() {
  local content address
  content="$(<"$1")"
  if [[ "${content}" =~ \"address\"[[:space:]]*:[[:space:]]*\"([0-9A-Fa-f]{1,128})\" ]]; then
    address="${BASH_REMATCH[1]^^}"
    if [[ "${content}" =~ \"pub_key\"[[:space:]]*:[[:space:]]*\{[^}]*\"value\"[[:space:]]*:[[:space:]]*\"([A-Za-z0-9+/=]{1,1024})\" ]]; then
      printf '%s %s\n' "${address}" "${BASH_REMATCH[1]}"
    fi
  fi
}

if [ ! -f "${config}/config.toml" ] || [ ! -f "${config}/app.toml" ]; then
  seid init "${SEI_MONIKER}" --chain-id "${SEI_CHAIN_ID}" --mode "${SEI_MODE}" --home "${SEI_HOME}" --overwrite
fi

install_private /etc/sei/keys/node/node_key.json "${config}/node_key.json"

if [ "${SEI_MODE}" = validator ]; then
  key="${config}/priv_validator_key.json"
  state="${SEI_HOME}/data/priv_validator_state.json"
  unvouched="${SEI_HOME}/data/signing_state_unvouched"
  floor="${SEI_SIGNING_STATE_FLOOR:-0}"
  if [[ ! "${floor}" =~ ^[0-9]{1,18}$ ]]; then
    echo "signing state floor ${floor} is not a height: refusing to start" >&2
    exit 4
  fi
  floor=$((10#${floor}))
  secret_key="$(key_id /etc/sei/keys/signing/priv_validator_key.json)"
  if [ -z "${secret_key}" ]; then
    echo "the consensus key from the Secret has no readable address and pub_key: refusing to start a validator that cannot tell whose signing state it has" >&2
    exit 4
  fi
  vouched=yes
  if [ ! -f "${key}" ] || [ "$(key_id "${key}")" != "${secret_key}" ]; then
    vouched=no # another key, or one whose address cannot be read: the state here, if any, is not this key's
  fi
  height=""
  if [ -f "${state}" ]; then
    if [[ "$(<"${state}")" =~ \"height\"[[:space:]]*:[[:space:]]*\"([0-9]{1,18})\" ]]; then
      height=$((10#${BASH_REMATCH[1]}))
    else
      echo "${state} has no readable height: refusing to start a validator on an unknown signing state" >&2
      exit 4
    fi
  fi
  if [ -z "${height}" ] || [ "${height}" -lt "${floor}" ]; then
    height="${floor}"
    vouched=no
  fi
  mkdir -p "${SEI_HOME}/data"
  # Decide first, then write the mark, the state, the key, in that order (see initScript's comment).
  if [ "${vouched}" = no ]; then
    printf '%s\n' "${height}" > "${unvouched}.tmp"
    mv -f "${unvouched}.tmp" "${unvouched}"
    echo "signing state not this volume's to vouch for: writing it at height ${height} (floor ${floor})"
    printf '{"height":"%s","round":0,"step":0}\n' "${height}" > "${state}.tmp"
    mv -f "${state}.tmp" "${state}"
  fi
  install_private /etc/sei/keys/signing/priv_validator_key.json "${key}"
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
//
// While UnvouchedFile exists, seid starts with --consensus.double-sign-check-height
// ${SEI_DOUBLE_SIGN_CHECK_HEIGHT} (0 or unset: no flag): before joining consensus seid searches that
// many recent blocks for this key's signature and exits if it finds one, so a key still signing
// elsewhere crash-loops here instead of signing twice. Once the state shows a signature at the file's
// height or any height above it (seid writes "signature" only when it signs; seid init and seid-init
// write none), the key has signed from this volume and the file goes: a restart on its own volume must
// not be refused for the node's own signatures, or a network restarting at once (an upgrade at a
// height) would never start again. The flag wins over config.toml for this start only. The flag is
// expanded as ${check[@]+"${check[@]}"}: under set -u, bash before 4.4 takes "${check[@]}" of the
// empty array (every vouched start) for an unbound variable and exits.
//
// A file that cannot be read as a height (empty after a power loss: nothing here is synced to disk)
// would arm the check on every start, and the validator's own recent signatures would then refuse
// seid for ever. It is written again (atomically) at the state's height plus one: this start is
// armed, and the key's next signature, above the state it has now, disarms it. With no readable
// state either it stays as it is and the check stays armed.
const startScript = `set -uo pipefail

released() (
  exec 3<>"/dev/tcp/127.0.0.1/${SEI_SIDECAR_PORT}" || exit 1
  printf 'GET /v0/healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
  read -r -t 10 _ status _ <&3 || exit 1
  [ "${status}" = 200 ]
)

# The block store's last height, served read-only by seid tendermint inspect on loopback (it resolves
# config/genesis.json from the working directory).
last_block() (
  cd "${SEI_HOME}" || exit 1
  seid tendermint inspect --home "${SEI_HOME}" >/dev/null 2>&1 &
  pid=$!
  trap 'kill "${pid}" 2>/dev/null; wait "${pid}" 2>/dev/null' EXIT
  for _ in {1..30}; do
    if exec 3<>/dev/tcp/127.0.0.1/26657; then
      printf 'GET /blockchain HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
      body=""
      line=""
      while IFS= read -r -t 10 line <&3; do body+="${line}"; done
      body+="${line}" # the JSON ends without a newline: read leaves it in line and returns false
      exec 3<&-
      if [[ "${body}" =~ \"last_height\"[[:space:]]*:[[:space:]]*\"([0-9]{1,18})\" ]]; then
        echo "$((10#${BASH_REMATCH[1]}))"
        exit 0
      fi
    fi 2>/dev/null
    sleep 1
  done
  exit 1
)

# seid stopped at its halt-height and the gate is closed: say so once, in the termination message.
halt=0
if [ -f "${SEI_HOME}/config/app.toml" ] &&
  [[ "$(<"${SEI_HOME}/config/app.toml")" =~ (^|$'\n')halt-height[[:space:]]*=[[:space:]]*([0-9]{1,18}) ]]; then
  halt=$((10#${BASH_REMATCH[2]}))
fi
reported="${SEI_HOME}/data/halt_reported"
if [ "${halt}" -gt 0 ] && [ "$(cat "${reported}" 2>/dev/null)" != "${halt}" ] && ! released 2>/dev/null &&
  height="$(last_block 2>/dev/null)" && [ "${height}" -ge "${halt}" ]; then
  printf '%s\n' "${halt}" > "${reported}"
  msg="seid halted at height ${height} (halt-height ${halt})"
  echo "${msg}" > /dev/termination-log
  echo "${msg}" >&2
  exit 5
fi

echo "waiting for the sidecar on port ${SEI_SIDECAR_PORT} to release seid"
until released 2>/dev/null; do
  sleep 2
done

if [ -n "${SEI_GENESIS_SHA256:-}" ] &&
  ! echo "${SEI_GENESIS_SHA256}  ${SEI_HOME}/config/genesis.json" | sha256sum -c --status - 2>/dev/null; then
  echo "config/genesis.json does not have sha256 ${SEI_GENESIS_SHA256}: refusing to start seid" >&2
  exit 3
fi

check=()
unvouched="${SEI_HOME}/data/signing_state_unvouched"
if [ -f "${unvouched}" ]; then
  since="$(<"${unvouched}")"
  height=""
  signed=no
  state="${SEI_HOME}/data/priv_validator_state.json"
  if [ -f "${state}" ]; then
    content="$(<"${state}")"
    if [[ "${content}" =~ \"height\"[[:space:]]*:[[:space:]]*\"([0-9]{1,18})\" ]]; then
      height=$((10#${BASH_REMATCH[1]}))
    fi
    if [[ "${content}" =~ \"signature\"[[:space:]]*:[[:space:]]*\"[^\"]+\" ]]; then
      signed=yes
    fi
  fi
  if [[ ! "${since}" =~ ^[0-9]{1,18}$ ]] && [ -n "${height}" ]; then
    since=$((height + 1))
    if printf '%s\n' "${since}" > "${unvouched}.tmp" && mv -f "${unvouched}.tmp" "${unvouched}"; then
      echo "${unvouched} could not be read: written again at ${since}, above the signing state's height"
    fi
  fi
  if [[ "${since}" =~ ^[0-9]{1,18}$ ]] && [ -n "${height}" ] &&
    { [ "${height}" -gt "$((10#${since}))" ] || { [ "${height}" -eq "$((10#${since}))" ] && [ "${signed}" = yes ]; }; }; then
    echo "signing state at ${height}, signed at or above ${since}: this key signed from this volume; double-sign check disarmed"
    rm -f "${unvouched}"
  elif [ "${SEI_DOUBLE_SIGN_CHECK_HEIGHT:-0}" != 0 ]; then
    echo "signing state not vouched for by this volume: seid looks for this key in the last ${SEI_DOUBLE_SIGN_CHECK_HEIGHT} blocks before signing"
    check=(--consensus.double-sign-check-height "${SEI_DOUBLE_SIGN_CHECK_HEIGHT}")
  fi
fi
exec seid start --home "${SEI_HOME}" ${check[@]+"${check[@]}"}
`
