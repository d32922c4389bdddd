package testfleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Versions of the test binaries; they match the k8s.io client libraries (v0.36) and the Makefile.
const (
	K8sVersion  = "1.36.3"
	EtcdVersion = "3.6.16"
)

// ErrAssetsMissing means kube-apiserver or etcd could not be found.
var ErrAssetsMissing = errors.New("kube-apiserver and etcd test binaries not found")

// AssetsDir returns the folder holding kube-apiserver and etcd: $KUBEBUILDER_ASSETS, or the folder
// `make test-bins` installs into.
func AssetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("find home directory: %w", err)
			}
			cache = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(cache, "sei-fleet", "k8s-test-bins", fmt.Sprintf("bin-%s-etcd%s", K8sVersion, EtcdVersion))
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if fi, err := os.Stat(filepath.Join(dir, bin)); err != nil || fi.IsDir() {
			return "", fmt.Errorf("%w in %s: run `make test-bins` (or hack/install-k8s-test-bins.sh) to build them", ErrAssetsMissing, dir)
		}
	}
	return dir, nil
}

// InCI reports whether tests run in CI, where missing binaries must fail rather than skip.
func InCI() bool { return os.Getenv("CI") == "true" }
