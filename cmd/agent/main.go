// Command agent runs the sei-fleet agent on one member cluster: it runs that cluster's SeiNodes
// (StatefulSets, Services, volumes, keys, sidecar tasks) and keeps the heartbeat the hub reads.
package main

import (
	"context"
	"io"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/sei-protocol/sei-fleet/agent"
	"github.com/sei-protocol/sei-fleet/internal/cli"
)

func main() {
	os.Exit(run(ctrl.SetupSignalHandler(), os.Args[1:], os.Stderr))
}

// run returns the exit code: 0 done, 1 failed, 2 bad flags.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	opts := agent.NewOptions()
	return cli.Main(ctx, "sei-fleet-agent", args, stderr, opts, func(ctx context.Context) error { return agent.Run(ctx, opts) })
}
