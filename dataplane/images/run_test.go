//go:build dataplane

package images_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/dataplane/images"
	"github.com/sei-protocol/sei-fleet/dataplane/proc"
)

// TestContainerdRunsBuiltImages loads a shell image and the pause image into a containerd of the
// test's own and runs them with runc, as the kubelet will.
func TestContainerdRunsBuiltImages(t *testing.T) {
	c := startContainerd(t)
	dir := t.TempDir()
	tools, err := images.HostTools("/bin", images.ShellTools...)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	shell, err := images.Build(images.Spec{
		Name:  "docker.io/sei-fleet/images-test:dev",
		Files: tools,
		Dirs:  []images.Dir{{Path: "/tmp", Mode: fs.ModeSticky | 0o777}},
	}, filepath.Join(dir, "shell.tar"))
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	NewWithT(t).Expect(images.Load(t.Context(), c.socket, c.namespace, shell.Path)).To(Succeed())

	t.Run("bash and coreutils", func(t *testing.T) {
		g := NewWithT(t)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		out, err := c.ctr(ctx, c.runArgs(shell.Name, "sha", "bash", "-c", "echo hi | sha256sum")...)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(Equal(sha256Hex([]byte("hi\n")) + "  -\n"))

		// What the seid pod's init script does, with the same tools; nothing of the host's shows.
		script := `set -euo pipefail
umask 077
mkdir -p /tmp/a
cp -f /bin/cat /tmp/a/x.tmp
chmod 0600 /tmp/a/x.tmp
mv -f /tmp/a/x.tmp /tmp/a/x
test -f /tmp/a/x
[ -s /tmp/a/x ]
ls /tmp/a
sha256sum </tmp/a/x
rm -f /tmp/a/x
sleep 0.1
env | sh -c 'cat >/dev/null'
command -v cut || echo no cut`
		out, err = c.ctr(ctx, c.runArgs(shell.Name, "script", "bash", "-c", script)...)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(Equal("x\n" + sha256Hex(must(os.ReadFile("/bin/cat"))) + "  -\nno cut\n"))
	})

	t.Run("pause reaps orphans and stops on SIGTERM", func(t *testing.T) {
		g := NewWithT(t)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		pause, err := images.BuildPause(ctx, filepath.Join(dir, "pause.tar"))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(images.Load(ctx, c.socket, c.namespace, pause.Path)).To(Succeed())

		sandbox := c.start(t, "pause", pause.Name, "pause")
		var pid int
		g.Eventually(func() (err error) { pid, err = c.taskPid(ctx, "pause"); return err }).
			WithTimeout(30 * time.Second).Should(Succeed())

		// A container in the sandbox's PID namespace, as with shareProcessNamespace, leaves an
		// orphan behind: it is reparented to pause, which must reap it when it exits.
		c.start(t, "orphaner", "--with-ns", fmt.Sprintf("pid:/proc/%d/ns/pid", pid), shell.Name, "orphaner", "bash", "-c", "(sleep 2 &); exec sleep 60")
		g.Eventually(func() []string { return children(pid) }).WithTimeout(30*time.Second).
			Should(ConsistOf(HavePrefix("sleep ")), "the orphan belongs to pause")
		g.Eventually(func() []string { return children(pid) }).WithTimeout(10*time.Second).
			Should(BeEmpty(), "pause reaped it")
		_, err = c.ctr(ctx, "tasks", "kill", "-s", "SIGKILL", "orphaner")
		g.Expect(err).NotTo(HaveOccurred())

		_, err = c.ctr(ctx, "tasks", "kill", "-s", "SIGTERM", "pause")
		g.Expect(err).NotTo(HaveOccurred())
		g.Eventually(sandbox.Done()).WithTimeout(30 * time.Second).Should(BeClosed())
		g.Expect(sandbox.Err()).NotTo(HaveOccurred(), "ctr run exits with the task's status: pause exits 0")
	})
}

// start runs `ctr run --rm args…` in the background for the container id, which args name; the
// container goes when it exits.
func (c *containerd) start(t *testing.T, id string, args ...string) *proc.Process {
	t.Helper()
	p, err := proc.Start(proc.Spec{Name: "ctr run " + id, Path: "ctr", Args: c.args(c.runArgs(args...)...),
		LogPath: filepath.Join(c.dir, id+".log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.ctr(context.WithoutCancel(t.Context()), "tasks", "kill", "-s", "SIGKILL", id)
		select {
		case <-p.Done():
		case <-time.After(10 * time.Second):
			p.Kill()
		}
	})
	return p
}

// children lists the processes whose parent is pid, as "command state".
func children(pid int) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so split after the last ')'.
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 2 || f[1] != strconv.Itoa(pid) {
			continue
		}
		out = append(out, fmt.Sprintf("%s %s", s[open+1:end], f[0]))
	}
	return out
}
