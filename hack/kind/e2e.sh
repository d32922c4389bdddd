#!/usr/bin/env bash
# e2e.sh: the end-to-end suite on real clusters. Creates a kind hub and kind members, builds the image
# and loads it into all of them, installs sei-fleet from deploy/ the way a user does, registers the
# members on the hub with their least-privilege identity, waits for the hub and the agents, then runs
# the e2e suite in remote mode against them. `make e2e-kind` runs it; it needs a Docker engine.
#
# Knobs (environment):
#   KIND_CLUSTER_PREFIX  cluster names PREFIX-hub, PREFIX-<member> (default sei-fleet)
#   KIND_MEMBERS         member names, each also its "region" label (default "us eu")
#   KIND_NODE_IMAGE      kind node image (default: kind's own)
#   KEEP=1               keep the clusters afterwards (reused by the next run; delete: make kind-down)
#   IMG                  sei-fleet image to build and load (default ghcr.io/sei-protocol/sei-fleet:dev)
#   SKIP_BUILD=1         load IMG as it is instead of building it
#   SEID_IMAGE           seid image of the suite's nodes; loaded into the members if present locally,
#                        otherwise the members' nodes pull it (passed on to the suite)
#   SIDECAR_IMAGE        seictl sidecar image the agents run (default ghcr.io/sei-protocol/seictl:v0.0.68);
#                        loaded like SEID_IMAGE
#   E2E_RUN              go test -run pattern (default: every test; remote mode skips what needs the
#                        in-process fleet)
#   E2E_TIMEOUT          go test -timeout (default 30m)
#   ARTIFACTS            where a failed run leaves pods, events and logs (default e2e/artifacts/kind)
#   KIND                 kind binary (default: kind in PATH)
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SEID_IMAGE=${SEID_IMAGE:-}
KEEP=${KEEP:-0}
E2E_RUN=${E2E_RUN:-.}
E2E_TIMEOUT=${E2E_TIMEOUT:-30m}
ROLLOUT_TIMEOUT=${ROLLOUT_TIMEOUT:-180s}
NS=sei-fleet-system

require_tools
command -v go >/dev/null 2>&1 || die "go not found in PATH"
[ "${#MEMBERS[@]}" -gt 0 ] || die "KIND_MEMBERS is empty"
for m in "${MEMBERS[@]}"; do
  [[ $m =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "member name '$m' is not a DNS-1123 label"
  [ "$m" != hub ] || die "a member may not be called 'hub': the hub cluster is $(hub_cluster)"
done
case $IMG in
  *:*) ;;
  *) die "IMG '$IMG' has no tag: kind-loaded images need a pinned tag (IfNotPresent)" ;;
esac

ARTIFACTS=${ARTIFACTS:-$ROOT/e2e/artifacts/kind}
mkdir -p "$WORK"
hub_kc=$WORK/hub.kubeconfig

# dump NAME KUBECONFIG APP KINDS: on failure, keeps what explains it: pods, Deployments and Leases,
# recent events, the sei.io objects (KINDS) and the logs of every replica of APP.
dump() {
  local kc=$2 app=$3 kinds=$4 out=$ARTIFACTS/$1
  mkdir -p "$out"
  kubectl --kubeconfig "$kc" get pods,deployments,leases -A -o wide >"$out/objects.txt" 2>&1 || true
  kubectl --kubeconfig "$kc" get events -A --sort-by=.lastTimestamp >"$out/events.txt" 2>&1 || true
  kubectl --kubeconfig "$kc" get "$kinds" -A -o yaml >"$out/sei.yaml" 2>&1 || true
  kubectl --kubeconfig "$kc" -n "$NS" logs -l "app.kubernetes.io/name=$app" --all-containers --prefix --tail=-1 \
    >"$out/$app.log" 2>&1 || true
}

finish() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    log "Failed (exit $rc); collecting diagnostics in $ARTIFACTS"
    [ -f "$hub_kc" ] && dump hub "$hub_kc" sei-fleet-hub seinodedeployments,seinodes,seiplacementpolicies,managedclusters
    for m in "${MEMBERS[@]}"; do
      [ -f "$WORK/$m.kubeconfig" ] && dump "$m" "$WORK/$m.kubeconfig" sei-fleet-agent seinodes
    done
  fi
  if [ "$KEEP" = 1 ]; then
    log "KEEP=1: clusters kept; kubeconfigs in $WORK (delete with 'make kind-down')"
  else
    "$ROOT/hack/kind/down.sh" || true
  fi
  exit "$rc"
}
trap finish EXIT

# create_cluster NAME CONFIG KUBECONFIG: creates the kind cluster unless it exists (KEEP=1 reuse),
# and writes its kubeconfig (host address) to KUBECONFIG, leaving ~/.kube/config alone.
create_cluster() {
  local name=$1 config=$2 kc=$3
  if cluster_exists "$name"; then
    log "Reusing kind cluster $name"
    REUSED=1
  else
    log "Creating kind cluster $name"
    local args=(create cluster --name "$name" --config "$config" --kubeconfig "$kc" --wait 180s)
    if [ -n "${KIND_NODE_IMAGE:-}" ]; then
      args+=(--image "$KIND_NODE_IMAGE")
    fi
    "$KIND" "${args[@]}"
  fi
  "$KIND" get kubeconfig --name "$name" >"$kc"
  chmod 0600 "$kc"
}

# load_image IMAGE CLUSTER...: loads a locally present image into the clusters' nodes.
load_image() {
  local image=$1
  shift
  for c in "$@"; do
    log "Loading $image into $c"
    "$KIND" load docker-image "$image" --name "$c"
  done
}

# 1. Clusters.
REUSED=0
create_cluster "$(hub_cluster)" "$ROOT/hack/kind/hub.yaml" "$hub_kc"
member_clusters=()
for m in "${MEMBERS[@]}"; do
  create_cluster "$(member_cluster "$m")" "$ROOT/hack/kind/member.yaml" "$WORK/$m.kubeconfig"
  member_clusters+=("$(member_cluster "$m")")
done

# 2. Images: sei-fleet everywhere; seid and the sidecar on members, when they exist locally (else the
# nodes pull them, which needs the registry to be reachable from the kind nodes).
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "Building $IMG"
  docker build -t "$IMG" "$ROOT"
fi
load_image "$IMG" "$(hub_cluster)" "${member_clusters[@]}"
for image in "$SEID_IMAGE" "$SIDECAR_IMAGE"; do
  if [ -n "$image" ] && docker image inspect "$image" >/dev/null 2>&1; then
    load_image "$image" "${member_clusters[@]}"
  elif [ -n "$image" ]; then
    log "$image is not present locally: the member nodes will pull it"
  fi
done

# 3. Hub: the sei.io CRDs and OCM's registration CRDs (kind has no OCM), established before the hub
# starts (it checks for them at start), then the hub.
log "Installing the hub"
kubectl --kubeconfig "$hub_kc" apply -k "$ROOT/deploy/crds"
kubectl --kubeconfig "$hub_kc" apply -k "$ROOT/deploy/crds/ocm"
kubectl --kubeconfig "$hub_kc" wait --for condition=Established --timeout 60s crd -l app.kubernetes.io/part-of=sei-fleet
write_overlay hub
kubectl --kubeconfig "$hub_kc" apply -k "$WORK/hub"

# 4. Members: the SeiNode CRD (on its own, so removing the agent never removes it), the agent with
# this member's name and the kind agent configuration, then the hub's identity on the member.
for m in "${MEMBERS[@]}"; do
  kc=$WORK/$m.kubeconfig
  log "Installing the SeiNode CRD, the agent and the hub's access on member $m"
  kubectl --kubeconfig "$kc" apply -k "$ROOT/deploy/member-crds"
  kubectl --kubeconfig "$kc" wait --for condition=Established --timeout 60s crd/seinodes.sei.io
  write_agent_overlay "$m"
  kubectl --kubeconfig "$kc" apply -k "$WORK/$m"
  kubectl --kubeconfig "$kc" apply -k "$ROOT/deploy/member-access"
done

# 5. Register every member on the hub: its kubeconfig Secret (the in-network address, which the hub's
# pods reach over the docker network "kind") and an accepted ManagedCluster with its region.
for m in "${MEMBERS[@]}"; do
  internal=$("$KIND" get kubeconfig --internal --name "$(member_cluster "$m")" | awk '$1 == "server:" { print $2; exit }')
  [ -n "$internal" ] || die "no in-network address for $(member_cluster "$m")"
  log "Registering member $m ($internal)"
  KUBECONFIG=$WORK/$m.kubeconfig "$ROOT/hack/member-kubeconfig.sh" "kind-$(member_cluster "$m")" "$m" "$internal" |
    kubectl --kubeconfig "$hub_kc" apply -f -
  kubectl --kubeconfig "$hub_kc" apply -f - <<MANAGEDCLUSTER
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata:
  name: $m
  labels:
    region: $m
    env: e2e
spec:
  hubAcceptsClient: true
MANAGEDCLUSTER
done

# 6. Wait: the hub's replicas, every agent, and every agent's heartbeat naming its cluster. Reused
# clusters may run an older build under the same tag: restart onto the image just loaded.
if [ "$REUSED" = 1 ]; then
  log "Restarting the hub and the agents onto the image just loaded"
  kubectl --kubeconfig "$hub_kc" -n "$NS" rollout restart deploy/sei-fleet-hub
  for m in "${MEMBERS[@]}"; do
    kubectl --kubeconfig "$WORK/$m.kubeconfig" -n "$NS" rollout restart deploy/sei-fleet-agent
  done
fi
log "Waiting for the hub and the agents"
kubectl --kubeconfig "$hub_kc" -n "$NS" rollout status deploy/sei-fleet-hub --timeout "$ROLLOUT_TIMEOUT"
for m in "${MEMBERS[@]}"; do
  kc=$WORK/$m.kubeconfig
  kubectl --kubeconfig "$kc" -n "$NS" rollout status deploy/sei-fleet-agent --timeout "$ROLLOUT_TIMEOUT"
  deadline=$((SECONDS + 60))
  until [ "$(kubectl --kubeconfig "$kc" -n "$NS" get lease sei-fleet-agent-heartbeat \
    -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null || true)" = "$m" ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "member $m: no heartbeat Lease naming '$m' after 60s"
    sleep 2
  done
done

# 7. The suite, remote mode: the same tests, against these clusters.
member_kcs=
for m in "${MEMBERS[@]}"; do
  member_kcs+=${member_kcs:+,}$m=$WORK/$m.kubeconfig
done
log "Running the e2e suite (-run '$E2E_RUN') against hub $(hub_cluster) and members ${MEMBERS[*]}"
cd "$ROOT"
E2E_HUB_KUBECONFIG=$hub_kc E2E_MEMBER_KUBECONFIGS=$member_kcs SEID_IMAGE=$SEID_IMAGE SIDECAR_IMAGE=$SIDECAR_IMAGE \
  go test ./e2e/... -count=1 -v -timeout "$E2E_TIMEOUT" -run "$E2E_RUN"
log "Passed"
