//go:build chain

package chain

import (
	"os"
	"path/filepath"
	"testing"
)

// requireSeid returns the seid under test, or skips (fails under CI=true)
// when there is none.
func requireSeid(t *testing.T) Seid {
	t.Helper()
	path, err := Locate()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("seid is required in CI: %v; %s", err, InstallHint)
		}
		t.Skipf("no seid: %v; %s", err, InstallHint)
	}
	return Seid{Path: path}
}

// initHome runs `seid init` in a fresh temporary home and returns it.
func initHome(t *testing.T, s Seid, chainID string) string {
	t.Helper()
	home := t.TempDir()
	if _, err := s.Run(t.Context(), "", "init", "probe", "--chain-id", chainID, "--mode", "validator", "--home", home); err != nil {
		t.Fatal(err)
	}
	return home
}

// writeFile writes data under home, creating directories.
func writeFile(t *testing.T, home, rel string, data []byte, mode os.FileMode) {
	t.Helper()
	path := filepath.Join(home, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, home, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
