// Package reexec runs parts of the data plane as the current binary started again in a new role: a
// process that must be PID 1 of fresh namespaces cannot be a goroutine, and re-executing ourselves
// keeps test binaries and `make dev` self-contained (no helper binaries to install).
package reexec

import (
	"fmt"
	"os"
)

// envRole names the role a re-executed process runs.
const envRole = "SEI_FLEET_REEXEC_ROLE"

var roles = map[string]bool{}

// Register declares a role. Call it from an init function: when this process was started in that
// role, main runs at once and the process exits with its result, before any other main code runs.
func Register(role string, main func() int) {
	roles[role] = true
	if os.Getenv(envRole) == role {
		_ = os.Unsetenv(envRole)
		os.Exit(main())
	}
}

// Self is the path to start this binary again.
func Self() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own executable: %w", err)
	}
	return p, nil
}

// Env is the environment entry that makes a started copy of this binary run role.
func Env(role string) (string, error) {
	if !roles[role] {
		return "", fmt.Errorf("reexec role %q is not registered", role)
	}
	return envRole + "=" + role, nil
}
