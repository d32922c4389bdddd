#!/usr/bin/env bash
# install-k8s-test-bins.sh [DEST_DIR] -- builds etcd, kube-apiserver and kube-controller-manager for
# envtest from the Go module proxy into a versioned cache folder outside the repository, and prints
# that folder last. kube-controller-manager is for tests that need one of its controllers, e.g. the
# garbage collector (internal/testfleet StartControllers); envtest itself runs none.
#
# Idempotent: a binary that already reports the wanted version is kept (0.2 s on a warm machine);
# rebuilds are served by GOCACHE. A cold build takes about 8 minutes on 2 cores.
#
# With NODE_BINS=1 it also builds the node side of a member cluster for the data-plane tier:
# kubelet, kube-proxy and kube-scheduler (one `go build` of the same wrapper module; about 4 more
# minutes cold).
#
# Knobs: NODE_BINS (0|1), K8S_VERSION (1.36.3, matching k8s.io/* v0.36 client libraries), ETCD_VERSION (3.6.16),
# ETCD_SOURCE=go|apt, BUILD_ROOT (wrapper modules; default ~/.cache/sei-fleet/k8s-test-bins).
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-1.36.3}
ETCD_VERSION=${ETCD_VERSION:-3.6.16}
ETCD_SOURCE=${ETCD_SOURCE:-go}
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/sei-fleet
BUILD_ROOT=${BUILD_ROOT:-$CACHE_ROOT/k8s-test-bins}
DEST=${1:-$BUILD_ROOT/bin-$K8S_VERSION-etcd$ETCD_VERSION}
STAGING_VERSION="0.${K8S_VERSION#1.}" # 1.36.3 -> 0.36.3

# Static binaries as upstream ships them; wrapper modules resolve their own go.sum.
export CGO_ENABLED=0
export GOFLAGS="-mod=mod"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

mkdir -p "$DEST" "$BUILD_ROOT"
DEST=$(cd "$DEST" && pwd)
T0=$(date +%s)
log() { echo "[k8s-test-bins +$(($(date +%s) - T0))s] $*" >&2; }

# has_version BINARY PATTERN: true when BINARY runs and its --version output matches PATTERN.
# The output is captured first: with pipefail, `bin --version | grep -q` can die of SIGPIPE.
has_version() {
  local out
  [ -x "$1" ] && out=$("$1" --version 2>/dev/null) && grep -q -- "$2" <<<"$out"
}

build_etcd_from_proxy() {
  local dir="$BUILD_ROOT/etcd-v$ETCD_VERSION" s
  mkdir -p "$dir"
  # etcd's go.mod carries replace directives, so `go install pkg@v` refuses it; a wrapper module works.
  printf 'module local/etcdbuild\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" >"$dir/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$dir/tools.go"
  s=$(date +%s)
  (cd "$dir" && go mod tidy >"$dir/tidy.log" 2>&1) || { cat "$dir/tidy.log" >&2; return 1; }
  log "etcd: go mod tidy $(($(date +%s) - s))s"
  s=$(date +%s)
  (cd "$dir" && go build -trimpath -ldflags="-s -w" -o "$DEST/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$DEST/etcd.tmp" "$DEST/etcd"
  log "etcd: go build $(($(date +%s) - s))s"
}

install_etcd_from_apt() {
  local s
  s=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends etcd-server >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends etcd-server >/dev/null; }
  ln -sf /usr/bin/etcd "$DEST/etcd"
  log "etcd: apt-get install etcd-server $(($(date +%s) - s))s"
}

# build_k8s_cmds: builds every command in K8S_CMDS into DEST in one `go build`.
build_k8s_cmds() {
  local dir="$BUILD_ROOT/kube-apiserver-v$K8S_VERSION" s gomod minor ld p pkgs=()
  mkdir -p "$dir"
  s=$(date +%s)
  gomod=$(cd "$dir" && GOFLAGS="" go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  [ -f "$gomod" ] || { echo "could not download k8s.io/kubernetes@v$K8S_VERSION from the module proxy" >&2; return 1; }
  log "k8s.io/kubernetes: module download $(($(date +%s) - s))s"
  # k8s.io/kubernetes replaces every staging module with ./staging/src/...; the wrapper pins each
  # to its published v0.Y.Z instead. The two sample modules are not served and not needed.
  {
    printf 'module local/kubeapiserverbuild\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$K8S_VERSION"
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\1#p' "$gomod" |
      grep -vE '^k8s.io/(sample-cli-plugin|sample-controller)$' |
      while read -r m; do printf '\t%s => %s v%s\n' "$m" "$m" "$STAGING_VERSION"; done
    printf ')\n'
  } >"$dir/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for p in $K8S_CMDS; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$p"; done
    printf ')\n'
  } >"$dir/tools.go"
  s=$(date +%s)
  (cd "$dir" && go mod tidy >"$dir/tidy.log" 2>&1) || { cat "$dir/tidy.log" >&2; return 1; }
  log "kube-apiserver: go mod tidy $(($(date +%s) - s))s"
  # Stamp the version as upstream's hack/lib/version.sh does, else /version says v0.0.0-master.
  minor=${K8S_VERSION#1.}
  minor=${minor%%.*}
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  for p in $K8S_CMDS; do pkgs+=("k8s.io/kubernetes/cmd/$p"); done
  s=$(date +%s)
  rm -rf "$DEST/.build" && mkdir -p "$DEST/.build"
  (cd "$dir" && go build -trimpath -ldflags="$ld" -o "$DEST/.build/" "${pkgs[@]}")
  for p in $K8S_CMDS; do mv "$DEST/.build/$p" "$DEST/$p"; done
  rmdir "$DEST/.build"
  log "$K8S_CMDS: go build $(($(date +%s) - s))s"
}

if [ "$ETCD_SOURCE" = apt ]; then
  { [ -L "$DEST/etcd" ] && has_version "$DEST/etcd" "etcd Version:"; } || install_etcd_from_apt
else
  has_version "$DEST/etcd" "etcd Version: $ETCD_VERSION" || build_etcd_from_proxy
fi
log "etcd: $("$DEST/etcd" --version 2>/dev/null | sed -n 1p)"

K8S_CMDS="kube-apiserver kube-controller-manager"
[ "${NODE_BINS:-0}" = 1 ] && K8S_CMDS="kube-apiserver kubelet kube-proxy kube-controller-manager kube-scheduler"
missing=0
for c in $K8S_CMDS; do has_version "$DEST/$c" "Kubernetes v$K8S_VERSION\$" || missing=1; done
[ "$missing" = 0 ] || build_k8s_cmds
for c in $K8S_CMDS; do log "$c: $("$DEST/$c" --version)"; done
log "done in $(($(date +%s) - T0))s"
echo "$DEST"
