package genesis

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
)

// params are the genesis parameters the checks depend on, read after
// overrides.
type params struct {
	bondDenom         string
	maxValidators     uint64
	minCommissionRate gentx.Dec
	maxMemoChars      uint64 // 0 = unchecked
}

func readParams(root *node) (params, error) {
	var p params
	staking := root.lookup("app_state", "staking", "params")
	if staking == nil {
		return p, fmt.Errorf("app_state.staking.params is missing")
	}
	var ok bool
	if p.bondDenom, ok = staking.get("bond_denom").stringValue(); !ok || p.bondDenom == "" {
		return p, fmt.Errorf("app_state.staking.params.bond_denom is missing or not a string")
	}
	var err error
	if p.maxValidators, err = uintValue(staking.get("max_validators")); err != nil {
		return p, fmt.Errorf("app_state.staking.params.max_validators: %w", err)
	}
	if mcr := staking.get("min_commission_rate"); mcr != nil {
		s, ok := mcr.stringValue()
		if !ok {
			return p, fmt.Errorf("app_state.staking.params.min_commission_rate is not a string")
		}
		if p.minCommissionRate, err = gentx.ParseDec(s); err != nil {
			return p, fmt.Errorf("app_state.staking.params.min_commission_rate: %w", err)
		}
	}
	if memo := root.lookup("app_state", "auth", "params", "max_memo_characters"); memo != nil {
		if p.maxMemoChars, err = uintValue(memo); err != nil {
			return p, fmt.Errorf("app_state.auth.params.max_memo_characters: %w", err)
		}
	}
	if types := root.lookup("consensus_params", "validator", "pub_key_types"); types != nil {
		var list []string
		if err := json.Unmarshal(types.compact(), &list); err != nil || !slices.Contains(list, "ed25519") {
			return p, fmt.Errorf("consensus_params.validator.pub_key_types must include \"ed25519\"")
		}
	}
	return p, nil
}

// uintValue reads a uint64 written as a number (uint32 fields) or a string
// (uint64 fields in proto-JSON).
func uintValue(n *node) (uint64, error) {
	if n == nil {
		return 0, fmt.Errorf("missing")
	}
	text := string(n.raw)
	if s, ok := n.stringValue(); ok {
		text = s
	}
	v, err := strconv.ParseUint(text, 10, 64)
	if n.kind != scalarNode || err != nil {
		return 0, fmt.Errorf("want an unsigned integer, got %s", truncate(string(n.compact()), 40))
	}
	return v, nil
}
