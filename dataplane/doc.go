// Package dataplane is the root of the local node runtime: real member-cluster nodes (containerd,
// runc, CNI, kubelet, kube-proxy) started from Go for tests and `make dev`, without a Docker engine.
//
// Every node runs in namespaces of its own under a supervisor that is PID 1 there, so when the test
// process dies — even by SIGKILL — the kernel tears down the node's processes, containers, mounts and
// interfaces with it.
package dataplane
