package deploy_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
)

// hack/kind/e2e.sh cannot run here (it needs Docker), but the overlays it installs with are written by
// hack/kind/common.sh: run that code, then render and dry-run what it wrote, as e2e.sh would apply it.
func TestKindOverlaysRenderAndPassServerSideDryRun(t *testing.T) {
	g := NewWithT(t)
	prefix := fmt.Sprintf("deploy-test-%d", os.Getpid())
	work := filepath.Join(repoRoot(), ".dev", "kind", prefix)
	t.Cleanup(func() {
		_ = os.RemoveAll(work)
		// Drop .dev/kind and .dev when this test made them (Remove fails on a folder that holds more).
		_ = os.Remove(filepath.Dir(work))
		_ = os.Remove(filepath.Dir(filepath.Dir(work)))
	})
	const (
		img     = "registry.example/sei-fleet:e2e"
		sidecar = "registry.example/seictl:v9.9.9"
	)
	script := `source hack/kind/common.sh && write_overlay hub && write_agent_overlay kindtest`
	cmd := exec.CommandContext(t.Context(), "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "KIND_CLUSTER_PREFIX="+prefix, "IMG="+img, "SIDECAR_IMAGE="+sidecar)
	out, err := cmd.CombinedOutput()
	g.Expect(err).NotTo(HaveOccurred(), string(out))

	for name, clusterName := range map[string]string{"hub": hubCluster, "kindtest": memberCluster} {
		objs, err := render(filepath.Join(work, name))
		g.Expect(err).NotTo(HaveOccurred())
		deps, err := deployments(objs)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(deps).To(HaveLen(1))
		g.Expect(deps[0].Spec.Template.Spec.Containers[0].Image).To(Equal(img), name)
		g.Expect(dryRunAll(t.Context(), cluster(t, clusterName).Client, objs)).To(BeEmpty(), "overlay %s", name)
		if name != "kindtest" {
			continue
		}
		cm := agentInputs(t, objs)
		g.Expect(cm.Data).To(HaveKeyWithValue("CLUSTER_NAME", "kindtest"))
		cfg, err := loadAgentConfig(t, cm.Data["config.yaml"])
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cfg.Images.Sidecar).To(Equal(sidecar))
	}
}
