package fraction

import (
	"math"
	"testing"

	. "github.com/onsi/gomega"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in       string
		num, den int64
		err      string
	}{
		{in: "1/3", num: 1, den: 3},
		{in: "2/6", num: 1, den: 3},
		{in: "3/3", num: 1, den: 1},
		{in: "0.33", num: 33, den: 100},
		{in: ".5", num: 1, den: 2},
		{in: "0.5", num: 1, den: 2},
		{in: "1", num: 1, den: 1},
		{in: "1.000", num: 1, den: 1},
		{in: "0.333333333333333333", num: 333333333333333333, den: 1000000000000000000},
		{in: "", err: "empty fraction"},
		{in: "0", err: `fraction "0" must be greater than 0 and at most 1`},
		{in: "0/3", err: `fraction "0/3" must be greater than 0 and at most 1`},
		{in: "4/3", err: `fraction "4/3" must be greater than 0 and at most 1`},
		{in: "1.5", err: `fraction "1.5" must be greater than 0 and at most 1`},
		{in: "2", err: `decimal "2": greater than 1`},
		{in: "1/0", err: `fraction "1/0" must be greater than 0 and at most 1`},
		{in: "-1/3", err: `numerator of "-1/3": "-1" is not a whole number`},
		{in: "1/+3", err: `denominator of "1/+3": "+3" is not a whole number`},
		{in: "1/3/4", err: `denominator of "1/3/4": "3/4" is not a whole number`},
		{in: "1.", err: `decimal "1.": no digits after the point`},
		{in: "0.1234567890123456789", err: `decimal "0.1234567890123456789": more than 18 digits after the point`},
		{in: "1e-1", err: `decimal "1e-1": "1e-1" is not a whole number`},
		{in: "99999999999999999999/3", err: `numerator of "99999999999999999999/3": "99999999999999999999": strconv.ParseInt: parsing "99999999999999999999": value out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			g := NewWithT(t)
			f, err := Parse(tt.in)
			if tt.err != "" {
				g.Expect(err).To(MatchError(tt.err))
				g.Expect(f).To(Equal(Fraction{}))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(f).To(Equal(Fraction{Num: tt.num, Den: tt.den}))
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1/3", "0.33", "1", ".5", "2/1", "0/0", "1.", "00000.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fr, err := Parse(s)
		if err != nil {
			return
		}
		if fr.Num <= 0 || fr.Den <= 0 || fr.Num > fr.Den || gcd(fr.Num, fr.Den) != 1 {
			t.Fatalf("Parse(%q) = %s: not a reduced fraction in (0, 1]", s, fr)
		}
	})
}

func TestArithmeticIsExact(t *testing.T) {
	g := NewWithT(t)
	third := Fraction{Num: 1, Den: 3}
	g.Expect(third.Below(1, 3)).To(BeFalse(), "exactly 1/3 is at the cap")
	g.Expect(third.Below(333333333, 1000000000)).To(BeTrue())
	g.Expect(third.Below(1<<62, 3*(1<<61))).To(BeFalse(), "no overflow near the int64 limit")
	g.Expect(third.MaxUnits(1, 4)).To(Equal(int64(1)))
	g.Expect(third.MaxUnits(1, 7)).To(Equal(int64(2)))
	g.Expect(third.MaxUnits(1, 3)).To(Equal(int64(0)))
	g.Expect(Percent(1, 3)).To(Equal("33.3%"))
	g.Expect(Percent(2, 3)).To(Equal("66.6%"))
	g.Expect(Percent(1, 1)).To(Equal("100.0%"))
}

func TestBelowWithNoTotal(t *testing.T) {
	g := NewWithT(t)
	third := Fraction{Num: 1, Den: 3}
	g.Expect(third.Below(0, 0)).To(BeTrue(), "nothing of nothing is below any cap")
	g.Expect(third.Below(1, 0)).To(BeFalse(), "a positive part of no total fails safe")
	g.Expect(third.Below(0, -1)).To(BeTrue())
}

func TestOneIsNotSpecial(t *testing.T) {
	g := NewWithT(t)
	one := Fraction{Num: 1, Den: 1}
	g.Expect(one.IsOne()).To(BeTrue())
	g.Expect(Fraction{Num: 3, Den: 3}.IsOne()).To(BeTrue())
	g.Expect(Fraction{}.IsOne()).To(BeFalse(), "the zero Fraction is not one")
	g.Expect(Fraction{Num: 99, Den: 100}.IsOne()).To(BeFalse())
	// Below and MaxUnits apply no rule of their own to a cap of 1: the whole is never below the whole.
	g.Expect(one.Below(9, 10)).To(BeTrue())
	g.Expect(one.Below(10, 10)).To(BeFalse())
	g.Expect(one.MaxUnits(3, 10)).To(Equal(int64(3)))
	g.Expect(one.MaxUnits(10, 10)).To(Equal(int64(0)))
}

func TestMaxUnitsEdges(t *testing.T) {
	g := NewWithT(t)
	third := Fraction{Num: 1, Den: 3}
	g.Expect(third.MaxUnits(0, 10)).To(Equal(int64(0)), "no unit, no units")
	g.Expect(third.MaxUnits(-1, 10)).To(Equal(int64(0)))
	g.Expect(third.MaxUnits(1, 0)).To(Equal(int64(0)))
	g.Expect(Fraction{Num: math.MaxInt64, Den: 1}.MaxUnits(1, math.MaxInt64)).To(Equal(int64(math.MaxInt64)), "capped, not wrapped")
}

// TestMaxUnitsAgreesWithBelow: MaxUnits is the largest k with Below(k·unit, total).
func TestMaxUnitsAgreesWithBelow(t *testing.T) {
	for _, f := range []Fraction{{1, 3}, {1, 2}, {2, 5}, {2, 3}, {1, 1}, {33, 100}} {
		for unit := int64(1); unit <= 7; unit++ {
			for total := int64(1); total <= 60; total++ {
				k := f.MaxUnits(unit, total)
				if k > 0 && !f.Below(k*unit, total) {
					t.Fatalf("%s.MaxUnits(%d, %d) = %d, but %d is not below", f, unit, total, k, k*unit)
				}
				if f.Below((k+1)*unit, total) {
					t.Fatalf("%s.MaxUnits(%d, %d) = %d, but %d is still below", f, unit, total, k, (k+1)*unit)
				}
			}
		}
	}
}

func TestString(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Fraction{Num: 1, Den: 3}.String()).To(Equal("1/3"))
	g.Expect(Fraction{}.String()).To(Equal("0/0"))
}

func TestPercent(t *testing.T) {
	g := NewWithT(t)
	g.Expect(Percent(0, 10)).To(Equal("0.0%"))
	g.Expect(Percent(5, 0)).To(Equal("0.0%"), "no total")
	g.Expect(Percent(1, 7)).To(Equal("14.2%"), "rounded down, not to nearest")
	g.Expect(Percent(1<<62, 1<<62)).To(Equal("100.0%"), "no overflow")
}
