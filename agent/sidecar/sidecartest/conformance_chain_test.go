//go:build chain

package sidecartest_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/e2e/chain"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// seictlVersion is the sidecar the fleet runs and hack/install-seictl.sh builds.
const seictlVersion = "v0.0.68"

// remoteUser is the header the real sidecar wants in trusted-header mode, which binds it to loopback.
var remoteUser = []string{"X-Remote-User", "conformance"}

// TestFakeAnswersConfigTasksAsTheRealSidecar runs every configCase against the real seictl, on a home
// the real seid init made, and against the fake, and asserts the same answer to every step.
func TestFakeAnswersConfigTasksAsTheRealSidecar(t *testing.T) {
	seid, seictl := requireBinaries(t)
	real := map[string]*realSidecar{}
	for _, tc := range configCases {
		if real[tc.mode] == nil {
			real[tc.mode] = startRealSidecar(t, seid, seictl, tc.mode)
		}
	}
	for _, tc := range configCases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			sc := real[tc.mode]
			sc.restoreHome(t)
			want := runSteps(t, sc.url, tc.steps, remoteUser...)
			fake := newServer(t)
			fake.InitHome(tc.mode)
			g.Expect(runSteps(t, fake.URL(), tc.steps, remoteUser...)).To(Equal(want), "the fake answers as seictl %s", seictlVersion)
			for i, st := range tc.steps {
				g.Expect(want[i]).To(Equal(st.want), "seictl's answer to step %d (%s %s) is the one recorded in configCases", i+1, st.taskType, st.params)
			}
		})
	}
}

// realSidecar is a seictl serve on a home of its own.
type realSidecar struct {
	url  string
	home string
	// pristine is the home's config folder as seid init left it.
	pristine map[string][]byte
}

// startRealSidecar inits a home for mode with the real seid and serves it with the real seictl on
// loopback until the test ends.
func startRealSidecar(t *testing.T, seid chain.Seid, seictl, mode string) *realSidecar {
	t.Helper()
	home := t.TempDir()
	if _, err := seid.Run(t.Context(), "", "init", "conformance", "--chain-id", "conformance-1", "--mode", mode, "--home", home); err != nil {
		t.Fatal(err)
	}
	sc := &realSidecar{home: home, pristine: map[string][]byte{}}
	entries, err := os.ReadDir(filepath.Join(home, "config"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(home, "config", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sc.pristine[e.Name()] = data
	}

	addr, err := testfleet.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	cmd := exec.CommandContext(ctx, seictl, "serve")
	cmd.Env = append(os.Environ(),
		"SEI_HOME="+home, "SEI_CHAIN_ID=conformance-1", "SEI_SIDECAR_PORT="+port,
		"SEI_SIDECAR_AUTHN_MODE=trusted-header", // loopback only
		// serve refuses to start without them; config tasks never touch S3.
		"SEI_GENESIS_BUCKET=unused", "SEI_GENESIS_REGION=unused", "SEI_SNAPSHOT_BUCKET=unused", "SEI_SNAPSHOT_REGION=unused",
	)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start seictl serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("seictl serve (%s home) said:\n%s", mode, output.String())
		}
	})
	sc.url = "http://" + addr
	NewWithT(t).Eventually(func(g Gomega) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, sc.url+"/v0/status", nil)
		g.Expect(err).NotTo(HaveOccurred())
		req.Header.Set(remoteUser[0], remoteUser[1])
		resp, err := http.DefaultClient.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
		g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	}).WithTimeout(30*time.Second).WithPolling(100*time.Millisecond).Should(Succeed(), "seictl serve answers")
	return sc
}

// restoreHome puts the config folder back as seid init left it.
func (sc *realSidecar) restoreHome(t *testing.T) {
	t.Helper()
	dir := filepath.Join(sc.home, "config")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := sc.pristine[e.Name()]; !ok {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, data := range sc.pristine {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// requireBinaries returns the real seid and seictl, or skips without them (fails under CI=true, where
// a skip would hide a broken install).
func requireBinaries(t *testing.T) (chain.Seid, string) {
	t.Helper()
	seid, err := chain.Locate()
	if err != nil {
		missing(t, fmt.Sprintf("no seid: %v; %s", err, chain.InstallHint))
	}
	seictl, err := locateSeictl()
	if err != nil {
		missing(t, fmt.Sprintf("no seictl: %v; build one with hack/install-seictl.sh or set SEICTL_BIN", err))
	}
	return chain.Seid{Path: seid}, seictl
}

// locateSeictl returns $SEICTL_BIN, else the path hack/install-seictl.sh installs to.
func locateSeictl() (string, error) {
	path := os.Getenv("SEICTL_BIN")
	if path == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		path = filepath.Join(cache, "sei-fleet", "seictl-"+seictlVersion, "seictl")
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file: %w", path, fs.ErrPermission)
	}
	return path, nil
}

func missing(t *testing.T, msg string) {
	t.Helper()
	if testfleet.InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
