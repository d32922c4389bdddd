package gentx

import (
	"fmt"
	"math/big"
	"strings"
)

// decPrecision is sdk.Dec's fixed number of fractional digits.
const decPrecision = 18

// maxNumberLen bounds the text of Int and Dec values (sdk.Int allows 256
// bits = 78 digits, sdk.Dec 315 bits ≈ 95), so hostile input stays cheap.
const maxNumberLen = 100

// Dec is a decimal with 18 fractional digits, Cosmos sdk.Dec. The zero value
// is 0.
type Dec struct {
	i *big.Int // value × 10^18
}

// mustDec parses a constant; it is for package-level defaults only.
func mustDec(s string) Dec {
	d, err := ParseDec(s)
	if err != nil {
		panic(err)
	}
	return d
}

// ParseDec parses "-?digits[.digits]" with at most 18 fractional digits.
func ParseDec(s string) (Dec, error) {
	if len(s) == 0 || len(s) > maxNumberLen {
		return Dec{}, fmt.Errorf("parse decimal %q: empty or too long", s)
	}
	neg := s[0] == '-'
	body := strings.TrimPrefix(s, "-")
	intPart, frac, hasPoint := strings.Cut(body, ".")
	if !isDigits(intPart) || (hasPoint && !isDigits(frac)) {
		return Dec{}, fmt.Errorf("parse decimal %q: want digits[.digits]", s)
	}
	if len(frac) > decPrecision {
		return Dec{}, fmt.Errorf("parse decimal %q: more than %d fractional digits", s, decPrecision)
	}
	i, ok := new(big.Int).SetString(intPart+frac+strings.Repeat("0", decPrecision-len(frac)), 10)
	if !ok {
		return Dec{}, fmt.Errorf("parse decimal %q", s)
	}
	if neg {
		i.Neg(i)
	}
	return Dec{i: i}, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (d Dec) big() *big.Int {
	if d.i == nil {
		return new(big.Int)
	}
	return d.i
}

// String formats d as sdk.Dec does in JSON: always 18 fractional digits.
func (d Dec) String() string {
	i := d.big()
	abs := new(big.Int).Abs(i).String()
	if len(abs) <= decPrecision {
		abs = strings.Repeat("0", decPrecision+1-len(abs)) + abs
	}
	cut := len(abs) - decPrecision
	sign := ""
	if i.Sign() < 0 {
		sign = "-"
	}
	return sign + abs[:cut] + "." + abs[cut:]
}

// wireText is sdk.Dec's protobuf form: the scaled integer as decimal text.
func (d Dec) wireText() string { return d.big().String() }

// Cmp compares d and e (-1, 0, +1).
func (d Dec) Cmp(e Dec) int { return d.big().Cmp(e.big()) }

// Sign returns -1, 0 or +1.
func (d Dec) Sign() int { return d.big().Sign() }

var decOne = mustDec("1")

// parseInt parses sdk.Int text: an optionally negative decimal integer of at
// most 256 bits.
func parseInt(s string) (*big.Int, error) {
	if len(s) == 0 || len(s) > maxNumberLen || !isDigits(strings.TrimPrefix(s, "-")) {
		return nil, fmt.Errorf("parse integer %q: want decimal digits", s)
	}
	i, ok := new(big.Int).SetString(s, 10)
	if !ok || i.BitLen() > 256 {
		return nil, fmt.Errorf("parse integer %q: out of range", s)
	}
	return i, nil
}

// intText is sdk.Int's text form; nil is "0".
func intText(i *big.Int) string {
	if i == nil {
		return "0"
	}
	return i.String()
}
