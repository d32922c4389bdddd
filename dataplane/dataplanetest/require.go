// Package dataplanetest gates the tests that run real nodes: they need root, Debian's containerd,
// runc, CNI plugins and iptables, and the node binaries hack/install-k8s-test-bins.sh builds with
// NODE_BINS=1. `make test-dataplane` installs all of them.
package dataplanetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// CNIDir is where Debian's containernetworking-plugins puts the plugins the node's CNI config names.
const CNIDir = "/usr/lib/cni"

var (
	hostTools  = []string{"containerd", "containerd-shim-runc-v2", "ctr", "runc", "iptables", "ip", "nsenter"}
	cniPlugins = []string{"bridge", "host-local", "loopback", "portmap"}
	nodeBins   = []string{"kubelet", "kube-proxy", "kube-controller-manager", "kube-scheduler"}
)

// Missing lists what this machine lacks to run a node whose Kubernetes binaries are in binDir.
func Missing(binDir string) []string {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, t := range hostTools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	for _, p := range cniPlugins {
		if _, err := os.Stat(filepath.Join(CNIDir, p)); err != nil {
			missing = append(missing, filepath.Join(CNIDir, p))
		}
	}
	for _, b := range nodeBins {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			missing = append(missing, filepath.Join(binDir, b))
		}
	}
	return missing
}

// Require returns the directory of the Kubernetes binaries, or skips the test when a part is
// missing — and fails it under CI=true, where a skip would hide a broken install.
func Require(t testing.TB) string {
	t.Helper()
	dir, err := testfleet.AssetsDir()
	if err != nil {
		fail(t, err.Error())
	}
	if missing := Missing(dir); len(missing) > 0 {
		fail(t, fmt.Sprintf("a real node needs %s (make test-dataplane installs them)", strings.Join(missing, ", ")))
	}
	return dir
}

func fail(t testing.TB, msg string) {
	t.Helper()
	if testfleet.InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
