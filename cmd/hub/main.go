// Command hub runs the sei-fleet hub: it places SeiNodeDeployments' nodes on member clusters under
// SeiPlacementPolicies, runs genesis ceremonies, and brings the nodes' status back to the hub.
package main

import (
	"context"
	"io"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/sei-protocol/sei-fleet/hub"
	"github.com/sei-protocol/sei-fleet/internal/cli"
)

func main() {
	os.Exit(run(ctrl.SetupSignalHandler(), os.Args[1:], os.Stderr))
}

// run returns the exit code: 0 done, 1 failed, 2 bad flags.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	opts := hub.NewOptions()
	return cli.Main(ctx, "sei-fleet-hub", args, stderr, opts, func(ctx context.Context) error { return hub.Run(ctx, opts) })
}
