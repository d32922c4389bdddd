package genesis

import (
	"bytes"
	"fmt"
	"math/big"
	"sort"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// balanceSet collects balances per address, merged per denom.
type balanceSet struct {
	byAddr map[string]map[string]*big.Int // bech32 → denom → amount
	order  map[string][]byte              // bech32 → address bytes
}

func newBalanceSet() *balanceSet {
	return &balanceSet{byAddr: map[string]map[string]*big.Int{}, order: map[string][]byte{}}
}

func (b *balanceSet) add(addr string, raw []byte, coins []gentx.Coin) {
	m := b.byAddr[addr]
	if m == nil {
		m = map[string]*big.Int{}
		b.byAddr[addr] = m
		b.order[addr] = raw
	}
	for _, c := range coins {
		if m[c.Denom] == nil {
			m[c.Denom] = new(big.Int)
		}
		m[c.Denom].Add(m[c.Denom], c.Amount)
	}
}

// amountOf returns addr's balance of denom (0 if none).
func (b *balanceSet) amountOf(addr, denom string) *big.Int {
	if a := b.byAddr[addr][denom]; a != nil {
		return a
	}
	return new(big.Int)
}

// addresses returns the addresses sorted by their bytes.
func (b *balanceSet) addresses() []string {
	out := make([]string, 0, len(b.byAddr))
	for a := range b.byAddr {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(b.order[out[i]], b.order[out[j]]) < 0 })
	return out
}

func sortedDenoms(m map[string]*big.Int) []string {
	out := make([]string, 0, len(m))
	for d := range m {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

func coinsNode(m map[string]*big.Int) *node {
	arr := arrNode()
	for _, d := range sortedDenoms(m) {
		arr.elems = append(arr.elems, objNode(
			member{"denom", strNode(d)},
			member{"amount", strNode(m[d].String())},
		))
	}
	return arr
}

// balancesNode writes the balances sorted by address bytes.
func (b *balanceSet) balancesNode() *node {
	arr := arrNode()
	for _, a := range b.addresses() {
		arr.elems = append(arr.elems, objNode(
			member{"address", strNode(a)},
			member{"coins", coinsNode(b.byAddr[a])},
		))
	}
	return arr
}

// supply sums all balances per denom.
func (b *balanceSet) supply() map[string]*big.Int {
	sum := map[string]*big.Int{}
	for _, m := range b.byAddr {
		for d, a := range m {
			if sum[d] == nil {
				sum[d] = new(big.Int)
			}
			sum[d].Add(sum[d], a)
		}
	}
	return sum
}

// readBalances loads the template's bank.balances.
func readBalances(bal *node, into *balanceSet) error {
	for i, e := range bal.elems {
		addr, ok := e.get("address").stringValue()
		raw, err := decodeAccount(addr)
		if !ok || err != nil {
			return fmt.Errorf("template bank.balances[%d]: bad address %q", i, addr)
		}
		coinsArr := e.get("coins")
		if coinsArr == nil || coinsArr.kind != arrayNode {
			return fmt.Errorf("template bank.balances[%d]: coins is not an array", i)
		}
		var coins []gentx.Coin
		for _, c := range coinsArr.elems {
			denom, _ := c.get("denom").stringValue()
			amt, _ := c.get("amount").stringValue()
			coin, err := gentx.ParseCoin(amt + denom)
			if err == nil {
				err = coin.Validate()
			}
			if err != nil {
				return fmt.Errorf("template bank.balances[%d] (%s): %w", i, addr, err)
			}
			coins = append(coins, coin)
		}
		into.add(addr, raw, coins)
	}
	return nil
}

// baseAccountNode is a BaseAccount exactly as `seid add-genesis-account`
// writes it.
func baseAccountNode(addr string) *node {
	return objNode(
		member{"@type", strNode("/cosmos.auth.v1beta1.BaseAccount")},
		member{"address", strNode(addr)},
		member{"pub_key", rawNode("null")},
		member{"account_number", strNode("0")},
		member{"sequence", strNode("0")},
	)
}

// accountAddress returns the address of a template account (BaseAccount or
// a vesting account wrapping one).
func accountAddress(n *node) string {
	if a, ok := n.get("address").stringValue(); ok {
		return a
	}
	if a, ok := n.lookup("base_vesting_account", "base_account", "address").stringValue(); ok {
		return a
	}
	if a, ok := n.lookup("base_account", "address").stringValue(); ok {
		return a
	}
	return ""
}

// decodeAccount decodes a sei1… account address: 20 bytes for keys, 32 for
// module and contract accounts.
func decodeAccount(addr string) ([]byte, error) {
	b, err := seikeys.Bech32Decode(addr, seikeys.AccountPrefix)
	if err != nil {
		return nil, err
	}
	if len(b) != seikeys.AddressLength && len(b) != 32 {
		return nil, fmt.Errorf("address %s has %d bytes, want 20 or 32", addr, len(b))
	}
	return b, nil
}
