// Package clusters is the hub's member-cluster inventory.
//
// Provider is a multicluster-runtime provider: it engages every OCM ManagedCluster the hub accepted
// (spec.hubAcceptsClient) whose kubeconfig Secret <cluster>-kubeconfig exists in the hub's namespace,
// re-engages when the kubeconfig changes, and disengages when either goes away. The Secret is the
// truth: when a changed kubeconfig cannot be engaged (unreachable, or the hub itself), the instance
// built from the earlier one is disengaged too, and NotEngagedReason says why. A replacement takes
// over the name in one step, and, unlike multicluster-runtime's pkg/clusters, a stopped instance
// removes only its own registry entry, never a replacement registered under the same name since.
// Several clusters are engaged at once, so one unreachable member does not hold up the others.
//
// Each member's identity, the UID of its kube-system namespace, is pinned on its ManagedCluster
// (sei.io/cluster-identity) the first time the provider reaches it; a kubeconfig that reaches another
// cluster under that name is refused with an IdentityError. VerifyIdentity re-reads the identity and
// the agent's heartbeat holder through the engaged client, for whatever must not act on the wrong
// cluster (the fence, the sweeper, a release).
// Requests to members are bounded by ClientTimeout; watches are not, so informers keep their watches.
//
// Monitor judges each registered cluster's health actively — informers do not notice a dead
// apiserver — from an API probe bounded by its probe timeout (which re-reads the cluster's identity
// and disengages it on a change), the agent's heartbeat Lease (naming the cluster it runs in), and
// OCM's Available condition and taints, and tells subscribers when a cluster's health changes.
//
// The package owns engagement and health. It owns no placement decision: hub/placement decides what
// to do with an unhealthy cluster.
package clusters
