// Package deploy_test renders every kustomization under deploy/ with kustomize's own library and has
// real kube-apiservers judge what users would apply: each object is created with server-side dry-run
// (all admission and validation, nothing stored) on the cluster it is meant for — hub bases on a hub,
// agent and member-access bases on a member. It also checks what the apiserver cannot: labels, that
// bindings name roles the same render creates, the restricted pod security of every Deployment, the
// project image, and that the agent accepts its shipped configuration.
//
// CRDs: testfleet has already installed the same CRD files on both clusters (the hub has all, the
// member SeiNode), so a CRD's dry-run create finds it and the test dry-runs it as an update of the
// installed one instead — what `kubectl apply` does on a cluster that has it, with the same schema
// validation a create gets. Namespaces are created for real after their dry-run, since a namespaced
// object's dry-run create needs its namespace to exist.
package deploy_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// The clusters of the test fleet: a hub (all CRDs, OCM's included) and one member (SeiNode only).
const (
	hubCluster    = "hub"
	memberCluster = "member"
)

var fleet *testfleet.Fleet

func TestMain(m *testing.M) {
	os.Exit(testfleet.Main(m, testfleet.Options{Members: []string{memberCluster}}, &fleet))
}

// repoRoot is the repository, found from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

// deployDir is deploy/.
func deployDir() string { return filepath.Join(repoRoot(), "deploy") }

// cluster returns the control plane called name ("hub" or the member).
func cluster(t *testing.T, name string) *testfleet.ControlPlane {
	t.Helper()
	if name == hubCluster {
		return fleet.Hub
	}
	cp := fleet.Member(name)
	if cp == nil {
		t.Fatalf("no cluster %q in the test fleet", name)
	}
	return cp
}
