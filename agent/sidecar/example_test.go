package sidecar_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
	"github.com/sei-protocol/sei-fleet/agent/sidecar/sidecartest"
)

// A plan executor calls Run on every reconcile. A failure is terminal for
// Run; the executor spends a retry from its own budget with Retry.
func ExampleRun() {
	srv := sidecartest.NewServer()
	defer srv.Close()
	srv.FailTask(sidecar.TaskTypeConfigureGenesis, 1, "genesis not published yet")

	ctx := context.Background()
	c := sidecar.New(srv.URL())
	task, _ := sidecar.NewTask("8d3c2a34-5b8e-5f7a-9c11-0f6f2b7e4d01", sidecar.TaskTypeConfigureGenesis,
		sidecar.ConfigureGenesisParams{})

	attempts, maxRetries := 0, 3
	for range 3 { // three reconciles
		done, err := sidecar.Run(ctx, c, task)
		var failed *sidecar.TaskFailedError
		switch {
		case errors.As(err, &failed) && attempts < maxRetries:
			attempts++ // a real executor persists this in the plan status first
			fmt.Printf("run %d failed (%s), retrying\n", failed.Run, failed.Message)
			_, err = sidecar.Retry(ctx, c, task, failed.Run)
			if err != nil {
				fmt.Println("retry:", err)
			}
		case err != nil:
			fmt.Println("permanent:", sidecar.IsPermanent(err))
		default:
			fmt.Println("done:", done)
		}
	}
	// Output:
	// run 1 failed (genesis not published yet), retrying
	// done: true
	// done: true
}
