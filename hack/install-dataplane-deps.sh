#!/usr/bin/env bash
# install-dataplane-deps.sh: installs the host parts of the local data plane (dataplane/) from Debian's
# packages when any is missing: containerd and its runc shim, runc, the CNI plugins in /usr/lib/cni,
# iptables (kube-proxy, CNI masquerade), iproute2 and nsenter. `make test-dataplane` and `make dev`
# run it. Needs apt-get and root (the nodes run as root in namespaces of their own).
set -euo pipefail

need=()
for cmd in containerd:containerd containerd-shim-runc-v2:containerd runc:runc iptables:iptables ip:iproute2 nsenter:util-linux; do
  command -v "${cmd%%:*}" >/dev/null 2>&1 || need+=("${cmd#*:}")
done
for plugin in bridge host-local loopback portmap; do
  [ -x "/usr/lib/cni/$plugin" ] || need+=(containernetworking-plugins)
done
if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi
mapfile -t pkgs < <(printf '%s\n' "${need[@]}" | sort -u)
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-dataplane-deps.sh: missing ${pkgs[*]} and there is no apt-get: install them with your package manager" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-dataplane-deps.sh: the data plane runs nodes as root; run as root to install ${pkgs[*]}" >&2
  exit 1
fi

echo "install-dataplane-deps.sh: installing ${pkgs[*]} from Debian's packages" >&2
start=$(date +%s)
apt-get update -qq
# containerd's package would start a system containerd; the data plane runs its own per node.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet containerd 2>/dev/null; then
  systemctl stop containerd || true
fi
echo "install-dataplane-deps.sh: done in $(($(date +%s) - start)) s" >&2
