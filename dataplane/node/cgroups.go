package node

import (
	"os"
	"path/filepath"
	"sort"
)

// cgroupParent is where containerd puts the cgroups of pods on a node with cgroupsPerQOS off
// (cgroup v1: one folder per hierarchy).
const cgroupParent = "k8s.io"

// sweepCgroups removes the empty cgroups containers left behind: the cgroup filesystem is not
// namespaced, so they outlive the node. A cgroup that still holds a process (a live node's
// container) refuses rmdir and stays.
func sweepCgroups() {
	roots, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", cgroupParent))
	if unified := filepath.Join("/sys/fs/cgroup/unified", cgroupParent); exists(unified) {
		roots = append(roots, unified)
	}
	for _, root := range roots {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		// Deepest first, so parents empty before their turn.
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		for _, d := range dirs {
			if d != root {
				_ = os.Remove(d)
			}
		}
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
