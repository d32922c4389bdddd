# shellcheck shell=bash
# common.sh: settings and helpers shared by hack/kind/e2e.sh and hack/kind/down.sh (sourced, not run).
# shellcheck disable=SC2034 # the settings are used by the scripts that source this file

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Cluster names are PREFIX-hub and PREFIX-MEMBER for each member.
PREFIX=${KIND_CLUSTER_PREFIX:-sei-fleet}
# Member names: each is also the member's ManagedCluster name and its "region" label.
read -r -a MEMBERS <<<"${KIND_MEMBERS:-us eu}"
KIND=${KIND:-kind}
# The sei-fleet image the clusters run, and the seictl sidecar image the agents run.
IMG=${IMG:-ghcr.io/sei-protocol/sei-fleet:dev}
SIDECAR_IMAGE=${SIDECAR_IMAGE:-ghcr.io/sei-protocol/seictl:v0.0.68}
# Kubeconfigs and kustomize overlays of this run. Under the repository (.dev/ is ignored by git)
# because kustomize overlays may only name their base by a relative path.
WORK=$ROOT/.dev/kind/$PREFIX

log() { printf '[kind-e2e %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  printf 'kind-e2e: %s\n' "$*" >&2
  exit 1
}

# require_tools fails fast, naming what is missing, before any cluster is touched.
require_tools() {
  command -v docker >/dev/null 2>&1 || die "docker not found: kind needs Docker (or set KIND_EXPERIMENTAL_PROVIDER for podman)"
  if [ -z "${KIND_EXPERIMENTAL_PROVIDER:-}" ] && ! docker info >/dev/null 2>&1; then
    die "no Docker engine answers ('docker info' failed): start one; the docker client alone is not enough"
  fi
  command -v "$KIND" >/dev/null 2>&1 || die "kind not found ('$KIND'): run 'make e2e-kind', which installs it, or set KIND"
  command -v kubectl >/dev/null 2>&1 || die "kubectl not found in PATH"
}

hub_cluster() { printf '%s-hub' "$PREFIX"; }
member_cluster() { printf '%s-%s' "$PREFIX" "$1"; }

cluster_exists() { "$KIND" get clusters 2>/dev/null | grep -qx "$1"; }

# write_overlay BASE: writes $WORK/BASE/kustomization.yaml, deploy/BASE running $IMG. kustomize takes a
# base only by a relative path, and $WORK/BASE is always four levels under the repository.
write_overlay() {
  local base=$1 dir=$WORK/$1
  mkdir -p "$dir"
  cat >"$dir/kustomization.yaml" <<KUSTOMIZATION
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../../deploy/$base
images:
  - name: ghcr.io/sei-protocol/sei-fleet
    newName: ${IMG%:*}
    newTag: ${IMG##*:}
KUSTOMIZATION
}

# write_agent_overlay MEMBER: writes $WORK/MEMBER, deploy/agent for member MEMBER: its cluster name and
# hack/kind/agent-config.yaml with $SIDECAR_IMAGE as the agent configuration.
write_agent_overlay() {
  local member=$1 dir=$WORK/$1
  mkdir -p "$dir"
  cat >"$dir/kustomization.yaml" <<KUSTOMIZATION
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../../deploy/agent
images:
  - name: ghcr.io/sei-protocol/sei-fleet
    newName: ${IMG%:*}
    newTag: ${IMG##*:}
configMapGenerator:
  - name: sei-fleet-agent
    namespace: sei-fleet-system
    behavior: merge
    literals:
      - CLUSTER_NAME=$member
    files:
      - config.yaml
KUSTOMIZATION
  sed "s|^  sidecar: .*|  sidecar: $SIDECAR_IMAGE|" "$ROOT/hack/kind/agent-config.yaml" >"$dir/config.yaml"
  grep -qxF "  sidecar: $SIDECAR_IMAGE" "$dir/config.yaml" || die "could not set the sidecar image in $dir/config.yaml"
}
