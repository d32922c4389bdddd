package genesis

import (
	"encoding/json"
	"math/big"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

var testTime = time.Date(2030, 1, 2, 3, 4, 5, 600000000, time.UTC)

func TestAssembleDeterministic(t *testing.T) {
	g := NewWithT(t)
	in, _ := ceremony(t, 4, "det-1")
	a, err := Assemble(in)
	g.Expect(err).NotTo(HaveOccurred())
	b, err := Assemble(in)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(b.Genesis).To(Equal(a.Genesis))

	// Input order does not matter.
	rev := in
	rev.Gentxs = slices.Clone(in.Gentxs)
	rev.Accounts = slices.Clone(in.Accounts)
	slices.Reverse(rev.Gentxs)
	slices.Reverse(rev.Accounts)
	c, err := Assemble(rev)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.SHA256).To(Equal(a.SHA256))

	// Validators come out sorted by node ID, with peers.
	g.Expect(a.Validators).To(HaveLen(4))
	g.Expect(slices.IsSortedFunc(a.Validators, func(x, y Validator) int {
		return compareStrings(x.NodeID, y.NodeID)
	})).To(BeTrue())
	g.Expect(a.PersistentPeers()).To(HaveLen(4))
	g.Expect(a.PersistentPeers()[0]).To(MatchRegexp(`^[0-9a-f]{40}@127\.0\.0\.1:266\d6$`))

	// A different genesis time changes the hash.
	later := in
	later.GenesisTime = in.GenesisTime.Add(time.Nanosecond)
	d, err := Assemble(later)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(d.SHA256).NotTo(Equal(a.SHA256))
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestAssembleHeaderAndAccounts(t *testing.T) {
	g := NewWithT(t)
	in, vals := ceremony(t, 2, "acc-1")
	loc := time.FixedZone("X", 3600)
	in.GenesisTime = time.Date(2030, 1, 2, 4, 4, 5, 120000000, loc)
	extra := mint(t, 9, "acc-1", "1000000usei", "1usei")
	in.Accounts = append(in.Accounts,
		Account{Address: extra.op.AccountAddress(), Coins: []gentx.Coin{gentx.NewCoin("uatom", 5), gentx.NewCoin("usei", 7)},
			PubKey: extra.op.PubKey()},
		Account{Address: extra.op.AccountAddress(), Coins: []gentx.Coin{gentx.NewCoin("usei", 3)}},
		Account{Address: vals[0].op.AccountAddress(), Coins: []gentx.Coin{gentx.NewCoin("ufoo", 1)}},
		Account{Address: mustBech32(t, make([]byte, 32)), Coins: []gentx.Coin{gentx.NewCoin("usei", 2)}},
	)
	res, err := Assemble(in)
	g.Expect(err).NotTo(HaveOccurred())
	root, err := parseJSON(res.Genesis)
	g.Expect(err).NotTo(HaveOccurred())

	g.Expect(string(root.get("genesis_time").raw)).To(Equal(`"2030-01-02T03:04:05.12Z"`))
	g.Expect(string(root.lookup("app_state", "epoch", "epoch", "genesis_time").raw)).To(Equal(`"2030-01-02T03:04:05.12Z"`))
	g.Expect(string(root.get("chain_id").raw)).To(Equal(`"acc-1"`))
	g.Expect(string(root.get("initial_height").raw)).To(Equal(`"1"`))

	accounts := root.lookup("app_state", "auth", "accounts").elems
	g.Expect(accounts).To(HaveLen(4), "one BaseAccount per distinct address")
	balances := root.lookup("app_state", "bank", "balances").elems
	g.Expect(balances).To(HaveLen(4))
	byAddr := map[string]string{}
	for _, b := range balances {
		a, _ := b.get("address").stringValue()
		byAddr[a] = string(b.get("coins").compact())
	}
	zero := mustBech32(t, make([]byte, 32))
	first, _ := balances[0].get("address").stringValue()
	g.Expect(first).To(Equal(zero), "balances are sorted by address bytes")
	first, _ = accounts[0].get("address").stringValue()
	g.Expect(first).To(Equal(zero), "new accounts are sorted by address bytes")
	g.Expect(byAddr[extra.op.AccountAddress()]).To(Equal(`[{"denom":"uatom","amount":"5"},{"denom":"usei","amount":"10"}]`))
	g.Expect(byAddr[vals[0].op.AccountAddress()]).To(Equal(`[{"denom":"ufoo","amount":"1"},{"denom":"usei","amount":"100000000000"}]`))
	g.Expect(string(root.lookup("app_state", "bank", "supply").compact())).To(Equal(
		`[{"denom":"uatom","amount":"5"},{"denom":"ufoo","amount":"1"},{"denom":"usei","amount":"200000000012"}]`))

	assoc := root.lookup("app_state", "evm", "address_associations").elems
	g.Expect(assoc).To(HaveLen(1))
	g.Expect(string(assoc[0].compact())).To(Equal(`{"sei_address":"` + extra.op.AccountAddress() +
		`","eth_address":"` + extra.op.EVMAddress() + `"}`))

	genTxs := root.lookup("app_state", "genutil", "gen_txs").elems
	g.Expect(genTxs).To(HaveLen(2))
	for _, tx := range genTxs {
		parsed, err := gentx.Parse(tx.compact())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(parsed.Verify("acc-1")).To(Succeed())
	}
	g.Expect(res.Genesis[len(res.Genesis)-1]).To(Equal(byte('}')), "no trailing newline, like seid")
}

func TestAssembleSupplyWithWeiBalances(t *testing.T) {
	g := NewWithT(t)
	in, _ := ceremony(t, 1, "wei-1")
	in.Overrides = []Override{{Path: "app_state.bank.wei_balances",
		Value: json.RawMessage(`[{"address":"` + in.Accounts[0].Address + `","amount":"1000000000000"}]`)}}
	res, err := Assemble(in)
	g.Expect(err).NotTo(HaveOccurred())
	root, err := parseJSON(res.Genesis)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(root.lookup("app_state", "bank", "supply").compact())).To(Equal(`[]`))
}

func TestAssembleOverrides(t *testing.T) {
	g := NewWithT(t)
	in, _ := ceremony(t, 1, "ovr-1")
	in.Overrides = []Override{
		{Path: "app_state.staking.params.max_validators", Value: json.RawMessage(`50`)},
		{Path: "app_state.staking.params.unbonding_time", Value: json.RawMessage(`"60s"`)},
		{Path: "consensus_params.block.max_gas", Value: json.RawMessage(`"35000000"`)},
		{Path: "app_state.gov.deposit_params.min_deposit.0.amount", Value: json.RawMessage(`"1"`)},
		{Path: "app_state.oracle.params.whitelist", Value: json.RawMessage(`[{"name":"uusdc"}]`)},
		{Path: "app_state.staking.params.new_field", Value: json.RawMessage(`{"b": 1, "a": [ ]}`)},
	}
	res, err := Assemble(in)
	g.Expect(err).NotTo(HaveOccurred())
	root, err := parseJSON(res.Genesis)
	g.Expect(err).NotTo(HaveOccurred())
	params := root.lookup("app_state", "staking", "params")
	g.Expect(string(params.get("max_validators").raw)).To(Equal(`50`))
	g.Expect(string(params.get("unbonding_time").raw)).To(Equal(`"60s"`))
	g.Expect(params.members[len(params.members)-1].key).To(Equal("new_field"), "new keys are appended")
	g.Expect(string(params.get("new_field").compact())).To(Equal(`{"b":1,"a":[]}`), "key order kept")
	g.Expect(string(root.lookup("consensus_params", "block", "max_gas").raw)).To(Equal(`"35000000"`))
	g.Expect(string(root.lookup("app_state", "gov", "deposit_params", "min_deposit").compact())).
		To(Equal(`[{"denom":"usei","amount":"1"}]`))
	g.Expect(string(root.lookup("app_state", "oracle", "params", "whitelist").compact())).To(Equal(`[{"name":"uusdc"}]`))
}

func TestAssembleRejects(t *testing.T) {
	base, vals := ceremony(t, 2, "bad-1")
	other := mint(t, 5, "bad-1", "10000000usei", "100000000000usei")
	tests := []struct {
		name    string
		edit    func(*Input)
		wantErr []string
	}{
		{"no chain id", func(in *Input) { in.ChainID = "" }, []string{"chain ID"}},
		{"no genesis time", func(in *Input) { in.GenesisTime = time.Time{} }, []string{"genesis time"}},
		{"no gentxs", func(in *Input) { in.Gentxs = nil }, []string{"no gentxs"}},
		{"gentx for another chain", func(in *Input) { in.ChainID = "bad-2" }, []string{"gentx #0", "signature does not match"}},
		{"malformed gentx", func(in *Input) { in.Gentxs[1] = []byte(`{}`) }, []string{"gentx #1", "body: missing"}},
		{"same gentx twice", func(in *Input) { in.Gentxs = append(in.Gentxs, in.Gentxs[0]) },
			[]string{"share the same operator", "val-0"}},
		{"shared consensus key", func(in *Input) {
			in.Gentxs = append(in.Gentxs, rebuild(t, other, func(gi *gentx.Input) { gi.ConsensusPubKey = vals[0].cons.PubKey() }))
			in.Accounts = append(in.Accounts, other.account)
		}, []string{"share the same consensus key", "val-5"}},
		{"shared node id", func(in *Input) {
			in.Gentxs = append(in.Gentxs, rebuild(t, other, func(gi *gentx.Input) { gi.NodeID = vals[1].node.ID() }))
			in.Accounts = append(in.Accounts, other.account)
		}, []string{"share the same node ID", "val-5"}},
		{"zero power", func(in *Input) {
			in.Gentxs = append(in.Gentxs, rebuild(t, other, func(gi *gentx.Input) { gi.SelfBond = gentx.NewCoin("usei", 999999) }))
			in.Accounts = append(in.Accounts, other.account)
		}, []string{`validator "val-5"`, "voting power 0"}},
		{"too many validators", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.staking.params.max_validators", Value: json.RawMessage(`1`)}}
		}, []string{"2 validators", "max_validators is 1"}},
		{"wrong bond denom", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.staking.params.bond_denom", Value: json.RawMessage(`"uatom"`)}}
		}, []string{`validator "val-`, `not in the bond denom "uatom"`}},
		{"commission below minimum", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.staking.params.min_commission_rate", Value: json.RawMessage(`"0.5"`)}}
		}, []string{`validator "val-`, "below min_commission_rate"}},
		{"long memo", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.auth.params.max_memo_characters", Value: json.RawMessage(`"10"`)}}
		}, []string{"memo is longer"}},
		{"no ed25519", func(in *Input) {
			in.Overrides = []Override{{Path: "consensus_params.validator.pub_key_types", Value: json.RawMessage(`["secp256k1"]`)}}
		}, []string{"pub_key_types"}},
		{"missing account", func(in *Input) { in.Accounts = in.Accounts[1:] },
			[]string{`validator "val-0"`, "has 0usei in genesis, less than its self-bond 10000000usei"}},
		{"balance below self-bond", func(in *Input) {
			in.Accounts[1].Coins = []gentx.Coin{gentx.NewCoin("usei", 9999999), gentx.NewCoin("uatom", 1e12)}
		}, []string{`validator "val-1"`, "9999999usei"}},
		{"bad account address", func(in *Input) { in.Accounts[0].Address = vals[0].op.ValoperAddress() },
			[]string{"genesis account: decode bech32", `want "sei"`}},
		{"25-byte address", func(in *Input) { in.Accounts[0].Address = mustBech32(t, make([]byte, 25)) },
			[]string{"25 bytes, want 20 or 32"}},
		{"zero coin", func(in *Input) { in.Accounts[0].Coins = []gentx.Coin{{Denom: "usei", Amount: big.NewInt(0)}} },
			[]string{"account sei1", "positive"}},
		{"pubkey of another account", func(in *Input) { in.Accounts[0].PubKey = vals[1].op.PubKey() },
			[]string{"public key does not belong"}},
		{"override owned path", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.bank.supply", Value: json.RawMessage(`[]`)}}
		}, []string{"override app_state.bank.supply", "set by assembly"}},
		{"override parent of owned path", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.genutil", Value: json.RawMessage(`{}`)}}
		}, []string{"override app_state.genutil", "gen_txs is set by assembly"}},
		{"override unknown module", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.stakng", Value: json.RawMessage(`{}`)}}
		}, []string{"override app_state.stakng", "not created"}},
		{"override missing parent", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.stakng.params.max_validators", Value: json.RawMessage(`1`)}}
		}, []string{"override app_state.stakng.params.max_validators", "app_state.stakng does not exist"}},
		{"override bad json", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.staking.params.max_validators", Value: json.RawMessage(`{`)}}
		}, []string{"override app_state.staking.params.max_validators", "not valid JSON"}},
		{"override root key", func(in *Input) {
			in.Overrides = []Override{{Path: "chain_id", Value: json.RawMessage(`"x"`)}}
		}, []string{`override "chain_id"`, "must start with"}},
		{"override index out of range", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.gov.deposit_params.min_deposit.3.amount", Value: json.RawMessage(`"1"`)}}
		}, []string{"min_deposit.3", "out of range"}},
		{"override through a scalar", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.staking.params.max_validators.x", Value: json.RawMessage(`1`)}}
		}, []string{"max_validators is not an object"}},
		{"override empty segment", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state..x", Value: json.RawMessage(`1`)}}
		}, []string{"empty path segment"}},
		{"bad max_validators", func(in *Input) {
			in.Overrides = []Override{{Path: "app_state.staking.params.max_validators", Value: json.RawMessage(`-1`)}}
		}, []string{"max_validators", "unsigned integer"}},
		{"template not json", func(in *Input) { in.Template = []byte(`{`) }, []string{"parse template"}},
		{"template duplicate key", func(in *Input) { in.Template = []byte(`{"app_state":{},"app_state":{}}`) },
			[]string{"duplicate JSON key"}},
		{"template without staking", func(in *Input) { in.Template = []byte(`{"app_state":{}}`) },
			[]string{"app_state.staking.params is missing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			in := base
			in.Gentxs = slices.Clone(base.Gentxs)
			in.Accounts = slices.Clone(base.Accounts)
			for i := range in.Accounts {
				in.Accounts[i].Coins = slices.Clone(base.Accounts[i].Coins)
			}
			tc.edit(&in)
			_, err := Assemble(in)
			g.Expect(err).To(HaveOccurred())
			for _, want := range tc.wantErr {
				g.Expect(err.Error()).To(ContainSubstring(want))
			}
		})
	}
	g := NewWithT(t)
	_, err := Assemble(base)
	g.Expect(err).NotTo(HaveOccurred(), "the base input is valid")
}

func mustBech32(t *testing.T, b []byte) string {
	t.Helper()
	s, err := seikeys.Bech32Encode(seikeys.AccountPrefix, b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rebuild signs a new gentx for v with an edited input.
func rebuild(t *testing.T, v minted, edit func(*gentx.Input)) []byte {
	t.Helper()
	in := gentx.Input{
		ChainID:         "bad-1",
		Description:     gentx.Description{Moniker: "val-5"},
		SelfBond:        gentx.NewCoin("usei", 10000000),
		ConsensusPubKey: v.cons.PubKey(),
		NodeID:          v.node.ID(),
		Host:            "127.0.0.1",
	}
	edit(&in)
	g, err := gentx.Build(v.op, in)
	if err != nil {
		t.Fatal(err)
	}
	return g.JSON()
}
