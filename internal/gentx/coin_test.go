package gentx

import (
	"math/big"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestDec(t *testing.T) {
	tests := []struct {
		in, str, wire, wantErr string
	}{
		{in: "0.1", str: "0.100000000000000000", wire: "100000000000000000"},
		{in: "0.010000000000000000", str: "0.010000000000000000", wire: "10000000000000000"},
		{in: "1", str: "1.000000000000000000", wire: "1000000000000000000"},
		{in: "0", str: "0.000000000000000000", wire: "0"},
		{in: "-2.5", str: "-2.500000000000000000", wire: "-2500000000000000000"},
		{in: "123.000000000000000001", str: "123.000000000000000001", wire: "123000000000000000001"},
		{in: "", wantErr: "empty"},
		{in: ".5", wantErr: "digits"},
		{in: "1.", wantErr: "digits"},
		{in: "1e3", wantErr: "digits"},
		{in: "0.0000000000000000001", wantErr: "fractional"},
		{in: strings.Repeat("9", 101), wantErr: "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			g := NewWithT(t)
			d, err := ParseDec(tc.in)
			if tc.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(d.String()).To(Equal(tc.str))
			g.Expect(d.wireText()).To(Equal(tc.wire))
		})
	}
	g := NewWithT(t)
	g.Expect(Dec{}.String()).To(Equal("0.000000000000000000"))
	g.Expect(mustDec("0.2").Cmp(mustDec("0.1"))).To(Equal(1))
}

func TestCoins(t *testing.T) {
	g := NewWithT(t)
	c, err := ParseCoin("10000000usei")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(c.Denom).To(Equal("usei"))
	g.Expect(c.Amount.String()).To(Equal("10000000"))
	g.Expect(c.String()).To(Equal("10000000usei"))

	for _, bad := range []string{"", "usei", "10", "1.5usei", "-1usei", "10u", "10usei!", "1" + strings.Repeat("0", 80) + "usei"} {
		_, err := ParseCoin(bad)
		g.Expect(err).To(HaveOccurred(), bad)
	}

	coins, err := ParseCoins("5uatom,10usei,7uatom")
	g.Expect(err).NotTo(HaveOccurred())
	norm, err := NormalizeCoins(coins)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(norm).To(Equal([]Coin{{"uatom", big.NewInt(12)}, {"usei", big.NewInt(10)}}))

	_, err = NormalizeCoins([]Coin{{"usei", big.NewInt(0)}})
	g.Expect(err).To(MatchError(ContainSubstring("positive")))
	_, err = NormalizeCoins([]Coin{{"usei", nil}})
	g.Expect(err).To(HaveOccurred())
	_, err = NormalizeCoins([]Coin{{"x.y", big.NewInt(1)}})
	g.Expect(err).To(MatchError(ContainSubstring("invalid denom")))
}
