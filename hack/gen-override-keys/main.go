// Command gen-override-keys writes what follows from the keys a SeiNode's spec.overrides accept
// (internal/nodeconfig, which reads them from sei-config's registry):
//
//   - api/v1alpha1/zz_generated.overrides.go: the ConfigOverrides type, whose CEL rule makes the
//     apiserver refuse any other key and name it;
//   - internal/nodeconfig/zz_generated.seidkeys.go: which seid TOML key each sei-config key writes,
//     so an unknown key written seid's way gets the right "did you mean";
//   - docs/config-overrides.md: every key with its type, its default per mode and its seid key.
//
// Usage:
//
//	go run ./hack/gen-override-keys [-api FILE] [-seid FILE] [-docs FILE]
//
// `make generate` and `make manifests` run it before controller-gen, which reads the CEL marker.
// Output is deterministic: keys are sorted, and nothing depends on the clock or on map order. The
// seid keys are found by writing each override with sei-config into a temporary home and reading
// back which TOML key changed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/sei-protocol/sei-fleet/internal/nodeconfig"
)

const seiConfigModule = "github.com/sei-protocol/sei-config"

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "gen-override-keys: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen-override-keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apiOut := fs.String("api", "api/v1alpha1/zz_generated.overrides.go", "the Go file of the ConfigOverrides type")
	seidOut := fs.String("seid", "internal/nodeconfig/zz_generated.seidkeys.go", "the Go file of the seid key table")
	docsOut := fs.String("docs", nodeconfig.DocPath, "the key reference")
	if err := fs.Parse(args); err != nil {
		return err
	}
	keys := nodeconfig.Keys()
	seid, err := seidKeys(keys)
	if err != nil {
		return err
	}
	version := moduleVersion()
	api, err := renderAPI(keys, version)
	if err != nil {
		return err
	}
	table, err := renderSeidTable(seid, version)
	if err != nil {
		return err
	}
	for path, data := range map[string][]byte{*apiOut: api, *seidOut: table, *docsOut: renderDocs(keys, seid, version)} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}

// moduleVersion is the sei-config version this binary was built with, for the files' headers.
func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == seiConfigModule {
				return m.Version
			}
		}
	}
	return "(unknown version)"
}
