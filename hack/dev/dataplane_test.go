//go:build dataplane

package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/dataplane/dataplanetest"
)

// make dev on real nodes: real blocks, every node's height rising on the hub, an RPC address that
// answers, and after Ctrl-C no process, container, mount or interface left.
func TestDevRealChain(t *testing.T) {
	dataplanetest.Require(t)
	seid, seictl := os.Getenv("SEID_BIN"), os.Getenv("SEICTL_BIN")
	if seid == "" || seictl == "" {
		t.Fatal("SEID_BIN and SEICTL_BIN must name the real binaries (make test-dataplane sets them)")
	}
	g := NewWithT(t)
	before := snapshot()
	state, printed, done, ctrlC := startDev(t, "--timeout", "12m", "--seid", seid, "--seictl", seictl)
	g.Eventually(printed.String).WithTimeout(14*time.Minute).WithPolling(2*time.Second).
		Should(ContainSubstring("every node's height is rising on the hub"), printed.String)
	text := printed.String()
	g.Expect(text).To(MatchRegexp(`sei/validators\s+Validator\s+Ready\s+4/4\s+[0-9a-f]{16}…`))
	g.Expect(text).To(MatchRegexp(`sei/rpc\s+FullNode\s+Ready\s+3/3\s+[0-9a-f]{16}… \(joined\)`))
	for _, c := range []string{"us", "eu", "ap"} {
		g.Expect(text).To(MatchRegexp(`(?m)^` + c + `\s+validators-\d\s+validator\s+Running\s+\d+`))
	}
	rpcs := regexp.MustCompile(`(?m)^\s+(?:us|eu|ap)\s+sei/\S+\s+http://(198\.19\.\d+\.\d+):26657$`).FindAllStringSubmatch(text, -1)
	g.Expect(rpcs).To(HaveLen(7), "the summary says how to reach each node's RPC")
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(rpcs[0][1], "26657"), 5*time.Second)
	g.Expect(err).NotTo(HaveOccurred(), "a node's RPC answers at the address printed")
	_ = conn.Close()
	g.Expect(snapshot()).NotTo(Equal(before), "nodes run")

	ctrlC()
	g.Eventually(done).WithTimeout(3 * time.Minute).Should(Receive(BeNil()))
	g.Expect(ours(state)).To(BeEmpty(), "no hub or agent process is left")
	g.Expect(snapshot()).To(Equal(before), "no node process, container, mount or interface is left")
	g.Expect(filepath.Join(state, "dataplane")).NotTo(BeAnExistingFile(), "the nodes' state and images are removed")
}

// snapshot counts what the data plane makes on this machine: its processes (by executable), the
// mounts under a node folder, and the fabric's interfaces.
func snapshot() map[string]int {
	counts := map[string]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil {
			continue
		}
		switch base := filepath.Base(strings.TrimSuffix(exe, " (deleted)")); base {
		case "kube-apiserver", "etcd", "kubelet", "kube-proxy", "kube-controller-manager", "kube-scheduler",
			"containerd", "containerd-shim-runc-v2", "seid", "seictl", "pause":
			counts[base]++
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	counts["mounts"] = strings.Count(string(mounts), "/dataplane/")
	links, _ := exec.Command("ip", "-o", "link").Output()
	counts["seifab interfaces"] = strings.Count(string(links), "seifab")
	return counts
}
