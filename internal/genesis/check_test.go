package genesis

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
)

// planAll turns the last k validators of a ceremony into planned ones: their gentxs and accounts go,
// stand-ins with the same moniker, self-bond and balance take their place.
func planAll(in Input, vals []minted, k int) (Input, []Planned) {
	keep := len(vals) - k
	out := in
	out.Gentxs = slices.Clone(in.Gentxs[:keep])
	out.Accounts = slices.Clone(in.Accounts[:keep])
	out.Accounts = append(out.Accounts, in.Accounts[len(vals):]...)
	var planned []Planned
	for i := keep; i < len(vals); i++ {
		g, err := gentx.Parse(vals[i].gentx)
		if err != nil {
			panic(err)
		}
		planned = append(planned, Planned{Moniker: g.Moniker(), SelfBond: g.SelfBond, Balance: in.Accounts[i].Coins})
	}
	return out, planned
}

// Check refuses exactly what Assemble refuses, whether the validators' gentxs exist or are still
// planned: the same code runs, with stand-ins for the planned ones.
func TestCheckAgreesWithAssemble(t *testing.T) {
	base, vals := ceremony(t, 3, "chk-1")
	override := func(path, value string) func(*Input) {
		return func(in *Input) {
			in.Overrides = append(in.Overrides, Override{Path: path, Value: json.RawMessage(value)})
		}
	}
	for _, tc := range []struct {
		name string
		edit func(*Input)
		want string // "" when valid
	}{
		{"valid", func(*Input) {}, ""},
		{"extra account with a bad checksum", func(in *Input) {
			a := vals[0].op.AccountAddress()
			in.Accounts = append(in.Accounts, Account{Address: a[:len(a)-1] + flip(a[len(a)-1]), Coins: []gentx.Coin{gentx.NewCoin("usei", 1)}})
		}, "invalid checksum"},
		{"zero balance", func(in *Input) {
			in.Accounts = append(in.Accounts, Account{Address: mustBech32(t, make([]byte, 20)), Coins: []gentx.Coin{gentx.NewCoin("usei", 0)}})
		}, "amount must be positive"},
		{"owned path", override("app_state.bank.supply", `[]`), "set by assembly"},
		{"unknown module", override("app_state.stakng", `{}`), "not created"},
		{"max_validators below the set", override("app_state.staking.params.max_validators", `2`), "3 validators, but app_state.staking.params.max_validators is 2"},
		{"bond denom", override("app_state.staking.params.bond_denom", `"uatom"`), `not in the bond denom "uatom"`},
		{"min commission above the default", override("app_state.staking.params.min_commission_rate", `"0.5"`), "below min_commission_rate 0.5"},
		{"memo limit", override("app_state.auth.params.max_memo_characters", `"10"`), "memo is longer than max_memo_characters 10"},
		{"no ed25519", override("consensus_params.validator.pub_key_types", `["secp256k1"]`), "pub_key_types"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			in := base
			in.Gentxs, in.Accounts = slices.Clone(base.Gentxs), slices.Clone(base.Accounts)
			tc.edit(&in)
			_, assembleErr := Assemble(in)
			for k := 0; k <= len(vals); k++ {
				partial, planned := planAll(in, vals, k)
				err := Check(partial, planned)
				if tc.want == "" {
					g.Expect(assembleErr).NotTo(HaveOccurred())
					g.Expect(err).NotTo(HaveOccurred(), "%d planned", k)
					continue
				}
				g.Expect(assembleErr).To(MatchError(ContainSubstring(tc.want)))
				g.Expect(err).To(MatchError(ContainSubstring(tc.want)), "%d planned", k)
				g.Expect(err.Error()).To(HavePrefix(`check genesis for chain "chk-1": `))
			}
		})
	}
}

// A stand-in is named by its moniker, never by the addresses it was given.
func TestCheckNamesPlannedValidatorsByMoniker(t *testing.T) {
	g := NewWithT(t)
	in := Input{ChainID: "chk-1", GenesisTime: testTime}
	bond := gentx.NewCoin("usei", 10000000)
	planned := []Planned{
		{Moniker: "vals-0", SelfBond: bond, Balance: []gentx.Coin{gentx.NewCoin("usei", 1e12)}},
		{Moniker: "vals-1", SelfBond: bond, Balance: []gentx.Coin{gentx.NewCoin("usei", 1)}},
	}
	err := Check(in, planned)
	g.Expect(err).To(MatchError(`check genesis for chain "chk-1": validator "vals-1" (keys not minted yet): its operator account has 1usei in genesis, less than its self-bond 10000000usei`))

	planned[1].Balance = planned[0].Balance
	g.Expect(Check(in, planned)).To(Succeed(), "stand-ins clash with nothing")

	planned[1].SelfBond = gentx.NewCoin("usei", 0)
	g.Expect(Check(in, planned)).To(MatchError(ContainSubstring(`validator "vals-1" (keys not minted yet): self-bond: coin 0usei: amount must be positive`)),
		"what gentx.Build refuses before signing")

	planned[1].SelfBond = gentx.NewCoin("usei", 999999)
	g.Expect(Check(in, planned)).To(MatchError(ContainSubstring(`validator "vals-1" (keys not minted yet): self-bond 999999usei gives voting power 0`)))

	planned[1] = planned[0]
	g.Expect(Check(in, planned)).To(MatchError(ContainSubstring(`validators "vals-0" and "vals-0" (keys not minted yet) share the same moniker`)))

	g.Expect(Check(in, nil)).To(MatchError(ContainSubstring("no gentxs")))
}

// A real gentx that shares a consensus key, operator or moniker with another is refused by both.
func TestCheckRefusesSharedIdentities(t *testing.T) {
	base, vals := ceremony(t, 2, "chk-1")
	other := mint(t, 7, "chk-1", "10000000usei", "100000000000usei")
	for _, tc := range []struct {
		name string
		gi   func(*gentx.Input)
		want string
	}{
		{"consensus key", func(gi *gentx.Input) { gi.ConsensusPubKey = vals[0].cons.PubKey() }, "share the same consensus key"},
		{"node ID", func(gi *gentx.Input) { gi.NodeID = vals[1].node.ID() }, "share the same node ID"},
		{"moniker", func(gi *gentx.Input) { gi.Description.Moniker = "val-1" }, `validators "val-1" and "val-1" (`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			in := base
			in.Gentxs = append(slices.Clone(base.Gentxs), rebuild(t, other, func(gi *gentx.Input) {
				gi.ChainID = "chk-1"
				tc.gi(gi)
			}))
			in.Accounts = append(slices.Clone(base.Accounts), other.account)
			_, err := Assemble(in)
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
			err = Check(in, []Planned{{Moniker: "planned-0", SelfBond: gentx.NewCoin("usei", 10000000), Balance: other.account.Coins}})
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
			g.Expect(strings.Count(err.Error(), "share the same")).To(Equal(1))
		})
	}
}

// flip changes one bech32 character into another, breaking the checksum only.
func flip(c byte) string {
	if c == 'q' {
		return "p"
	}
	return "q"
}
