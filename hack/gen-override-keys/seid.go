package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/BurntSushi/toml"
	seiconfig "github.com/sei-protocol/sei-config"

	"github.com/sei-protocol/sei-fleet/internal/nodeconfig"
)

// probeMode is the mode whose defaults the seid keys are found against; the TOML layout is the same
// for every mode.
const probeMode = seiconfig.ModeFull

// seidKeys maps each sei-config key to the seid TOML keys ("config.toml p2p.max-connections") that an
// override of it changes. It writes the mode's defaults, then each key overridden with a value unlike
// its default, and compares the files.
func seidKeys(keys []nodeconfig.Key) (map[string][]string, error) {
	home, err := os.MkdirTemp("", "gen-override-keys-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(home) }()
	base, err := written(home, nil)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, k := range keys {
		v := probeValue(k.Type, k.Defaults[string(probeMode)])
		got, err := written(home, map[string]string{k.Name: v})
		if err != nil {
			return nil, fmt.Errorf("probe %s=%q: %w", k.Name, v, err)
		}
		var changed []string
		for tk := range keysOf(base, got) {
			if base[tk] != got[tk] {
				changed = append(changed, tk)
			}
		}
		slices.Sort(changed)
		out[k.Name] = changed
	}
	return out, nil
}

func keysOf(a, b map[string]string) map[string]bool {
	all := map[string]bool{}
	for k := range maps.Keys(a) {
		all[k] = true
	}
	for k := range maps.Keys(b) {
		all[k] = true
	}
	return all
}

// probeValue is a value of typ that differs from def.
func probeValue(typ, def string) string {
	switch typ {
	case "bool":
		if def == "true" {
			return "false"
		}
		return "true"
	case "int", "uint":
		return "4242"
	case "float":
		return "0.4242"
	case "duration":
		return "4242s"
	case "[]string":
		return "probe-a,probe-b"
	default:
		return "probe-4242"
	}
}

// written writes probeMode's defaults with overrides into home and returns config.toml's and app.toml's
// keys, flattened ("config.toml p2p.laddr"), with their values.
func written(home string, overrides map[string]string) (map[string]string, error) {
	cfg := seiconfig.DefaultForMode(probeMode)
	cfg.Version = seiconfig.CurrentVersion
	if err := seiconfig.ApplyOverrides(cfg, overrides); err != nil {
		return nil, err
	}
	if err := seiconfig.WriteConfigToDir(cfg, home); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, file := range []string{"config.toml", "app.toml"} {
		var doc map[string]any
		if _, err := toml.DecodeFile(filepath.Join(home, "config", file), &doc); err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		flatten(file+" ", doc, out)
	}
	return out, nil
}

func flatten(prefix string, doc map[string]any, out map[string]string) {
	for k, v := range doc {
		if sub, ok := v.(map[string]any); ok {
			flatten(prefix+k+".", sub, out)
			continue
		}
		out[prefix+k] = fmt.Sprint(v)
	}
}
