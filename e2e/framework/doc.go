// Package framework runs the multi-cluster end-to-end suite's fleet.
//
// Local starts everything in this process: one hub and N member control planes (real kube-apiservers
// and etcd, internal/testfleet), the hub and one agent per member, a simulated kubelet and
// load-balancer controller per member (envtest has neither), and a fake seictl sidecar per member. It
// registers members on the hub the way a cluster admin does — an accepted OCM ManagedCluster and a
// kubeconfig Secret for the hub's least-privilege identity on that member — and can stop, restart and
// re-register members and the hub to inject faults.
//
// Remote points the same suite at existing clusters (kind, or any) where the hub and agents already run,
// given their kubeconfigs: see FromEnv.
package framework
