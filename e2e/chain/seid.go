package chain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// SeiChainVersion is the sei-chain module version hack/install-seid.sh builds.
const SeiChainVersion = "v0.0.29-fix.0.20260326202429-c9b42951fef7"

// InstallHint tells how to get a seid for these tests.
const InstallHint = "build one with hack/install-seid.sh (~13 min cold) or set SEID_BIN"

// Locate returns the seid to test against: $SEID_BIN, else
// $SEID_CACHE_DIR/seid, else the default path of hack/install-seid.sh,
// ${XDG_CACHE_HOME:-$HOME/.cache}/sei-fleet/seid-<version>/seid.
func Locate() (string, error) {
	path := os.Getenv("SEID_BIN")
	if path == "" {
		dir := os.Getenv("SEID_CACHE_DIR")
		if dir == "" {
			cache, err := os.UserCacheDir()
			if err != nil {
				return "", fmt.Errorf("locate seid: %w", err)
			}
			dir = filepath.Join(cache, "sei-fleet", "seid-"+SeiChainVersion)
		}
		path = filepath.Join(dir, "seid")
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("locate seid at %s: %w", path, err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("locate seid: %s is not an executable file: %w", path, fs.ErrPermission)
	}
	return path, nil
}

// Seid runs one seid binary.
type Seid struct {
	Path string
}

// Run runs seid with args (and stdin, if not empty) and returns its stdout.
// The error includes stderr.
func (s Seid) Run(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.Path, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return stdout.String(), fmt.Errorf("seid %s: %w: %s", strings.Join(args, " "), err,
				strings.TrimSpace(stderr.String()+"\n"+stdout.String()))
		}
		return stdout.String(), fmt.Errorf("seid %s: %w", strings.Join(args, " "), err)
	}
	return stdout.String(), nil
}
