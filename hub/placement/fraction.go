package placement

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// maxDecimalDigits bounds the digits after the point so the denominator 10^n fits in an int64.
const maxDecimalDigits = 18

// ParseFraction parses a voting power fraction written "a/b" or as a decimal such as "0.33" or "1", and
// returns it reduced to lowest terms. The value must be greater than 0 and at most 1. Callers compare with
// exact integer arithmetic on num and den: floating point would blur "at or above 1/3".
func ParseFraction(s string) (num, den int64, err error) {
	if s == "" {
		return 0, 0, errors.New("empty fraction")
	}
	if a, b, ok := strings.Cut(s, "/"); ok {
		num, err = parseDigits(a)
		if err != nil {
			return 0, 0, fmt.Errorf("numerator of %q: %w", s, err)
		}
		den, err = parseDigits(b)
		if err != nil {
			return 0, 0, fmt.Errorf("denominator of %q: %w", s, err)
		}
	} else {
		num, den, err = parseDecimal(s)
		if err != nil {
			return 0, 0, fmt.Errorf("decimal %q: %w", s, err)
		}
	}
	if num <= 0 || den <= 0 || num > den {
		return 0, 0, fmt.Errorf("fraction %q must be greater than 0 and at most 1", s)
	}
	g := gcd(num, den)
	return num / g, den / g, nil
}

// parseDigits accepts only ASCII digits: strconv would also take a sign.
func parseDigits(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("no digits")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a whole number", s)
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	return v, nil
}

func parseDecimal(s string) (num, den int64, err error) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	if hasPoint && frac == "" {
		return 0, 0, errors.New("no digits after the point")
	}
	if len(frac) > maxDecimalDigits {
		return 0, 0, fmt.Errorf("more than %d digits after the point", maxDecimalDigits)
	}
	var w int64
	if whole != "" || !hasPoint {
		if w, err = parseDigits(whole); err != nil {
			return 0, 0, err
		}
	}
	var f int64
	if frac != "" {
		if f, err = parseDigits(frac); err != nil {
			return 0, 0, err
		}
	}
	if w > 1 {
		return 0, 0, errors.New("greater than 1")
	}
	den = 1
	for range len(frac) {
		den *= 10
	}
	return w*den + f, den, nil
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// fraction is a parsed maxVotingPowerFraction.
type fraction struct{ num, den int64 }

// disabled: a cap of 1 (the whole power) caps nothing; a single-domain or single-validator network is
// allowed then.
func (f fraction) disabled() bool { return f.num == f.den }

// below reports whether part/total < f, exactly. A zero total holds nothing, so nothing is at the cap;
// a disabled cap holds everything.
func (f fraction) below(part, total int64) bool {
	if total <= 0 || f.disabled() {
		return true
	}
	lhs := new(big.Int).Mul(big.NewInt(part), big.NewInt(f.den))
	rhs := new(big.Int).Mul(big.NewInt(f.num), big.NewInt(total))
	return lhs.Cmp(rhs) < 0
}

// maxUnits is the most units of power unit each that stay strictly below f of total; zero when one unit is
// already at or above the cap.
func (f fraction) maxUnits(unit, total int64) int64 {
	if unit <= 0 {
		return 0
	}
	if f.disabled() {
		return int64(^uint64(0) >> 1)
	}
	// k·unit·den < num·total  ⟺  k ≤ (num·total − 1) / (unit·den).
	rhs := new(big.Int).Mul(big.NewInt(f.num), big.NewInt(total))
	rhs.Sub(rhs, big.NewInt(1))
	if rhs.Sign() < 0 {
		return 0
	}
	k := rhs.Quo(rhs, new(big.Int).Mul(big.NewInt(unit), big.NewInt(f.den)))
	if !k.IsInt64() {
		return int64(^uint64(0) >> 1)
	}
	return k.Int64()
}

// percent renders part/total as a percentage with one decimal, rounded down, so that "less than 33.3%"
// never overstates what the policy allows.
func percent(part, total int64) string {
	if total <= 0 {
		return "0.0%"
	}
	permille := new(big.Int).Mul(big.NewInt(part), big.NewInt(1000))
	permille.Quo(permille, big.NewInt(total))
	tenths := new(big.Int)
	whole, _ := permille.QuoRem(permille, big.NewInt(10), tenths)
	return fmt.Sprintf("%s.%s%%", whole, tenths)
}
