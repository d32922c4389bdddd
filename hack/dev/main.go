// Command dev runs a whole sei-fleet locally, in one command (make dev): a hub and three member
// clusters as real kube-apiservers (the test binaries hack/install-k8s-test-bins.sh builds), a real
// node per member (dataplane/: containerd, runc, CNI, kubelet, kube-proxy, kube-controller-manager,
// kube-scheduler) running real seid and the real seictl sidecar from locally built images, the hub and
// one agent per member as processes, the clusters registered on the hub, the sample placement policy
// and a sample network (four validators with a genesis ceremony, three full nodes joining it). It
// prints the fleet as it converges and its heights rise, writes kubeconfigs, and tears everything down
// on Ctrl-C. With --simulate there are no nodes: pod readiness and the sidecar are simulated (for
// machines that cannot run containers).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// members and their regions.
var members = []struct{ name, region string }{{"us", "us"}, {"eu", "eu"}, {"ap", "ap"}}

type options struct {
	dir, binDir, samples string
	timeout              time.Duration
	// simulate runs without nodes; seid and seictl are the binaries the real nodes' images pack.
	simulate     bool
	seid, seictl string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dev: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", ".dev", "where kubeconfigs and logs go")
	fs.StringVar(&o.binDir, "bin-dir", "bin", "where the hub and agent binaries are (make build)")
	fs.StringVar(&o.samples, "samples", "deploy/samples/dev", "the policy and deployments to apply")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long to wait for the fleet to converge")
	fs.BoolVar(&o.simulate, "simulate", false, "no real nodes: simulate pods and the sidecar (machines that cannot run containers)")
	fs.StringVar(&o.seid, "seid", os.Getenv("SEID_BIN"), "the seid binary the nodes' image packs (hack/install-seid.sh)")
	fs.StringVar(&o.seictl, "seictl", os.Getenv("SEICTL_BIN"), "the seictl binary the sidecar image packs (hack/install-seictl.sh)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctrl.SetLogger(logr.Discard()) // the in-process parts are quiet; the hub and agents log to files
	for _, b := range []string{"hub", "agent"} {
		if _, err := os.Stat(filepath.Join(o.binDir, b)); err != nil {
			return fmt.Errorf("no %s binary in %s: run make build (make dev does)", b, o.binDir)
		}
	}
	if err := os.MkdirAll(filepath.Join(o.dir, "logs"), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", o.dir, err)
	}

	start := time.Now()
	fmt.Fprintf(out, "Starting a hub and member clusters %s, %s and %s (real kube-apiservers)...\n", members[0].name, members[1].name, members[2].name)
	names := make([]string, len(members))
	for i, m := range members {
		names[i] = m.name
	}
	fleet, err := testfleet.Start(testfleet.Options{Members: names, Simulate: o.simulate})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(out, "Stopping the control planes...")
		if err := fleet.Stop(); err != nil {
			fmt.Fprintf(out, "stop control planes: %v\n", err)
		}
	}()
	var (
		dataPlane   *framework.DataPlane
		agentConfig string
	)
	if !o.simulate {
		if dataPlane, agentConfig, err = startDataPlane(ctx, o, fleet, out); err != nil {
			return err
		}
		// After the hub and agents stop (deferred below), before the control planes.
		defer func() {
			fmt.Fprintln(out, "Stopping the nodes...")
			dataPlane.Stop()
			_ = os.RemoveAll(filepath.Join(o.dir, "dataplane")) // the images and whatever the nodes left
		}()
	}

	procs := &children{}
	defer procs.stopAll(out)
	sidecars := map[string]*sidecartest.Fleet{}
	defer func() {
		for _, s := range sidecars {
			s.Close()
		}
	}()
	hubAddrs, err := startFleet(ctx, o, fleet, agentConfig, procs, sidecars, out)
	if err != nil {
		return err
	}
	image := ""
	if dataPlane != nil {
		image = dataPlane.Seid["dev"]
	}
	if err := applySamples(ctx, fleet.Hub.Client, o.samples, image); err != nil {
		return err
	}
	fmt.Fprintf(out, "Applied %s. Waiting for the fleet to converge (the ceremony starts when every validator published its gentx)...\n", o.samples)

	waitCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if err := watch(waitCtx, fleet.Hub.Client, start, out); err != nil {
		if ctx.Err() != nil {
			return nil // Ctrl-C before convergence: just tear down
		}
		return fmt.Errorf("%w (logs in %s)", err, filepath.Join(o.dir, "logs"))
	}
	if dataPlane != nil {
		if err := watchHeights(waitCtx, fleet.Hub.Client, start, out); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("%w (logs in %s)", err, filepath.Join(o.dir, "logs"))
		}
		printRPC(ctx, out, fleet)
	}
	printLookAround(out, o.dir, hubAddrs)
	select {
	case <-ctx.Done():
	case err := <-procs.exited:
		return fmt.Errorf("a fleet process exited: %w (logs in %s)", err, filepath.Join(o.dir, "logs"))
	}
	fmt.Fprintln(out, "\nTearing down...")
	return nil
}

// startFleet writes kubeconfigs, starts the fake sidecars, the agents and the hub, and registers the
// members. It returns the hub's metrics and probe addresses.
func startFleet(ctx context.Context, o options, fleet *testfleet.Fleet, agentConfig string, procs *children, sidecars map[string]*sidecartest.Fleet, out io.Writer) ([2]string, error) {
	var addrs [2]string
	for _, cp := range fleet.All() {
		if _, err := cp.WriteKubeconfig(o.dir); err != nil {
			return addrs, err
		}
	}
	local := framework.NewLocal(fleet)
	for _, m := range members {
		kc := filepath.Join(o.dir, m.name+".kubeconfig")
		args := []string{"--kubeconfig", kc, "--cluster-name", m.name,
			"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--heartbeat-interval", "3s"}
		if agentConfig != "" {
			// Real pods: the real sidecars at the pods' addresses, heights from seid's RPC.
			args = append(args, "--config", agentConfig, "--height-interval", "3s")
		} else {
			sc := sidecartest.NewFleet()
			sidecars[m.name] = sc
			// Simulated pods run no seid: no heights to read, and Ready does not wait for CaughtUp.
			args = append(args, "--sidecar-url", sc.Address("{namespace}", "{name}"), "--height-interval", "0")
		}
		if err := procs.start(ctx, filepath.Join(o.binDir, "agent"), filepath.Join(o.dir, "logs", "agent-"+m.name+".log"), args...); err != nil {
			return addrs, err
		}
		if err := local.Register(ctx, m.name, map[string]string{"region": m.region, "env": "dev"}); err != nil {
			return addrs, err
		}
	}
	for i := range addrs {
		a, err := testfleet.FreeAddr()
		if err != nil {
			return addrs, err
		}
		addrs[i] = a
	}
	err := procs.start(ctx, filepath.Join(o.binDir, "hub"), filepath.Join(o.dir, "logs", "hub.log"),
		"--kubeconfig", filepath.Join(o.dir, "hub.kubeconfig"), "--probe-interval", "3s",
		// The agents read heights every 3 s: show them on the hub as they come.
		"--height-write-interval", "3s",
		"--metrics-bind-address", addrs[0], "--health-probe-bind-address", addrs[1])
	if err != nil {
		return addrs, err
	}
	fmt.Fprintf(out, "Hub and %d agents running (logs in %s).\n", len(members), filepath.Join(o.dir, "logs"))
	return addrs, nil
}

var errNotConverged = errors.New("the fleet did not converge in time")
