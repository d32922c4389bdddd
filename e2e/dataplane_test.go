//go:build dataplane

package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/sei-protocol/sei-fleet/agent/config"
	"github.com/sei-protocol/sei-fleet/dataplane/dataplanetest"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
	"github.com/sei-protocol/sei-fleet/internal/aggregate"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// The dataplane tier (make test-dataplane): the members get real nodes (containerd, runc, CNI,
// kubelet, kube-proxy, kube-controller-manager, kube-scheduler), the agents' pods run the real seid
// and the real seictl sidecar from locally built images, and the agents reach them at their pod
// addresses. SEID_BIN and SEICTL_BIN name the binaries.

// signingFloorMargin is the hub's floor margin on the real data plane: its chain makes about a block a
// second, so the production margin (1000) would keep a moved validator silent for a quarter of an hour.
const signingFloorMargin = 20

// dataPlane is the running data plane.
var dataPlane *framework.DataPlane

// Tags the seid binary is packed under: rollouts move between them.
const (
	seidTag     = "dev"
	seidTagNext = "dev-next"
)

func init() { realDataPlane = startDataPlane }

func startDataPlane(f *testfleet.Fleet) (func(*framework.Local), func(), error) {
	assets, err := testfleet.AssetsDir()
	if err != nil {
		return nil, nil, err
	}
	missing := dataplanetest.Missing(assets)
	seid, seictl := os.Getenv("SEID_BIN"), os.Getenv("SEICTL_BIN")
	if seid == "" {
		missing = append(missing, "SEID_BIN (hack/install-seid.sh)")
	}
	if seictl == "" {
		missing = append(missing, "SEICTL_BIN (hack/install-seictl.sh)")
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("the dataplane tier needs %s (make test-dataplane installs them)", strings.Join(missing, ", "))
	}
	// In testfleet's run directory: swept by a later run if this process is killed.
	dir, removeDir, err := testfleet.NewRunDir("dataplane")
	if err != nil {
		return nil, nil, err
	}
	// TestMain's setup: no test context yet, and the data plane outlives every test.
	ctx := context.Background() //nolint:forbidigo // see above
	d, err := framework.StartDataPlane(ctx, f, framework.DataPlaneOptions{
		Dir: dir, BinDir: assets, SeidBin: seid, SeictlBin: seictl, SeidTags: []string{seidTag, seidTagNext},
	})
	if err != nil {
		return nil, nil, aggregate.Join(err, removeDir())
	}
	dataPlane, localSeidImage = d, d.Seid[seidTag]
	configure := func(l *framework.Local) {
		l.RealPods = true
		l.SigningFloorMargin = signingFloorMargin
		l.AgentConfig = func(string) *config.Config { return d.AgentConfig() }
	}
	stop := func() {
		d.Stop()
		_ = removeDir()
	}
	return configure, stop, nil
}
