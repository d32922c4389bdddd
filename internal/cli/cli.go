// Package cli is what the hub and agent binaries share around their Run: flag parsing with usage
// errors, option validation, logging set-up and exit codes. It owns no behaviour of either binary.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// Options knows how to register its flags and validate their values.
type Options interface {
	AddFlags(fs *flag.FlagSet)
	Validate() error
}

// Exit codes.
const (
	ExitOK       = 0
	ExitFailed   = 1
	ExitBadFlags = 2
)

// Main parses args into opts (plus the logging flags), validates them and calls run. It returns the
// exit code: 0 done, 1 run failed, 2 bad flags; every failure is one line on stderr, prefixed by name.
func Main(ctx context.Context, name string, args []string, stderr io.Writer, opts Options, run func(context.Context) error) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts.AddFlags(fs)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitBadFlags
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", name, fs.Args())
		return ExitBadFlags
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintf(stderr, "%s: invalid flags:\n%v\n", name, err)
		return ExitBadFlags
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	if err := run(ctx); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitFailed
	}
	return ExitOK
}
