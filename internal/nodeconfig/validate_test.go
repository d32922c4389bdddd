package nodeconfig

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestEveryKeyIsAcceptedAtItsDefaultInEveryMode(t *testing.T) {
	g := NewWithT(t)
	keys := Keys()
	g.Expect(len(keys)).To(BeNumerically(">", 200))
	for _, mode := range Modes {
		for _, k := range keys {
			g.Expect(ValidateOverrides(mode, map[string]string{k.Name: k.Defaults[mode]})).To(Succeed(), "%s in mode %s", k.Name, mode)
		}
	}
}

func TestRefusedKeysAreNotOffered(t *testing.T) {
	g := NewWithT(t)
	for _, k := range Keys() {
		_, refused := Refused(k.Name)
		g.Expect(refused).To(BeFalse(), k.Name)
	}
	for _, k := range RefusedKeys() {
		g.Expect(registry()).To(HaveKey(k), "a refused key is a registry key: %s", k)
	}
}

func TestValidateOverrides(t *testing.T) {
	for _, tc := range []struct {
		name      string
		overrides map[string]string
		// want are substrings of the error; none means valid.
		want []string
	}{
		{"none", nil, nil},
		{"sei-config keys", map[string]string{"network.p2p.max_connections": "80", "logging.level": "debug", "storage.pruning": "nothing"}, nil},
		{"a seid TOML key gets the key that writes it", map[string]string{"p2p.max-connections": "80"},
			[]string{`override "p2p.max-connections": unknown key; did you mean "network.p2p.max_connections"?`, DocPath}},
		{"the key the old docs gave", map[string]string{"p2p.max-num-inbound-peers": "80"},
			[]string{`override "p2p.max-num-inbound-peers": unknown key; did you mean "network.p2p.max_connections"?`}},
		{"a typo", map[string]string{"logging.levl": "debug"}, []string{`did you mean "logging.level"?`}},
		{"nothing close", map[string]string{"P2P Port": "1"}, []string{`override "P2P Port": unknown key (every key: ` + DocPath + ")"}},
		{"the mode", map[string]string{"mode": "validator"}, []string{`override "mode": not settable through overrides: the mode comes from the node's spec`}},
		{"peers", map[string]string{"network.p2p.persistent_peers": "a@b:26656"}, []string{"not settable", "spec.peers"}},
		{"external address", map[string]string{"network.p2p.external_address": "1.2.3.4:26656"}, []string{"not settable", "external address"}},
		{"listen address", map[string]string{"network.rpc.listen_address": "tcp://0.0.0.0:1"}, []string{"not settable", "RPC listen address"}},
		{"not a number", map[string]string{"network.p2p.max_connections": "lots"},
			[]string{`override "network.p2p.max_connections": "lots" is not a valid uint: want a base-10 integer from 0 to 65535`}},
		{"out of range", map[string]string{"network.p2p.max_connections": "70000"}, []string{"from 0 to 65535"}},
		{"hex that sei-config would read as 0", map[string]string{"network.p2p.max_connections": "0x10"}, []string{"not a valid uint"}},
		{"not a bool", map[string]string{"state_sync.enable": "yes"}, []string{`"yes" is not a valid bool: want true or false`}},
		{"a duration without a unit", map[string]string{"network.p2p.dial_timeout": "3"}, []string{"not a valid duration"}},
		{"an empty list item", map[string]string{"state_sync.rpc_servers": "a:1,,b:2"}, []string{"no empty item"}},
		{"sei-config's own check", map[string]string{"storage.pruning": "bogus"},
			[]string{`overrides: sei-config rejects the full config: storage.pruning: unknown pruning strategy "bogus"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			err := ValidateOverrides("full", tc.overrides)
			if len(tc.want) == 0 {
				g.Expect(err).To(Succeed())
				return
			}
			g.Expect(err).To(HaveOccurred())
			for _, w := range tc.want {
				g.Expect(err.Error()).To(ContainSubstring(w))
			}
		})
	}
}

// TestEveryProblemIsReportedInKeyOrder: one line per key, so a condition lists them all, stably.
func TestEveryProblemIsReportedInKeyOrder(t *testing.T) {
	err := ValidateOverrides("full", map[string]string{"zz.unknown": "1", "logging.levl": "x", "state_sync.enable": "yes"})
	NewWithT(t).Expect(err).To(MatchError(MatchRegexp(`^override "logging.levl": [^\n]*\noverride "state_sync.enable": [^\n]*\noverride "zz.unknown": `)))
}

func TestValidateOverridesRefusesAnUnknownMode(t *testing.T) {
	NewWithT(t).Expect(ValidateOverrides("fullNode", nil)).To(MatchError(ContainSubstring(`unknown node mode "fullNode"`)))
}
