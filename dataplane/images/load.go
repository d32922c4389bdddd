package images

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// Load imports the image layout tarball at tarPath into the containerd listening on socket, in
// namespace (k8s.io for the kubelet's images), and unpacks it into the default snapshotter. It
// checks afterwards that every image the tarball names is listed.
func Load(ctx context.Context, socket, namespace, tarPath string) error {
	names, err := imageNames(tarPath)
	if err != nil {
		return err
	}
	// --all-platforms, as kind load does: the layout has one platform, and ctr 1.6 otherwise
	// filters by the client's, which is the same one anyway.
	if _, err := ctr(ctx, socket, namespace, "images", "import", "--all-platforms", tarPath); err != nil {
		return fmt.Errorf("import %s: %w", tarPath, err)
	}
	out, err := ctr(ctx, socket, namespace, "images", "ls", "-q")
	if err != nil {
		return fmt.Errorf("list images after importing %s: %w", tarPath, err)
	}
	listed := strings.Fields(out)
	for _, name := range names {
		if !slices.Contains(listed, name) {
			return fmt.Errorf("import %s: %s is not listed afterwards", tarPath, name)
		}
	}
	return nil
}

// ctr runs containerd's client and returns its standard output.
func ctr(ctx context.Context, socket, namespace string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "ctr", append([]string{"-a", socket, "-n", namespace}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// imageNames reads the names a layout tarball's index.json gives its images.
func imageNames(tarPath string) ([]string, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s has no index.json", tarPath)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", tarPath, err)
		}
		if strings.TrimPrefix(h.Name, "./") != "index.json" {
			continue
		}
		var idx index
		if err := json.NewDecoder(tr).Decode(&idx); err != nil {
			return nil, fmt.Errorf("decode %s's index.json: %w", tarPath, err)
		}
		var names []string
		for _, m := range idx.Manifests {
			if n := m.Annotations[annotationImageName]; n != "" {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%s names no image (annotation %s)", tarPath, annotationImageName)
		}
		return names, nil
	}
}
