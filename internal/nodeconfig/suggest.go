package nodeconfig

import (
	"fmt"
	"sort"
	"strings"
)

// maxSuggestions bounds the keys an unknown key's message offers.
const maxSuggestions = 3

// suggestion returns `; did you mean "a" or "b"?` for an unknown key, or "" when nothing is close.
func suggestion(key string) string {
	s := Suggest(key)
	if len(s) == 0 {
		return ""
	}
	quoted := make([]string, len(s))
	for i, k := range s {
		quoted[i] = fmt.Sprintf("%q", k)
	}
	return "; did you mean " + strings.Join(quoted, " or ") + "?"
}

// formerNames are keys this project's documentation once gave as examples that seid never had
// (CometBFT's names), with the key that does their work.
var formerNames = map[string][]string{
	"p2p.max-num-inbound-peers":  {"network.p2p.max_connections"},
	"p2p.max-num-outbound-peers": {"network.p2p.max_connections"},
}

// Suggest returns up to three accepted keys close to an unknown one, closest first. A seid TOML key
// (config.toml's or app.toml's, e.g. "log-level") gets the key that writes it. Otherwise the key is first
// written the way sei-config writes keys (lower case, '_' for '-', so seid's TOML keys such as
// "p2p.max-connections" find theirs). Keys whose last segment is the same come first; then keys
// within a small edit distance of the whole key, or of their own last segments as deep as the key
// (sei-config nests seid's sections: seid's "p2p.x" is sei-config's "network.p2p.x").
func Suggest(key string) []string {
	if known := seidKeys[key]; len(known) > 0 {
		return known
	}
	if known := formerNames[key]; len(known) > 0 {
		return known
	}
	norm := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	segs := strings.Split(norm, ".")
	last := segs[len(segs)-1]
	limit := max(2, len(norm)/3)
	type cand struct {
		key  string
		dist int
	}
	var cands []cand
	for name := range registry() {
		if _, no := refused[name]; no || name == key {
			continue
		}
		parts := strings.Split(name, ".")
		if parts[len(parts)-1] == last {
			cands = append(cands, cand{name, -1})
			continue
		}
		d := distance(norm, name)
		if len(parts) > len(segs) {
			d = min(d, distance(norm, strings.Join(parts[len(parts)-len(segs):], ".")))
		}
		if d <= limit {
			cands = append(cands, cand{name, d})
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].dist != cands[j].dist {
			return cands[i].dist < cands[j].dist
		}
		return cands[i].key < cands[j].key
	})
	var out []string
	for i := 0; i < len(cands) && i < maxSuggestions; i++ {
		out = append(out, cands[i].key)
	}
	return out
}

// distance is the Levenshtein distance between a and b (bytes: keys are ASCII).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
