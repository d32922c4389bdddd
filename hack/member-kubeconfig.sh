#!/usr/bin/env bash
# member-kubeconfig.sh CONTEXT CLUSTER_NAME [SERVER_URL]
#
# Prints, on stdout, the Secret CLUSTER_NAME-kubeconfig (namespace sei-fleet-system) that the hub
# reads to reach member cluster CLUSTER_NAME as its least-privilege identity: a kubeconfig holding
# the token of the ServiceAccount sei-fleet-hub that deploy/member-access creates on the member.
# Apply deploy/member-access on the member first, then pipe this into kubectl on the hub:
#
#   hack/member-kubeconfig.sh member-us-ctx us-east-1 | kubectl --context hub-ctx apply -f -
#
# CONTEXT is the member's context in your kubeconfig ($KUBECONFIG or ~/.kube/config); it is used to
# read the token and, unless SERVER_URL is given, the member's API address and CA. SERVER_URL
# overrides the address for when the hub reaches the member differently from you (kind: the
# in-network address from `kind get kubeconfig --internal`); the CA then comes from the token Secret
# (the cluster's own CA, which signs every address of its apiserver).
#
# TOKEN_TIMEOUT (seconds, default 60) bounds the wait for the token controller to fill the Secret.
# The output holds a credential: write it to the hub, not to a file you keep.
set -euo pipefail

NAMESPACE=sei-fleet-system
SERVICE_ACCOUNT=sei-fleet-hub
TOKEN_SECRET=sei-fleet-hub-token
TOKEN_TIMEOUT=${TOKEN_TIMEOUT:-60}

die() {
  echo "member-kubeconfig.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 CONTEXT CLUSTER_NAME [SERVER_URL]" >&2
  exit 2
}

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  usage
fi
context=$1
name=$2
server=${3:-}

command -v kubectl >/dev/null 2>&1 || die "kubectl not found in PATH"
# The ManagedCluster's name: a DNS-1123 subdomain, short enough for the Secret name's suffix.
dns1123='^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'
if ! [[ $name =~ $dns1123 ]] || [ "${#name}" -gt 242 ]; then
  die "cluster name '$name' is not a DNS-1123 subdomain of at most 242 characters"
fi

kc() { kubectl --context "$context" "$@"; }

# The token controller fills the Secret shortly after it is created.
deadline=$((SECONDS + TOKEN_TIMEOUT))
while :; do
  if ! token_b64=$(kc -n "$NAMESPACE" get secret "$TOKEN_SECRET" -o 'jsonpath={.data.token}' 2>&1); then
    die "cannot read Secret $NAMESPACE/$TOKEN_SECRET in context '$context' (apply deploy/member-access there first): $token_b64"
  fi
  if [ -n "$token_b64" ]; then
    break
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    die "Secret $NAMESPACE/$TOKEN_SECRET in context '$context' still has no token after ${TOKEN_TIMEOUT}s: is the ServiceAccount $SERVICE_ACCOUNT there and the token controller running?"
  fi
  sleep 2
done
token=$(printf '%s' "$token_b64" | base64 -d)

ca_b64=
if [ -z "$server" ]; then
  server=$(kubectl config view --context "$context" --minify --raw -o 'jsonpath={.clusters[0].cluster.server}')
  [ -n "$server" ] || die "context '$context' names no cluster server"
  # The CA you trust for this address (inlined by --flatten when the kubeconfig names a file).
  ca_b64=$(kubectl config view --context "$context" --minify --raw --flatten \
    -o 'jsonpath={.clusters[0].cluster.certificate-authority-data}')
fi
if [ -z "$ca_b64" ]; then
  ca_b64=$(kc -n "$NAMESPACE" get secret "$TOKEN_SECRET" -o 'jsonpath={.data.ca\.crt}')
fi
[ -n "$ca_b64" ] || die "found no CA for context '$context': neither in the kubeconfig nor in Secret $NAMESPACE/$TOKEN_SECRET"
case $server in
  https://*) ;;
  *) die "server '$server' is not an https:// URL" ;;
esac

kubeconfig=$(cat <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: "$name"
    cluster:
      server: "$server"
      certificate-authority-data: $ca_b64
users:
  - name: $SERVICE_ACCOUNT
    user:
      token: $token
contexts:
  - name: "$name"
    context:
      cluster: "$name"
      user: $SERVICE_ACCOUNT
current-context: "$name"
KUBECONFIG
)

if [ -t 1 ]; then
  echo "member-kubeconfig.sh: printing a credential to a terminal; pipe it to 'kubectl apply -f -' on the hub instead" >&2
fi
cat <<SECRET
# The hub's kubeconfig for member cluster $name (ServiceAccount $NAMESPACE/$SERVICE_ACCOUNT there).
apiVersion: v1
kind: Secret
metadata:
  name: $name-kubeconfig
  namespace: $NAMESPACE
  labels:
    app.kubernetes.io/name: sei-fleet-member-access
    app.kubernetes.io/part-of: sei-fleet
    app.kubernetes.io/component: member-kubeconfig
type: Opaque
data:
  kubeconfig: $(printf '%s\n' "$kubeconfig" | base64 | tr -d '\n')
SECRET
