package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// make dev --simulate (the real nodes' run is TestDevRealChain, -tags dataplane): the sample fleet
// converges (validators with a completed ceremony, full nodes joined), it is printed with the kubectl
// lines to look around, and Ctrl-C leaves no process behind.
func TestDevFleetConvergesAndTearsDown(t *testing.T) {
	if _, err := testfleet.AssetsDir(); err != nil {
		if testfleet.InCI() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	g := NewWithT(t)
	before := controlPlanes()
	state, printed, done, ctrlC := startDev(t, "--simulate", "--timeout", "5m")
	g.Eventually(printed.String).WithTimeout(6*time.Minute).WithPolling(time.Second).
		Should(ContainSubstring("The fleet converged"), printed.String)
	text := printed.String()
	g.Expect(text).To(MatchRegexp(`sei/validators\s+Validator\s+Ready\s+4/4\s+[0-9a-f]{16}…`))
	g.Expect(text).To(MatchRegexp(`sei/rpc\s+FullNode\s+Ready\s+3/3\s+[0-9a-f]{16}… \(joined\)`))
	for _, c := range []string{"us", "eu", "ap"} {
		g.Expect(text).To(MatchRegexp(`(?m)^` + c + `\s+validators-\d\s+validator\s+Running`))
	}
	g.Expect(text).To(ContainSubstring("kubectl --kubeconfig " + state + "/hub.kubeconfig get seinodedeployments,seinodes -n sei"))
	for _, f := range []string{"hub.kubeconfig", "us.kubeconfig", "eu.kubeconfig", "ap.kubeconfig", "logs/hub.log", "logs/agent-us.log"} {
		g.Expect(filepath.Join(state, f)).To(BeAnExistingFile())
	}
	g.Expect(ours(state)).NotTo(BeEmpty(), "the hub and agents run as processes")

	ctrlC() // Ctrl-C
	g.Eventually(done).WithTimeout(2 * time.Minute).Should(Receive(BeNil()))
	g.Expect(ours(state)).To(BeEmpty(), "no hub or agent process is left")
	g.Expect(controlPlanes()).To(Equal(before), "no kube-apiserver or etcd is left")
}

// startDev builds the hub and agent and runs dev with args in the background, as make dev does. It
// returns the state folder, what dev prints, its result, and Ctrl-C.
func startDev(t *testing.T, args ...string) (string, *syncBuffer, chan error, context.CancelFunc) {
	t.Helper()
	bin, state := t.TempDir(), t.TempDir()
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin+"/", "../../cmd/hub", "../../cmd/agent")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	NewWithT(t).Expect(err).NotTo(HaveOccurred(), string(out))
	ctx, ctrlC := context.WithCancel(t.Context())
	t.Cleanup(ctrlC)
	printed := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--bin-dir", bin, "--dir", state, "--samples", "../../deploy/samples/dev"}, args...), printed)
	}()
	return state, printed, done, ctrlC
}

// ours lists processes whose command line mentions dir (the hub and agents get their kubeconfigs there).
func ours(dir string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(dir)) && !bytes.Contains(cmdline, []byte("go test")) {
			out = append(out, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

// controlPlanes counts running kube-apiserver and etcd processes.
func controlPlanes() int {
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil && !errors.Is(err, os.ErrPermission) {
			continue
		}
		base := filepath.Base(exe)
		if base == "kube-apiserver" || base == "etcd" {
			n++
		}
	}
	return n
}
