// Package clusters is the hub's member-cluster inventory.
//
// Provider is a multicluster-runtime provider: it engages every OCM ManagedCluster the hub accepted
// (spec.hubAcceptsClient) whose kubeconfig Secret <cluster>-kubeconfig exists in the hub's namespace,
// re-engages when the kubeconfig changes, and disengages when either goes away. Unlike
// multicluster-runtime's pkg/clusters, a stopped cluster removes only its own registry entry, never a
// replacement registered under the same name.
//
// Monitor judges each registered cluster's health actively — informers do not notice a dead
// apiserver — from an API probe, the agent's heartbeat Lease (naming the cluster it runs in), and OCM's
// Available condition and taints, and tells subscribers when a cluster's health changes.
//
// The package owns engagement and health. It owns no placement decision: hub/placement decides what
// to do with an unhealthy cluster.
package clusters
