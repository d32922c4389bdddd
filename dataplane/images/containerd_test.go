//go:build dataplane

package images_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sei-protocol/sei-fleet/dataplane/proc"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// containerd is a containerd of the test's own: its root, state, socket, runc root and I/O fifos
// are under one temporary folder, and its namespace is named after this process, so it shares
// nothing with a containerd the machine or another test runs.
type containerd struct {
	dir       string
	socket    string
	namespace string
}

// startContainerd runs containerd without its CRI plugin (no kubelet here) and stops it, its
// shims, its mounts and its cgroups when the test ends. It skips when containerd or runc is
// missing, or fails under CI=true.
func startContainerd(t *testing.T) *containerd {
	t.Helper()
	var missing []string
	for _, bin := range []string{"containerd", "containerd-shim-runc-v2", "ctr", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("running images needs %s (Debian: apt-get install containerd runc)", strings.Join(missing, ", "))
		if testfleet.InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	c := &containerd{dir: dir, socket: filepath.Join(dir, "containerd.sock"), namespace: fmt.Sprintf("sei-fleet-images-test-%d", os.Getpid())}
	config := filepath.Join(dir, "config.toml")
	// The opt plugin would otherwise write to /opt/containerd.
	toml := fmt.Sprintf(`version = 2
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]

[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, filepath.Join(dir, "opt"))
	if err := os.WriteFile(config, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	created := absentDirs(shimSocketDirs)
	// proc gives it a parent-death signal and a process group of its own.
	p, err := proc.Start(proc.Spec{
		Name:    "containerd",
		Path:    "containerd",
		Args:    []string{"--config", config, "--root", filepath.Join(dir, "root"), "--state", filepath.Join(dir, "state"), "--address", c.socket},
		LogPath: filepath.Join(dir, "containerd.log"),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the folders go once the shims are gone.
	t.Cleanup(func() { removeEmpty(created) })
	t.Cleanup(func() { c.teardown(t, p) })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := p.WaitFor(ctx, 100*time.Millisecond, func() error {
		_, err := c.ctr(ctx, "version")
		return err
	}); err != nil {
		t.Fatalf("containerd did not come up: %v\n%s", err, c.log())
	}
	return c
}

// ctr runs ctr against this containerd and returns its combined output.
func (c *containerd) ctr(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "ctr", c.args(args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), err
}

func (c *containerd) args(args ...string) []string {
	return append([]string{"-a", c.socket, "-n", c.namespace}, args...)
}

// runArgs are `ctr run`'s arguments that keep runc's state and the I/O fifos in the test's
// folder instead of /run/containerd.
func (c *containerd) runArgs(args ...string) []string {
	return append([]string{"run", "--rm", "--runc-root", filepath.Join(c.dir, "runc"), "--fifo-dir", filepath.Join(c.dir, "fifo")}, args...)
}

// taskPid is the host PID of a running task.
func (c *containerd) taskPid(ctx context.Context, id string) (int, error) {
	out, err := c.ctr(ctx, "tasks", "ls")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == id && f[2] == "RUNNING" {
			return strconv.Atoi(f[1])
		}
	}
	return 0, fmt.Errorf("task %s is not running: %s", id, out)
}

func (c *containerd) log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "containerd.log"))
	return string(b)
}

// teardown removes what the containerd made, in the order that lets each step work: tasks before
// the daemon, shims after it (they outlive it by design), then mounts and cgroups. A leftover is
// a test failure.
func (c *containerd) teardown(t *testing.T, p *proc.Process) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 30*time.Second)
	defer cancel()
	if out, err := c.ctr(ctx, "tasks", "ls", "-q"); err == nil {
		for _, id := range strings.Fields(out) {
			_, _ = c.ctr(ctx, "tasks", "kill", "-s", "SIGKILL", id)
			_, _ = c.ctr(ctx, "tasks", "rm", "-f", id)
		}
	}
	if out, err := c.ctr(ctx, "containers", "ls", "-q"); err == nil {
		for _, id := range strings.Fields(out) {
			_, _ = c.ctr(ctx, "containers", "rm", id)
		}
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Errorf("stop containerd: %v", err)
	}
	// A shim exits on its own once its task is deleted, but not at once.
	shims := processesWithArgs("-address", c.socket)
	for deadline := time.Now().Add(5 * time.Second); len(shims) > 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		shims = processesWithArgs("-address", c.socket)
	}
	for _, pid := range shims {
		t.Errorf("shim %d outlived its task; killing it", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	mounts, cgroupRoots := mountsUnder(t, c.dir)
	for _, m := range mounts {
		t.Errorf("unmounting leftover %s", m)
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", m, err)
		}
	}
	for _, root := range cgroupRoots {
		if err := removeCgroup(filepath.Join(root, c.namespace)); err != nil {
			t.Errorf("remove cgroup: %v", err)
		}
	}
}

// shimSocketDirs is where containerd 1.6 puts its shims' sockets, whatever its --state.
var shimSocketDirs = []string{"/run/containerd", "/run/containerd/s"}

// absentDirs returns those of dirs that do not exist.
func absentDirs(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if _, err := os.Stat(d); os.IsNotExist(err) {
			out = append(out, d)
		}
	}
	return out
}

// removeEmpty removes dirs, deepest first, that are empty: another containerd may have come to use
// them meanwhile.
func removeEmpty(dirs []string) {
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = syscall.Rmdir(dirs[i])
	}
}

// processesWithArgs lists the processes whose command line holds args in a row.
func processesWithArgs(args ...string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		argv := strings.Split(string(b), "\x00")
		for i := range argv {
			if i+len(args) <= len(argv) && slices.Equal(argv[i:i+len(args)], args) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// mountsUnder returns the mount points below dir, deepest first, and the roots of the cgroup
// hierarchies.
func mountsUnder(t *testing.T, dir string) (mounts, cgroupRoots []string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Errorf("read mountinfo: %v", err)
		return nil, nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		sep := slices.Index(fields, "-")
		if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		// Mountinfo escapes spaces and the like as octal (\040).
		point, err := strconv.Unquote(`"` + strings.ReplaceAll(fields[4], `"`, `\"`) + `"`)
		if err != nil {
			point = fields[4]
		}
		switch {
		case strings.HasPrefix(point, dir+"/"):
			mounts = append(mounts, point)
		case fields[sep+1] == "cgroup" || fields[sep+1] == "cgroup2":
			cgroupRoots = append(cgroupRoots, point)
		}
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	return mounts, cgroupRoots
}

// removeCgroup removes a cgroup and the ones below it (rmdir: their files are not real files).
func removeCgroup(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeCgroup(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := syscall.Rmdir(dir); err != nil {
		return fmt.Errorf("rmdir %s: %w", dir, err)
	}
	return nil
}
