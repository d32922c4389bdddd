package genesis

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// allow100 lifts the default max_validators (35) for the 100-validator runs.
var allow100 = []Override{{Path: "app_state.staking.params.max_validators", Value: json.RawMessage(`100`)}}

// BenchmarkCeremony100 is a whole native ceremony: mint keys (mnemonic,
// operator, consensus, node), sign a gentx for each of 100 validators, then
// assemble and validate the genesis (which parses and verifies every gentx).
func BenchmarkCeremony100(b *testing.B) {
	b.ReportAllocs()
	var size int
	for b.Loop() {
		in, _ := ceremony(b, 100, "bench-1")
		in.Overrides = allow100
		res, err := Assemble(in)
		if err != nil {
			b.Fatal(err)
		}
		size = len(res.Genesis)
	}
	b.ReportMetric(float64(size), "genesis-bytes")
}

// BenchmarkAssemble100 is assembly alone for 100 pre-signed gentxs.
func BenchmarkAssemble100(b *testing.B) {
	in, _ := ceremony(b, 100, "bench-1")
	in.Overrides = allow100
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Assemble(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMintValidatorKeys: one validator's keys (the BIP-39 seed's 2048
// PBKDF2 rounds dominate).
func BenchmarkMintValidatorKeys(b *testing.B) {
	b.ReportAllocs()
	r := &detReader{}
	for b.Loop() {
		m, err := seikeys.NewMnemonic(r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := seikeys.OperatorKeyFromMnemonic(m); err != nil {
			b.Fatal(err)
		}
		if _, err := seikeys.GenerateConsensusKey(r); err != nil {
			b.Fatal(err)
		}
		if _, err := seikeys.GenerateNodeKey(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildGentx: build, sign and encode one gentx.
func BenchmarkBuildGentx(b *testing.B) {
	v := mint(b, 1, "bench-1", "10000000usei", "1usei")
	in := gentx.Input{ChainID: "bench-1", Description: gentx.Description{Moniker: "m"},
		SelfBond: gentx.NewCoin("usei", 10000000), ConsensusPubKey: v.cons.PubKey(), NodeID: v.node.ID(), Host: "127.0.0.1"}
	b.ReportAllocs()
	for b.Loop() {
		g, err := gentx.Build(v.op, in)
		if err != nil {
			b.Fatal(err)
		}
		_ = g.JSON()
	}
}

// BenchmarkParseVerifyGentx: parse and verify one gentx.
func BenchmarkParseVerifyGentx(b *testing.B) {
	v := mint(b, 1, "bench-1", "10000000usei", "1usei")
	b.ReportAllocs()
	for b.Loop() {
		g, err := gentx.Parse(v.gentx)
		if err != nil {
			b.Fatal(err)
		}
		if err := g.Verify("bench-1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTemplateRoundTrip: parse and re-encode the embedded template.
func BenchmarkTemplateRoundTrip(b *testing.B) {
	tpl := DefaultTemplate()
	b.ReportAllocs()
	b.SetBytes(int64(len(tpl)))
	for b.Loop() {
		n, err := parseJSON(tpl)
		if err != nil {
			b.Fatal(err)
		}
		if len(n.indented()) != len(tpl) {
			b.Fatal(fmt.Errorf("size changed"))
		}
	}
}
