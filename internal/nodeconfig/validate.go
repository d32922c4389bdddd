package nodeconfig

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	seiconfig "github.com/sei-protocol/sei-config"

	"github.com/sei-protocol/sei-fleet/internal/aggregate"
)

// ValidateOverrides checks overrides for a node of mode ("validator", "full", "archive", "seed") the
// way the sidecar's config-apply would take them, and stricter. Every key is checked, in sorted order:
// it must be a sei-config key that takes effect through overrides, and its value must parse by the
// key's type. When all do, the overrides are resolved with sei-config (mode defaults, overrides,
// validation) and its error diagnostics are reported. The error holds one line per problem, each
// naming its key; nil means config-apply will accept them.
func ValidateOverrides(mode string, overrides map[string]string) error {
	if !seiconfig.NodeMode(mode).IsValid() {
		return fmt.Errorf("overrides: unknown node mode %q (one of %s)", mode, strings.Join(Modes, ", "))
	}
	if len(overrides) == 0 {
		return nil
	}
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var errs []error
	for _, k := range keys {
		if err := checkKey(k, overrides[k]); err != nil {
			errs = append(errs, fmt.Errorf("override %q: %w", k, err))
		}
	}
	if len(errs) > 0 {
		return aggregate.Join(errs...)
	}
	return resolve(mode, overrides)
}

// checkKey checks one key and its value.
func checkKey(key, value string) error {
	f := registry()[key]
	if f == nil {
		return fmt.Errorf("unknown key%s (every key: %s)", suggestion(key), DocPath)
	}
	if why, ok := refused[key]; ok {
		return fmt.Errorf("not settable through overrides: %s", why)
	}
	if err := parse(f, value); err != nil {
		return fmt.Errorf("%q is not a valid %s: %w", value, f.Type, err)
	}
	return nil
}

// parse parses value strictly as f's type: whatever it accepts, sei-config's parser takes with the
// same meaning.
func parse(f *field, value string) error {
	t := f.goType
	switch f.Type {
	case seiconfig.FieldTypeString:
		return nil
	case seiconfig.FieldTypeBool:
		if value != "true" && value != "false" {
			return fmt.Errorf("want true or false")
		}
	case seiconfig.FieldTypeInt:
		if _, err := strconv.ParseInt(value, 10, t.Bits()); err != nil {
			return fmt.Errorf("want a base-10 integer from %d to %d", int64(-1)<<(t.Bits()-1), int64(1)<<(t.Bits()-1)-1)
		}
	case seiconfig.FieldTypeUint:
		if _, err := strconv.ParseUint(value, 10, t.Bits()); err != nil {
			return fmt.Errorf("want a base-10 integer from 0 to %d", uint64(math.MaxUint64)>>(64-t.Bits()))
		}
	case seiconfig.FieldTypeFloat:
		v, err := strconv.ParseFloat(value, t.Bits())
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || strings.ContainsAny(value, "xX_") {
			return fmt.Errorf("want a finite decimal number such as 0.5")
		}
	case seiconfig.FieldTypeDuration:
		if _, err := time.ParseDuration(value); err != nil {
			return fmt.Errorf("want a Go duration such as 10s, 500ms or 1h30m")
		}
	case seiconfig.FieldTypeStringSlice:
		if value == "" {
			return nil
		}
		for item := range strings.SplitSeq(value, ",") {
			if strings.TrimSpace(item) == "" {
				return fmt.Errorf("want comma-separated items with no empty item")
			}
		}
	default:
		return fmt.Errorf("overrides cannot set a %s", t)
	}
	return nil
}

// resolve runs sei-config's intent resolution as the sidecar's config-apply does and reports its
// errors, naming the field each is about.
func resolve(mode string, overrides map[string]string) error {
	res, err := seiconfig.ResolveIntent(seiconfig.ConfigIntent{Mode: seiconfig.NodeMode(mode), Overrides: overrides})
	if err != nil {
		return fmt.Errorf("overrides: sei-config: %w", err)
	}
	var errs []error
	for _, d := range res.Diagnostics {
		if d.Severity == seiconfig.SeverityError {
			errs = append(errs, fmt.Errorf("overrides: sei-config rejects the %s config: %s: %s", mode, d.Field, d.Message))
		}
	}
	return aggregate.Join(errs...)
}

// Summary writes an error of ValidateOverrides on one line for a condition message, after field (the
// overrides' path in the spec): its problems are separated by "; ".
func Summary(field string, err error) string {
	return field + ": " + strings.ReplaceAll(err.Error(), "\n", "; ")
}
