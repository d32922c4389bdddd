package genesis

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// powerReduction is sdk.DefaultPowerReduction: 1 unit of consensus power per
// 10^6 bonded base units (1 SEI = 10^6 usei).
var powerReduction = big.NewInt(1_000_000)

// maxTotalVotingPower is Tendermint's limit (MaxInt64 / 8).
const maxTotalVotingPower = math.MaxInt64 / 8

// genValidator is a verified gentx and the validator it creates.
type genValidator struct {
	tx  *gentx.Gentx
	val Validator
	// standIn: tx stands in for a planned validator's gentx (see Check); its
	// keys and addresses are not the real ones, so messages do not show them.
	standIn bool
}

// label names the validator in messages: moniker and operator.
func (v genValidator) label() string {
	if v.standIn {
		return fmt.Sprintf("%q (keys not minted yet)", v.val.Moniker)
	}
	return fmt.Sprintf("%q (%s)", v.val.Moniker, v.val.OperatorAddress)
}

// accountLabel names the validator's account in messages.
func (v genValidator) accountLabel() string {
	if v.standIn {
		return "its operator account"
	}
	return "account " + v.val.AccountAddress
}

// parseGentxs parses, verifies and cross-checks the gentxs and the stand-ins
// of planned validators, and returns them sorted by node ID: the order in
// which collect-gentxs reads the config/gentx/gentx-<nodeID>.json files seid
// gentx writes.
func parseGentxs(raws [][]byte, standIns []*gentx.Gentx, chainID string, p params) ([]genValidator, error) {
	if len(raws)+len(standIns) == 0 {
		return nil, fmt.Errorf("no gentxs: a chain needs at least one genesis validator")
	}
	out := make([]genValidator, 0, len(raws)+len(standIns))
	for i, raw := range raws {
		g, err := gentx.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("gentx #%d: %w", i, err)
		}
		if err := gentx.Verify(g, chainID); err != nil {
			return nil, fmt.Errorf("gentx #%d: %w", i, err)
		}
		v, err := newGenValidator(g, p)
		if err != nil {
			return nil, fmt.Errorf("validator %q (%s): %w", g.Moniker(), g.ValidatorAddress, err)
		}
		out = append(out, v)
	}
	for _, g := range standIns {
		v, err := newGenValidator(g, p)
		if err != nil {
			return nil, fmt.Errorf("validator %q (keys not minted yet): %w", g.Moniker(), err)
		}
		v.standIn = true
		out = append(out, v)
	}
	if err := checkDistinct(out); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].val.NodeID < out[j].val.NodeID })
	if uint64(len(out)) > p.maxValidators {
		return nil, fmt.Errorf("%d validators, but app_state.staking.params.max_validators is %d", len(out), p.maxValidators)
	}
	var total int64
	for _, v := range out {
		// total and each power are <= maxTotalVotingPower (MaxInt64/8) here,
		// so the sum cannot overflow before the check.
		total += v.val.Power
		if total > maxTotalVotingPower {
			return nil, fmt.Errorf("total voting power exceeds Tendermint's limit %d", int64(maxTotalVotingPower))
		}
	}
	return out, nil
}

func newGenValidator(g *gentx.Gentx, p params) (genValidator, error) {
	if g.SelfBond.Denom != p.bondDenom {
		return genValidator{}, fmt.Errorf("self-bond %s is not in the bond denom %q", g.SelfBond, p.bondDenom)
	}
	if g.Commission.Rate.Cmp(p.minCommissionRate) < 0 {
		return genValidator{}, fmt.Errorf("commission rate %s is below min_commission_rate %s",
			g.Commission.Rate, p.minCommissionRate)
	}
	if p.maxMemoChars > 0 && uint64(utf8.RuneCountInString(g.Memo)) > p.maxMemoChars {
		return genValidator{}, fmt.Errorf("memo is longer than max_memo_characters %d", p.maxMemoChars)
	}
	power := new(big.Int).Quo(g.SelfBond.Amount, powerReduction)
	if power.Sign() <= 0 {
		return genValidator{}, fmt.Errorf("self-bond %s gives voting power 0 (at least %s%s needed)",
			g.SelfBond, powerReduction, p.bondDenom)
	}
	if !power.IsInt64() || power.Int64() > maxTotalVotingPower {
		return genValidator{}, fmt.Errorf("self-bond %s gives voting power above Tendermint's limit", g.SelfBond)
	}
	cons := seikeys.ConsensusAddress(g.ConsensusPubKey)
	return genValidator{
		tx: g,
		val: Validator{
			Moniker:          g.Moniker(),
			AccountAddress:   g.DelegatorAddress,
			OperatorAddress:  g.ValidatorAddress,
			ConsensusAddress: strings.ToUpper(fmt.Sprintf("%x", cons)),
			ConsensusPubKey:  g.ConsensusPubKey,
			SelfBond:         g.SelfBond,
			Power:            power.Int64(),
			NodeID:           g.NodeID,
			P2PAddress:       g.P2PAddress,
		},
	}, nil
}

// checkDistinct refuses two validators with one operator, consensus key, node
// ID or moniker. Sei itself accepts two monikers; the fleet does not, as its
// status and messages name validators by moniker.
func checkDistinct(vs []genValidator) error {
	seen := map[string]string{}
	for _, v := range vs {
		for _, k := range []struct{ kind, key string }{
			{"operator", v.val.OperatorAddress},
			{"consensus key", string(v.val.ConsensusPubKey)},
			{"node ID", v.val.NodeID},
			{"moniker", v.val.Moniker},
		} {
			id := k.kind + "\x00" + k.key
			if other, dup := seen[id]; dup {
				return fmt.Errorf("validators %q and %s share the same %s", other, v.label(), k.kind)
			}
			seen[id] = v.val.Moniker
		}
	}
	return nil
}

// validatorsNode is the top-level validators list (sei-tendermint
// GenesisValidator JSON: address, pub_key, power as a string, name).
func validatorsNode(vs []genValidator) *node {
	arr := arrNode()
	for _, v := range vs {
		arr.elems = append(arr.elems, objNode(
			member{"address", strNode(v.val.ConsensusAddress)},
			member{"pub_key", objNode(
				member{"type", strNode("tendermint/PubKeyEd25519")},
				member{"value", strNode(base64.StdEncoding.EncodeToString(v.val.ConsensusPubKey))},
			)},
			member{"power", strNode(fmt.Sprint(v.val.Power))},
			member{"name", strNode(v.val.Moniker)},
		))
	}
	return arr
}
