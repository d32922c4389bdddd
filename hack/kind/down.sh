#!/usr/bin/env bash
# down.sh: deletes the kind clusters of hack/kind/e2e.sh (every cluster named KIND_CLUSTER_PREFIX-*)
# and the run's kubeconfigs and overlays.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v "$KIND" >/dev/null 2>&1 || die "kind not found ('$KIND'): nothing to delete with"
clusters=$("$KIND" get clusters 2>/dev/null | awk -v p="$PREFIX-" 'index($0, p) == 1' || true)
for c in $clusters; do
  log "Deleting kind cluster $c"
  "$KIND" delete cluster --name "$c"
done
rm -rf "$WORK"
