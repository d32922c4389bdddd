// Package genesis turns a SeiNodeDeployment's ceremony — its spec and the gentxs its validators
// published — into the input of genesis assembly (internal/genesis), and derives each node's peers from
// the result. Pure functions: no client, no clock.
package genesis

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/genesis"
	"github.com/sei-protocol/sei-fleet/internal/gentx"
)

// Input assembles the genesis input of deployment dep from its validators' gentxs (in any order) and
// the ceremony spec. Every gentx's operator account is funded with spec.genesis.accountBalance; extra
// accounts are added as listed. now is the assembly time: genesis_time is now plus startDelay, to the
// second. External gentxs are parsed and verified here, so a bad one is named in the error.
func Input(dep *seiv1alpha1.SeiNodeDeployment, gentxs [][]byte, now time.Time) (genesis.Input, error) {
	spec := dep.Spec.Genesis
	if spec == nil {
		return genesis.Input{}, fmt.Errorf("deployment %s has no genesis ceremony", dep.Name)
	}
	balance, err := gentx.ParseCoins(spec.AccountBalance)
	if err != nil {
		return genesis.Input{}, fmt.Errorf("spec.genesis.accountBalance: %w", err)
	}
	in := genesis.Input{
		ChainID:     dep.Spec.ChainID,
		GenesisTime: now.UTC().Add(spec.StartDelay.Duration).Truncate(time.Second),
	}
	add := func(raw []byte, g *gentx.Gentx) {
		in.Gentxs = append(in.Gentxs, raw)
		in.Accounts = append(in.Accounts, genesis.Account{Address: g.DelegatorAddress, Coins: balance, PubKey: g.SignerPubKey})
	}
	for i, raw := range gentxs {
		g, err := gentx.Parse(raw)
		if err != nil {
			return genesis.Input{}, fmt.Errorf("gentx %d: %w", i, err)
		}
		add(raw, g)
	}
	for _, ext := range spec.ExternalGentxs {
		raw := []byte(ext.Gentx)
		g, err := gentx.Parse(raw)
		if err == nil {
			err = gentx.Verify(g, dep.Spec.ChainID)
		}
		if err != nil {
			return genesis.Input{}, fmt.Errorf("spec.genesis.externalGentxs[%s]: %w", ext.Name, err)
		}
		add(raw, g)
	}
	for _, a := range spec.Accounts {
		coins, err := gentx.ParseCoins(a.Balance)
		if err != nil {
			return genesis.Input{}, fmt.Errorf("spec.genesis.accounts[%s].balance: %w", a.Address, err)
		}
		in.Accounts = append(in.Accounts, genesis.Account{Address: a.Address, Coins: coins})
	}
	paths := make([]string, 0, len(spec.Overrides))
	for p := range spec.Overrides {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		v := json.RawMessage(spec.Overrides[p])
		if !json.Valid(v) {
			return genesis.Input{}, fmt.Errorf("spec.genesis.overrides[%s]: not JSON: %s", p, v)
		}
		in.Overrides = append(in.Overrides, genesis.Override{Path: p, Value: v})
	}
	return in, nil
}

// Check validates dep's ceremony with the gentxs its validators published so far, standing in for the
// validators named in pending, whose gentxs do not exist yet: it returns the error assembly would give
// for the same input, or nil. Run with no gentxs and every validator pending, it refuses a ceremony
// before anything is placed or any key minted; run as gentxs arrive, it refuses one as soon as a
// published gentx clashes with another (a minted consensus key equal to an external gentx's), rather
// than at the deadline.
func Check(dep *seiv1alpha1.SeiNodeDeployment, gentxs [][]byte, pending []string, now time.Time) error {
	in, err := Input(dep, gentxs, now)
	if err != nil {
		return err
	}
	planned := make([]genesis.Planned, 0, len(pending))
	if len(pending) > 0 {
		// Parsed as the agent parses it when it signs the gentx.
		bond, err := gentx.ParseCoin(dep.Spec.Genesis.StakingAmount)
		if err != nil {
			return fmt.Errorf("spec.genesis.stakingAmount: %w", err)
		}
		balance, err := gentx.ParseCoins(dep.Spec.Genesis.AccountBalance)
		if err != nil {
			return fmt.Errorf("spec.genesis.accountBalance: %w", err)
		}
		for _, moniker := range pending {
			planned = append(planned, genesis.Planned{Moniker: moniker, SelfBond: bond, Balance: balance})
		}
	}
	return genesis.Check(in, planned)
}

// Peers returns the persistent peers of the node whose ID is self: every genesis validator but itself.
func Peers(all []string, self string) []string {
	out := make([]string, 0, len(all))
	for _, p := range all {
		if len(p) > len(self) && p[:len(self)] == self && p[len(self)] == '@' {
			continue
		}
		out = append(out, p)
	}
	return out
}
