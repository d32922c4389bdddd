//go:build chain

package chain

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/genesis"
	"github.com/sei-protocol/sei-fleet/internal/gentx"
)

// validateGenesis writes genesisJSON into a fresh seid home and runs
// `seid validate-genesis` on it.
func validateGenesis(t *testing.T, s Seid, chainID string, genesisJSON []byte) (string, error) {
	t.Helper()
	home := initHome(t, s, chainID)
	writeFile(t, home, "config/genesis.json", genesisJSON, 0o644)
	return s.Run(t.Context(), "", "validate-genesis", "--home", home)
}

// TestValidateGenesisNative: 4 natively minted validators, 2 extra accounts
// and overrides; seid accepts the genesis, and rejects it once tampered with.
func TestValidateGenesisNative(t *testing.T) {
	g := NewWithT(t)
	s := requireSeid(t)
	const chainID = "native-4"
	in := genesis.Input{
		ChainID:     chainID,
		GenesisTime: time.Now().UTC().Add(time.Minute),
		Overrides: []genesis.Override{
			{Path: "app_state.staking.params.unbonding_time", Value: json.RawMessage(`"60s"`)},
			{Path: "app_state.staking.params.max_validators", Value: json.RawMessage(`10`)},
			{Path: "app_state.gov.voting_params.voting_period", Value: json.RawMessage(`"30s"`)},
			{Path: "consensus_params.block.max_gas", Value: json.RawMessage(`"35000000"`)},
		},
	}
	for i := range 4 {
		v := mintValidator(t, i, chainID, 26656+10*i)
		in.Gentxs = append(in.Gentxs, v.gentx)
		in.Accounts = append(in.Accounts, v.account(i%2 == 0))
	}
	in.Accounts = append(in.Accounts, extraAccount(t, "5000000usei,7uatom", true), extraAccount(t, "1usei", false))
	res, err := genesis.Assemble(in)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Validators).To(HaveLen(4))

	out, err := validateGenesis(t, s, chainID, res.Genesis)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(ContainSubstring("is a valid genesis file"))

	// Negative controls: seid does check what we wrote.
	tampered := []struct {
		name, from, to, wantErr string
	}{
		{"wrong supply", `"amount": "4005000001"`, `"amount": "4005000002"`, "supply"},
		{"zero-power validator", `"power": "10"`, `"power": "0"`, "voting power"},
	}
	for _, tc := range tampered {
		g.Expect(string(res.Genesis)).To(ContainSubstring(tc.from), tc.name)
		bad := strings.Replace(string(res.Genesis), tc.from, tc.to, 1)
		_, err := validateGenesis(t, s, chainID, []byte(bad))
		g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)), tc.name)
		t.Logf("%s: seid says: %s", tc.name, firstLine(err.Error()))
	}
}

// TestValidateGenesisWithExternalGentx: a gentx made by a real seid (vector
// one, chain vec-1) next to a native one, and the vectors' own inputs.
func TestValidateGenesisWithExternalGentx(t *testing.T) {
	s := requireSeid(t)
	external := readTestdata(t, "one-gentx.json")
	ext, err := gentx.Parse(external)
	if err != nil {
		t.Fatal(err)
	}
	extAccount := genesis.Account{Address: ext.DelegatorAddress, Coins: []gentx.Coin{gentx.NewCoin("usei", 1_000_000_000_000)},
		PubKey: ext.SignerPubKey}

	t.Run("with a native validator", func(t *testing.T) {
		g := NewWithT(t)
		native := mintValidator(t, 0, "vec-1", 26656)
		res, err := genesis.Assemble(genesis.Input{
			ChainID:     "vec-1",
			GenesisTime: time.Now().UTC(),
			Gentxs:      [][]byte{external, native.gentx},
			Accounts:    []genesis.Account{extAccount, native.account(true)},
		})
		g.Expect(err).NotTo(HaveOccurred())
		out, err := validateGenesis(t, s, "vec-1", res.Genesis)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(ContainSubstring("is a valid genesis file"))
	})

	t.Run("vector inputs match seid's collect-gentxs", func(t *testing.T) {
		g := NewWithT(t)
		two := readTestdata(t, "two-gentx.json")
		twoTx, err := gentx.Parse(two)
		g.Expect(err).NotTo(HaveOccurred())
		want := readTestdata(t, "combined-genesis-collected.json")
		gt, err := time.Parse(time.RFC3339Nano, "2026-11-25T19:38:28.440024366Z")
		g.Expect(err).NotTo(HaveOccurred())
		res, err := genesis.Assemble(genesis.Input{
			ChainID:     "vec-1",
			GenesisTime: gt,
			Gentxs:      [][]byte{two, external},
			Accounts: []genesis.Account{extAccount,
				{Address: twoTx.DelegatorAddress, Coins: []gentx.Coin{gentx.NewCoin("usei", 20_000_000)}}},
			Overrides: []genesis.Override{
				{Path: "app_state.epoch.epoch.genesis_time", Value: json.RawMessage(`"2026-11-25T19:38:28.438107505Z"`)},
				{Path: "app_state.epoch.epoch.current_epoch_start_time", Value: json.RawMessage(`"2026-11-25T19:38:28.438107505Z"`)},
			},
		})
		g.Expect(err).NotTo(HaveOccurred())
		var ours, theirs map[string]any
		g.Expect(json.Unmarshal(res.Genesis, &ours)).To(Succeed())
		g.Expect(json.Unmarshal(want, &theirs)).To(Succeed())
		for _, path := range [][]string{
			{"app_state", "genutil", "gen_txs"}, {"app_state", "auth", "accounts"},
			{"app_state", "bank", "balances"}, {"app_state", "evm", "address_associations"},
		} {
			g.Expect(dig(ours, path...)).To(Equal(dig(theirs, path...)), strings.Join(path, "."))
		}
		out, err := validateGenesis(t, s, "vec-1", res.Genesis)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(ContainSubstring("is a valid genesis file"))
	})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
