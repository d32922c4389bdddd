#!/usr/bin/env bash
# verify-generated.sh: fails when a generated file (CRDs, RBAC, DeepCopy, copied OCM CRDs, the overrides
# key allowlist, seid key table and docs/config-overrides.md) differs from
# what `make manifests generate` produces from the current sources. Works on a dirty tree too: it
# compares the files before and after regenerating, not against git.
set -euo pipefail
cd "$(dirname "$0")/.."

generated=(deploy/crds deploy/hub/rbac deploy/hub/member-rbac deploy/agent/rbac api/v1alpha1/zz_generated.deepcopy.go docs/crd-reference.md
  api/v1alpha1/zz_generated.overrides.go internal/nodeconfig/zz_generated.seidkeys.go docs/config-overrides.md)
before=$(mktemp -d)
trap 'rm -rf "$before"' EXIT
for p in "${generated[@]}"; do
  if [ -e "$p" ]; then
    mkdir -p "$before/$(dirname "$p")"
    cp -R "$p" "$before/$p"
  fi
done

make -s manifests generate >/dev/null

stale=0
for p in "${generated[@]}"; do
  if [ ! -e "$before/$p" ] && [ ! -e "$p" ]; then continue; fi
  if ! diff -r "$before/$p" "$p" >/dev/null 2>&1; then
    echo "stale: $p"
    diff -r "$before/$p" "$p" | head -20 || true
    stale=1
  fi
done
if [ "$stale" -ne 0 ]; then
  echo "generated files were stale and have been regenerated: review and commit them ('make manifests generate')" >&2
  exit 1
fi
echo "generated files are up to date"
