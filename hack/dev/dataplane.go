package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/sei-protocol/sei-fleet/agent/resources"
	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/dataplane/dataplanetest"
	"github.com/sei-protocol/sei-fleet/e2e/framework"
	"github.com/sei-protocol/sei-fleet/internal/testfleet"
)

// startDataPlane gives every member a real node (dataplane/) with the seid and seictl images loaded,
// and writes each agent's configuration for it. It returns the data plane and the configuration file.
func startDataPlane(ctx context.Context, o options, fleet *testfleet.Fleet, out io.Writer) (*framework.DataPlane, string, error) {
	assets, err := testfleet.AssetsDir()
	if err != nil {
		return nil, "", err
	}
	if missing := dataplanetest.Missing(assets); len(missing) > 0 {
		return nil, "", fmt.Errorf("real nodes need %v: make dev installs them, or run with --simulate", missing)
	}
	if o.seid == "" || o.seictl == "" {
		return nil, "", fmt.Errorf("real nodes need --seid and --seictl (or SEID_BIN and SEICTL_BIN): make dev builds them, or run with --simulate")
	}
	fmt.Fprintf(out, "Starting a real node per member (containerd, runc, CNI, kubelet, kube-proxy, kube-controller-manager, kube-scheduler) with seid and seictl images...\n")
	d, err := framework.StartDataPlane(ctx, fleet, framework.DataPlaneOptions{
		Dir: filepath.Join(o.dir, "dataplane"), BinDir: assets, SeidBin: o.seid, SeictlBin: o.seictl,
	})
	if err != nil {
		return nil, "", err
	}
	raw, err := yaml.Marshal(d.AgentConfig())
	if err != nil {
		d.Stop()
		return nil, "", fmt.Errorf("encode the agent configuration: %w", err)
	}
	path := filepath.Join(o.dir, "agent-config.yaml")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		d.Stop()
		return nil, "", err
	}
	return d, path, nil
}

// printRPC lists every running node's RPC address: the pods' addresses are routed from this machine.
func printRPC(ctx context.Context, out io.Writer, fleet *testfleet.Fleet) {
	type row struct{ cluster, node, ip string }
	var rows []row
	for _, m := range fleet.Members {
		pods := &corev1.PodList{}
		if err := m.Client.List(ctx, pods, client.HasLabels{seiv1alpha1.LabelNode}); err != nil {
			continue
		}
		for _, p := range pods.Items {
			if p.Status.PodIP != "" {
				rows = append(rows, row{m.Name, p.Namespace + "/" + p.Labels[seiv1alpha1.LabelNode], p.Status.PodIP})
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].node < rows[j].node })
	fmt.Fprintln(out, "\nReach a node's seid (Tendermint RPC, REST, EVM RPC at its pod's address, routed from this machine):")
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  CLUSTER\tNODE\tRPC")
	for _, r := range rows {
		fmt.Fprintf(w, "  %s\t%s\thttp://%s:%d\n", r.cluster, r.node, r.ip, resources.PortRPC)
	}
	_ = w.Flush()
	if len(rows) > 0 {
		fmt.Fprintf(out, "  e.g. curl -s http://%s:%d/status\n", rows[0].ip, resources.PortRPC)
	}
}
