#!/usr/bin/env bash
# install-shellcheck.sh: installs shellcheck from Debian's packages when it is missing (`make
# lint-scripts` runs it; a fresh CI machine has no shellcheck). Needs apt-get and root or sudo.
set -euo pipefail

if command -v shellcheck >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-shellcheck.sh: shellcheck is missing and there is no apt-get: install shellcheck with your package manager" >&2
  exit 1
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "install-shellcheck.sh: installing shellcheck needs root or sudo" >&2
    exit 1
  fi
}

echo "install-shellcheck.sh: installing shellcheck from Debian's packages" >&2
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
shellcheck --version | sed -n 2p >&2
