package images

import (
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
)

// ShellTools are the programs the seid pod's scripts run (agent/resources/scripts.go; bash itself
// runs them, containers.go): bash's builtins cover echo, printf, read, [ and the /dev/tcp check,
// and the rest are coreutils. sh and test are there for hand-written commands.
var ShellTools = []string{"bash", "sh", "cat", "chmod", "cp", "ls", "mkdir", "mv", "rm", "sha256sum", "sleep", "test", "env"}

// HostTools returns the host's programs named (looked up on PATH unless absolute) as files in the
// image directory dir, under their own names; Build adds the libraries they need. Placing them in
// one directory, /bin for the pod's /bin/bash, spares the image the host's /bin -> usr/bin link.
func HostTools(dir string, names ...string) ([]File, error) {
	files := make([]File, 0, len(names))
	for _, name := range names {
		src, err := exec.LookPath(name)
		if err != nil {
			return nil, fmt.Errorf("find %s on the host: %w", name, err)
		}
		files = append(files, File{Path: path.Join(dir, filepath.Base(name)), Source: src})
	}
	return files, nil
}
