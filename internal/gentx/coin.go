package gentx

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"
)

// denomRE is sei-cosmos's coin denom rule (types/coin.go reDnmString).
var denomRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9/-]{2,127}$`)

// coinRE splits "10000000usei".
var coinRE = regexp.MustCompile(`^([0-9]+)[[:space:]]*([a-zA-Z][a-zA-Z0-9/-]{2,127})$`)

// Coin is an amount of one denom, cosmos.base.v1beta1.Coin.
type Coin struct {
	Denom  string
	Amount *big.Int
}

// NewCoin returns a coin of amount units of denom.
func NewCoin(denom string, amount int64) Coin { return Coin{Denom: denom, Amount: big.NewInt(amount)} }

// ParseCoin parses "<amount><denom>", e.g. "10000000usei", as seid's
// command-line arguments are written.
func ParseCoin(s string) (Coin, error) {
	m := coinRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Coin{}, fmt.Errorf("parse coin %q: want <amount><denom>, e.g. 10000000usei", s)
	}
	amt, err := parseInt(m[1])
	if err != nil {
		return Coin{}, fmt.Errorf("parse coin %q: %w", s, err)
	}
	return Coin{Denom: m[2], Amount: amt}, nil
}

// ParseCoins parses a comma-separated coin list, e.g. "10usei,5uatom".
func ParseCoins(s string) ([]Coin, error) {
	var out []Coin
	for _, part := range strings.Split(s, ",") {
		c, err := ParseCoin(part)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// String returns "<amount><denom>".
func (c Coin) String() string { return intText(c.Amount) + c.Denom }

// Validate checks the denom and that the amount is positive.
func (c Coin) Validate() error {
	if !denomRE.MatchString(c.Denom) {
		return fmt.Errorf("invalid denom %q", c.Denom)
	}
	if c.Amount == nil || c.Amount.Sign() <= 0 {
		return fmt.Errorf("coin %s: amount must be positive", c)
	}
	if c.Amount.BitLen() > 256 {
		return fmt.Errorf("coin %s: amount exceeds 256 bits", c)
	}
	return nil
}

// NormalizeCoins validates coins and returns them merged per denom and sorted
// by denom, the canonical sdk.Coins form.
func NormalizeCoins(coins []Coin) ([]Coin, error) {
	sum := map[string]*big.Int{}
	for _, c := range coins {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if sum[c.Denom] == nil {
			sum[c.Denom] = new(big.Int)
		}
		sum[c.Denom].Add(sum[c.Denom], c.Amount)
	}
	out := make([]Coin, 0, len(sum))
	for d, a := range sum {
		out = append(out, Coin{Denom: d, Amount: a})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Denom < out[j].Denom })
	return out, nil
}
