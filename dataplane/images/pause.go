package images

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// PauseName is containerd 1.6's default sandbox image: the CRI plugin never pulls it when an image
// of that name is already in its namespace.
const PauseName = "registry.k8s.io/pause:3.6"

// pausePackage is the command BuildPause compiles.
const pausePackage = "github.com/sei-protocol/sei-fleet/dataplane/pause"

// pauseUser is the one the upstream pause image runs as.
const pauseUser = "65535:65535"

// BuildPause compiles dataplane/pause with the go tool, static, and writes the pause image layout
// tarball at path. It needs this module's source and a Go toolchain, as tests and `make dev` have.
func BuildPause(ctx context.Context, path string) (Image, error) {
	tmp, err := os.MkdirTemp("", "sei-fleet-pause-")
	if err != nil {
		return Image{}, fmt.Errorf("create build folder: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	bin := filepath.Join(tmp, "pause")
	// -trimpath and -buildvcs=false keep the binary, hence the image's digest, the same whatever
	// the checkout's path or state.
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", bin, pausePackage)
	cmd.Dir = sourceDir()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Image{}, fmt.Errorf("build %s: %w: %s", pausePackage, err, strings.TrimSpace(out.String()))
	}
	return Build(Spec{
		Name:       PauseName,
		Files:      []File{{Path: "/pause", Source: bin, Mode: 0o755}},
		Entrypoint: []string{"/pause"},
		User:       pauseUser,
	}, path)
}

// sourceDir is this package's folder, so the go tool finds the module wherever the caller runs;
// it falls back to the working directory when the binary was built with -trimpath.
func sourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	if _, err := os.Stat(file); err != nil {
		return ""
	}
	return filepath.Dir(file)
}
