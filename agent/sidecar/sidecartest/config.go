package sidecartest

import (
	"encoding/json"
	"fmt"

	seiconfig "github.com/sei-protocol/sei-config"
)

// The node's config is modelled as the SeiConfig that seictl's handlers (sidecar/tasks/config_apply.go
// and config_validate.go of v0.0.68) would read from $SEI_HOME/config, and both tasks run sei-config
// itself, as those handlers do: the same resolution, the same errors, the same diagnostics JSON.

// initHome is the config as sei-config reads back a home that seid init --mode made: the mode's
// defaults with no pruning strategy, because seid writes it where sei-config does not look. So
// config-validate fails on such a home ("storage.pruning: unknown pruning strategy") until a
// config-apply succeeds, as the real sidecar does.
func initHome(mode seiconfig.NodeMode) *seiconfig.SeiConfig {
	cfg := seiconfig.DefaultForMode(mode)
	cfg.Version = seiconfig.CurrentVersion
	cfg.Storage.PruningStrategy = ""
	return cfg
}

// InitHome gives the node a home as seid init --mode mode leaves it (a new Server's is mode full):
// what config-validate and an incremental config-apply read until a config-apply succeeds.
func (s *Server) InitHome(mode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.config = initHome(seiconfig.NodeMode(mode))
}

// configApply resolves a config-apply's params against current, the config on disk, and returns what
// the task writes, or the error the task fails with.
func configApply(params map[string]any, current *seiconfig.SeiConfig) (*seiconfig.SeiConfig, error) {
	var intent seiconfig.ConfigIntent
	if err := decode(params, &intent); err != nil {
		return nil, err
	}
	if intent.Incremental {
		res, err := seiconfig.ResolveIncrementalIntent(intent, current)
		if err != nil {
			return nil, fmt.Errorf("config-apply incremental: %w", err)
		}
		if !res.Valid {
			return nil, diagnosticsError(res.Diagnostics)
		}
		return res.Config, nil
	}
	res, err := seiconfig.ResolveIntent(intent)
	if err != nil {
		return nil, fmt.Errorf("config-apply: %w", err)
	}
	if !res.Valid {
		return nil, diagnosticsError(res.Diagnostics)
	}
	return res.Config, nil
}

// configValidate validates the config on disk and returns the error the task fails with, if any.
func configValidate(params map[string]any, cfg *seiconfig.SeiConfig) error {
	if err := decode(params, &struct{}{}); err != nil {
		return err
	}
	vr := seiconfig.Validate(cfg)
	if !vr.HasErrors() {
		return nil
	}
	result := struct {
		Valid       bool             `json:"valid"`
		Version     int              `json:"version"`
		Mode        string           `json:"mode"`
		Diagnostics []diagnosticJSON `json:"diagnostics"`
	}{Version: cfg.Version, Mode: string(cfg.Mode), Diagnostics: diagnostics(vr.Diagnostics)}
	data, _ := json.Marshal(result)
	return fmt.Errorf("config validation failed: %s", data)
}

type diagnosticJSON struct {
	Severity string `json:"severity"`
	Field    string `json:"field"`
	Message  string `json:"message"`
}

func diagnostics(in []seiconfig.Diagnostic) []diagnosticJSON {
	var out []diagnosticJSON
	for _, d := range in {
		out = append(out, diagnosticJSON{Severity: d.Severity.String(), Field: d.Field, Message: d.Message})
	}
	return out
}

// diagnosticsError is seictl's error for a config that did not resolve: its diagnostics as JSON.
func diagnosticsError(in []seiconfig.Diagnostic) error {
	out := diagnostics(in)
	if out == nil {
		out = []diagnosticJSON{}
	}
	data, _ := json.Marshal(out)
	return fmt.Errorf("config validation failed: %s", data)
}
