package testfleet

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// Main runs a test package against a fleet started with opts, assigned to *fleet for the tests, and
// returns the exit code for os.Exit. Without test binaries it skips the package (exit 0) locally and
// fails it when CI=true.
func Main(m *testing.M, opts Options, fleet **Fleet) int {
	// Controllers under test log to stderr with TEST_LOG=1; otherwise quietly.
	if os.Getenv("TEST_LOG") != "" {
		ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true)))
	} else {
		ctrl.SetLogger(logr.Discard())
	}
	if _, err := AssetsDir(); err != nil {
		if errors.Is(err, ErrAssetsMissing) && !InCI() {
			fmt.Fprintf(os.Stderr, "SKIP integration tests: %v\n", err)
			return 0
		}
		fmt.Fprintf(os.Stderr, "FAIL integration tests: %v\n", err)
		return 1
	}
	f, err := Start(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL start test fleet: %v\n", err)
		return 1
	}
	*fleet = f
	teardown := func() {}
	if opts.Setup != nil {
		if teardown, err = opts.Setup(f); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL set up test fleet: %v\n", err)
			_ = f.Stop()
			return 1
		}
	}
	code := m.Run()
	teardown() // controllers stop before the control planes they talk to
	if err := f.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stop test fleet: %v\n", err)
	}
	return code
}
