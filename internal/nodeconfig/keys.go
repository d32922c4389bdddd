package nodeconfig

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	seiconfig "github.com/sei-protocol/sei-config"
)

// DocPath is the generated list of accepted keys, relative to the repository root.
const DocPath = "docs/config-overrides.md"

// Modes are sei-config's node modes, which are the fleet's SeiNode modes.
var Modes = []string{
	string(seiconfig.ModeValidator), string(seiconfig.ModeFull),
	string(seiconfig.ModeArchive), string(seiconfig.ModeSeed),
}

// Key is one key overrides accept.
type Key struct {
	// Name is the dotted sei-config key, e.g. "network.p2p.max_connections".
	Name string
	// Type says how a value is written (see TypeSyntax).
	Type string
	// Description is sei-config's, when it has one.
	Description string
	// Deprecated keys still apply; sei-config schedules them for removal.
	Deprecated bool
	// Defaults is the value by mode before overrides, written as an override would be.
	Defaults map[string]string
}

// field is what validation needs to know of a registry key.
type field struct {
	seiconfig.ConfigField
	// goType is the Go type of the struct field: the bit size an integer must fit.
	goType reflect.Type
}

// refused are registry keys that never take effect through overrides, with why. mode and version
// are set by the fleet (the node's mode, the sidecar's schema version) and an override would write a
// config that contradicts them; chain.chain_id is not written to config.toml or app.toml at all; the
// other two have Go types sei-config's override parser does not support, so config-apply always fails.
var refused = map[string]string{
	"mode": "the mode comes from the node's spec (validator, fullNode, archive or seed); " +
		"an override would write config for one mode from another mode's defaults",
	"version":        "the config schema version is the sidecar's (config-apply's targetVersion)",
	"chain.chain_id": "sei-config writes no chain ID to config.toml or app.toml, so it would be dropped; the chain is spec.chainId",
	"consensus.unsafe_bypass_commit_timeout_override": "sei-config cannot parse an override into this optional bool, " +
		"so config-apply always fails with it",
	"chain.halt_height": "the fleet sets seid's halt height from the node's spec.haltHeight " +
		"(a network upgrade: SeiNodeDeployment spec.upgrade)",
	"metrics.global_labels": "sei-config cannot parse an override into a list of label pairs, so config-apply always fails with it",
	// The fleet's config-patch task writes these after config-apply, from the node's spec and status:
	// an override would be overwritten.
	"network.p2p.listen_address":   "the fleet sets the P2P listen address (config-patch after config-apply)",
	"network.p2p.persistent_peers": "the fleet sets persistent peers from spec.peers (config-patch after config-apply)",
	"network.p2p.external_address": "the fleet sets the external address from spec.externalAddress or the node's P2P Service (config-patch after config-apply)",
	"network.rpc.listen_address":   "the fleet sets the RPC listen address (config-patch after config-apply)",
}

// Refused says why key, a registry key, never takes effect through overrides, or false when it does.
func Refused(key string) (string, bool) {
	why, ok := refused[key]
	return why, ok
}

// RefusedKeys returns the registry keys that never take effect through overrides, sorted.
func RefusedKeys() []string {
	out := make([]string, 0, len(refused))
	for k := range refused {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var registry = sync.OnceValue(func() map[string]*field {
	reg := seiconfig.BuildRegistry()
	reg.EnrichAll(seiconfig.DefaultEnrichments())
	out := map[string]*field{}
	for _, f := range reg.Fields() {
		out[f.Key] = &field{ConfigField: f, goType: goType(f.FieldPath)}
	}
	return out
})

// goType walks SeiConfig's struct fields along path ("Network.P2P.MaxConnections").
func goType(path string) reflect.Type {
	t := reflect.TypeFor[seiconfig.SeiConfig]()
	for part := range strings.SplitSeq(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		sf, ok := t.FieldByName(part)
		if !ok {
			return nil
		}
		t = sf.Type
	}
	return t
}

// Keys returns every key overrides accept, sorted, with its type and its default for each mode.
func Keys() []Key {
	defaults := map[string]map[string]any{}
	reg := seiconfig.BuildRegistry()
	for _, m := range Modes {
		defaults[m] = reg.DefaultsByMode(seiconfig.NodeMode(m))
	}
	var out []Key
	for name, f := range registry() {
		if _, no := refused[name]; no {
			continue
		}
		k := Key{Name: name, Type: f.Type.String(), Description: f.Description, Deprecated: f.Deprecated, Defaults: map[string]string{}}
		for _, m := range Modes {
			k.Defaults[m] = formatValue(defaults[m][name])
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// formatValue writes a default the way an override sets it.
func formatValue(v any) string {
	switch x := v.(type) {
	case []string:
		return strings.Join(x, ",")
	case seiconfig.Duration:
		return x.String()
	case nil:
		return ""
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return ""
		}
		return formatValue(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}
