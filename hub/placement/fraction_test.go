package placement

import (
	"testing"

	. "github.com/onsi/gomega"
)

func TestParseFraction(t *testing.T) {
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
			num, den, err := ParseFraction(tt.in)
			if tt.err != "" {
				g.Expect(err).To(MatchError(tt.err))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect([]int64{num, den}).To(Equal([]int64{tt.num, tt.den}))
		})
	}
}

func FuzzParseFraction(f *testing.F) {
	for _, s := range []string{"1/3", "0.33", "1", ".5", "2/1", "0/0", "1.", "00000.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		num, den, err := ParseFraction(s)
		if err != nil {
			return
		}
		if num <= 0 || den <= 0 || num > den || gcd(num, den) != 1 {
			t.Fatalf("ParseFraction(%q) = %d/%d: not a reduced fraction in (0, 1]", s, num, den)
		}
	})
}

func TestFractionArithmeticIsExact(t *testing.T) {
	g := NewWithT(t)
	third := fraction{num: 1, den: 3}
	g.Expect(third.below(1, 3)).To(BeFalse(), "exactly 1/3 is at the cap")
	g.Expect(third.below(333333333, 1000000000)).To(BeTrue())
	g.Expect(third.below(1<<62, 3*(1<<61))).To(BeFalse(), "no overflow near the int64 limit")
	g.Expect(third.maxUnits(1, 4)).To(Equal(int64(1)))
	g.Expect(third.maxUnits(1, 7)).To(Equal(int64(2)))
	g.Expect(third.maxUnits(1, 3)).To(Equal(int64(0)))
	g.Expect(percent(1, 3)).To(Equal("33.3%"))
	g.Expect(percent(2, 3)).To(Equal("66.6%"))
	g.Expect(percent(1, 1)).To(Equal("100.0%"))
}
