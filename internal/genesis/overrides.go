package genesis

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ownedPaths are filled by Assemble; overriding them (or a parent) would be
// overwritten or would fight the checks.
var ownedPaths = []string{
	"app_state.auth.accounts",
	"app_state.bank.balances",
	"app_state.bank.supply",
	"app_state.genutil.gen_txs",
}

// applyOverride sets o.Value at o.Path in root (see the package doc).
func applyOverride(root *node, o Override) error {
	if err := checkOverridePath(o.Path); err != nil {
		return err
	}
	if !json.Valid(o.Value) {
		return fmt.Errorf("override %s: value is not valid JSON: %q", o.Path, truncate(string(o.Value), 80))
	}
	val, err := parseJSON(o.Value)
	if err != nil {
		return fmt.Errorf("override %s: %w", o.Path, err)
	}
	segs := strings.Split(o.Path, ".")
	parent := root
	for i, seg := range segs[:len(segs)-1] {
		next, err := child(parent, seg)
		if err != nil {
			return fmt.Errorf("override %s: %s: %w", o.Path, strings.Join(segs[:i+1], "."), err)
		}
		if next == nil {
			return fmt.Errorf("override %s: %s does not exist", o.Path, strings.Join(segs[:i+1], "."))
		}
		parent = next
	}
	last := segs[len(segs)-1]
	switch parent.kind {
	case arrayNode:
		idx, err := index(parent, last)
		if err != nil {
			return fmt.Errorf("override %s: %w", o.Path, err)
		}
		parent.elems[idx] = val
	case objectNode:
		if parent.get(last) == nil && len(segs) <= 2 {
			return fmt.Errorf("override %s: %s has no key %q (new top-level keys and modules are not created)",
				o.Path, strings.Join(segs[:len(segs)-1], "."), last)
		}
		parent.set(last, val)
	default:
		return fmt.Errorf("override %s: %s is not an object or array", o.Path, strings.Join(segs[:len(segs)-1], "."))
	}
	return nil
}

func checkOverridePath(path string) error {
	if !strings.HasPrefix(path, "app_state.") && !strings.HasPrefix(path, "consensus_params.") {
		return fmt.Errorf("override %q: path must start with %q or %q", path, "app_state.", "consensus_params.")
	}
	for _, seg := range strings.Split(path, ".") {
		if seg == "" {
			return fmt.Errorf("override %q: empty path segment", path)
		}
	}
	for _, owned := range ownedPaths {
		if path == owned || strings.HasPrefix(owned, path+".") {
			return fmt.Errorf("override %s: %s is set by assembly; use Input.Accounts or Input.Gentxs", path, owned)
		}
	}
	return nil
}

// child steps into an object member or array element (nil if missing).
func child(n *node, seg string) (*node, error) {
	switch n.kind {
	case objectNode:
		return n.get(seg), nil
	case arrayNode:
		idx, err := index(n, seg)
		if err != nil {
			return nil, err
		}
		return n.elems[idx], nil
	default:
		return nil, fmt.Errorf("not an object or array")
	}
}

func index(n *node, seg string) (int, error) {
	idx, err := strconv.Atoi(seg)
	if err != nil || idx < 0 || idx >= len(n.elems) {
		return 0, fmt.Errorf("index %q out of range for an array of %d", seg, len(n.elems))
	}
	return idx, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
