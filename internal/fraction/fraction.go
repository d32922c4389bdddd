package fraction

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// maxDecimalDigits bounds the digits after the point so the denominator 10^n fits in an int64.
const maxDecimalDigits = 18

// Fraction is an exact ratio Num/Den, meant to be in (0, 1]. Parse returns it reduced; a literal need not
// be.
type Fraction struct {
	Num, Den int64
}

// Parse parses a fraction written "a/b" or as a decimal such as "0.33" or "1", and returns it reduced to
// lowest terms. The value must be greater than 0 and at most 1.
func Parse(s string) (Fraction, error) {
	if s == "" {
		return Fraction{}, errors.New("empty fraction")
	}
	var num, den int64
	var err error
	if a, b, ok := strings.Cut(s, "/"); ok {
		num, err = parseDigits(a)
		if err != nil {
			return Fraction{}, fmt.Errorf("numerator of %q: %w", s, err)
		}
		den, err = parseDigits(b)
		if err != nil {
			return Fraction{}, fmt.Errorf("denominator of %q: %w", s, err)
		}
	} else {
		num, den, err = parseDecimal(s)
		if err != nil {
			return Fraction{}, fmt.Errorf("decimal %q: %w", s, err)
		}
	}
	if num <= 0 || den <= 0 || num > den {
		return Fraction{}, fmt.Errorf("fraction %q must be greater than 0 and at most 1", s)
	}
	g := gcd(num, den)
	return Fraction{Num: num / g, Den: den / g}, nil
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

// IsOne reports whether f is the whole: Num equals Den and is positive (the zero Fraction is not one).
func (f Fraction) IsOne() bool { return f.Num > 0 && f.Num == f.Den }

// Below reports whether part/total < f, strictly and exactly.
//
// A total of zero or less holds no power, so only a part of zero or less is below f; a positive part of
// such a total is inconsistent and counts as at or above the cap, which fails safe.
func (f Fraction) Below(part, total int64) bool {
	if total <= 0 {
		return part <= 0
	}
	lhs := new(big.Int).Mul(big.NewInt(part), big.NewInt(f.Den))
	rhs := new(big.Int).Mul(big.NewInt(f.Num), big.NewInt(total))
	return lhs.Cmp(rhs) < 0
}

// MaxUnits is the most units of size unit whose sum stays strictly below f of total, that is the largest
// k with k·unit/total < f; zero when unit is not positive or one unit is already at or above f. It is
// capped at math.MaxInt64.
func (f Fraction) MaxUnits(unit, total int64) int64 {
	if unit <= 0 {
		return 0
	}
	// k·unit·den < num·total  ⟺  k ≤ (num·total − 1) / (unit·den).
	rhs := new(big.Int).Mul(big.NewInt(f.Num), big.NewInt(total))
	rhs.Sub(rhs, big.NewInt(1))
	if rhs.Sign() < 0 {
		return 0
	}
	k := rhs.Quo(rhs, new(big.Int).Mul(big.NewInt(unit), big.NewInt(f.Den)))
	if !k.IsInt64() {
		return math.MaxInt64
	}
	return k.Int64()
}

// String renders f as "Num/Den".
func (f Fraction) String() string { return fmt.Sprintf("%d/%d", f.Num, f.Den) }

// Percent renders part/total as a percentage with one decimal, rounded down, so that "less
// than 33.3%" never overstates what a cap allows. A total of zero or less renders "0.0%".
func Percent(part, total int64) string {
	if total <= 0 {
		return "0.0%"
	}
	permille := new(big.Int).Mul(big.NewInt(part), big.NewInt(1000))
	permille.Quo(permille, big.NewInt(total))
	tenths := new(big.Int)
	whole, _ := permille.QuoRem(permille, big.NewInt(10), tenths)
	return fmt.Sprintf("%s.%s%%", whole, tenths)
}
