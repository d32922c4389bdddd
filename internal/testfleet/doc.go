// Package testfleet starts real control planes for integration tests: one hub and N member clusters,
// each a kube-apiserver and etcd run by controller-runtime's envtest from the binaries that
// hack/install-k8s-test-bins.sh builds. The hub gets every sei.io CRD plus OCM's cluster registration
// CRDs; members get SeiNode.
//
// Use it once per test package, from TestMain, and share the control planes between tests with a
// namespace per test:
//
//	var fleet *testfleet.Fleet
//
//	func TestMain(m *testing.M) {
//		os.Exit(testfleet.Main(m, testfleet.Options{Members: []string{"us", "eu"}}, &fleet))
//	}
//
// When the binaries are missing, Main skips the package locally and fails it when CI=true, with a
// message that says how to install them.
//
// A killed test process (SIGKILL, a `go test -timeout` panic) leaves nothing running: etcd and
// kube-apiserver run under `setpriv --pdeathsig KILL` (util-linux; without it they run as they are,
// with a warning, and CI=true fails). Their files live in $TMPDIR/sei-fleet-run/<pid>-<start time>,
// which Stop removes and which the next Start, in any process, sweeps once that process is gone.
// Linux only: it reads /proc.
//
// The package owns control-plane lifecycles, kubeconfigs and fault injection (pausing or stopping a
// member's apiserver). It owns no controller of its own; StartControllers runs chosen controllers of
// a real kube-controller-manager (the garbage collector, say) against a control plane.
package testfleet
