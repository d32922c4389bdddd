package scale

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// The harness's own parts, without control planes: what the benchmark's figures rest on.

func TestCountingProxyCountsReadsAndWritesAndForwards(t *testing.T) {
	g := NewWithT(t)
	var seen []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}))
	defer upstream.Close()
	p, err := startCountingProxy(&rest.Config{Host: upstream.URL})
	g.Expect(err).NotTo(HaveOccurred())
	defer p.close()

	kc, err := p.kubeconfig("member")
	g.Expect(err).NotTo(HaveOccurred())
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	g.Expect(err).NotTo(HaveOccurred())
	for _, method := range []string{http.MethodGet, http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		req, err := http.NewRequestWithContext(t.Context(), method, cfg.Host+"/api/v1/namespaces", nil)
		g.Expect(err).NotTo(HaveOccurred())
		resp, err := http.DefaultClient.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(resp.StatusCode).To(Equal(http.StatusTeapot))
		g.Expect(resp.Body.Close()).To(Succeed())
	}
	g.Expect(p.reads.Load()).To(BeEquivalentTo(2))
	g.Expect(p.writes.Load()).To(BeEquivalentTo(3))
	g.Expect(p.requests()).To(BeEquivalentTo(5))
	g.Expect(seen).To(HaveLen(5))
	g.Expect(seen[2]).To(Equal("POST /api/v1/namespaces"))
}

func TestHubProcessIsMeasuredAndStopped(t *testing.T) {
	g := NewWithT(t)
	sh, err := exec.LookPath("sh")
	g.Expect(err).NotTo(HaveOccurred())
	dir := t.TempDir()
	// A stand-in that burns some CPU, says something, then waits to be stopped.
	h, err := startHub(sh, filepath.Join(dir, "hub.log"), []string{"-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo busy done; exec sleep 600"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Eventually(func() string { return h.logTail(1) }).WithTimeout(60 * time.Second).Should(Equal("busy done"))
	g.Expect(h.running()).To(Succeed())
	cpu, err := h.cpuSeconds()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cpu).To(BeNumerically(">=", 0))
	rss, err := h.peakRSSMiB()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rss).To(BeNumerically(">", 0))

	h.stop()
	g.Expect(h.running()).To(MatchError(ContainSubstring("hub exited")))
	_, err = os.Stat("/proc/" + strconv.Itoa(h.cmd.Process.Pid))
	g.Expect(os.IsNotExist(err)).To(BeTrue(), "the process is gone")
}

func TestOwnCPUSecondsAreRead(t *testing.T) {
	g := NewWithT(t)
	self := &hubProcess{cmd: &exec.Cmd{Process: &os.Process{Pid: os.Getpid()}}}
	before, err := self.cpuSeconds()
	g.Expect(err).NotTo(HaveOccurred())
	// Busy until the kernel has counted a tick of it.
	g.Eventually(func() (float64, error) {
		for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		}
		return self.cpuSeconds()
	}).WithTimeout(30*time.Second).Should(BeNumerically(">", before), "a busy loop shows as CPU time")
}

func TestResourceOfNamesWhatARequestReaches(t *testing.T) {
	g := NewWithT(t)
	for path, want := range map[string]string{
		"/apis/sei.io/v1alpha1/namespaces/scale/seinodes/d000-0/status": "seinodes/status",
		"/apis/sei.io/v1alpha1/namespaces/scale/seinodes/d000-0":        "seinodes",
		"/apis/sei.io/v1alpha1/seinodes":                                "seinodes",
		"/api/v1/namespaces/kube-system":                                "namespaces",
		"/api/v1/namespaces":                                            "namespaces",
		"/api/v1/namespaces/sei-fleet-system/secrets":                   "secrets",
		"/apis/coordination.k8s.io/v1/namespaces/x/leases/c001":         "leases",
		"/version": "/version",
	} {
		g.Expect(resourceOf(path)).To(Equal(want), path)
	}
}
