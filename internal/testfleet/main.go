package testfleet

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// Main runs a test package against a fleet started with opts, assigned to *fleet for the tests, and
// returns the exit code for os.Exit. Without test binaries it skips the package (exit 0) locally and
// fails it when CI=true.
func Main(m *testing.M, opts Options, fleet **Fleet) int {
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
	code := m.Run()
	if err := f.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stop test fleet: %v\n", err)
	}
	return code
}
