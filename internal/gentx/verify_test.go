package gentx

import (
	"encoding/base64"
	"math/big"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// TestVerifyRejectsTampering edits a valid gentx.json and expects Verify (or
// Parse, for structural damage) to fail with a specific reason.
func TestVerifyRejectsTampering(t *testing.T) {
	one := loadVector(t, "one")
	two := loadVector(t, "two")
	src := string(one.gentx)
	tests := []struct {
		name    string
		edit    func(string) string
		wantErr string
	}{
		{"moniker changed", func(s string) string { return strings.Replace(s, "vec-moniker", "vec-monikeR", 1) },
			"signature does not match"},
		{"self-bond raised", func(s string) string { return strings.Replace(s, `"amount":"10000000"`, `"amount":"10000001"`, 1) },
			"signature does not match"},
		{"memo changed", func(s string) string { return strings.Replace(s, "10.1.2.3", "10.1.2.4", 1) },
			"signature does not match"},
		{"signer swapped", func(s string) string {
			return strings.Replace(s, b64(one.key.PubKey()), b64(two.key.PubKey()), 1)
		}, "signer public key belongs to"},
		{"validator address of another operator", func(s string) string {
			return strings.Replace(s, one.key.ValoperAddress(), two.key.ValoperAddress(), 1)
		}, "differ"},
		{"sequence 1", func(s string) string { return strings.Replace(s, `"sequence":"0"`, `"sequence":"1"`, 1) },
			"sequence is 1"},
		{"rate above max", func(s string) string {
			return strings.Replace(s, `"rate":"0.100000000000000000"`, `"rate":"0.300000000000000000"`, 1)
		}, "commission rate"},
		{"min self delegation above bond", func(s string) string {
			return strings.Replace(s, `"min_self_delegation":"1"`, `"min_self_delegation":"20000000"`, 1)
		}, "below min self delegation"},
		{"zero bond", func(s string) string { return strings.Replace(s, `"amount":"10000000"`, `"amount":"0"`, 1) },
			"amount must be positive"},
		{"empty moniker", func(s string) string { return strings.Replace(s, `"moniker":"vec-moniker"`, `"moniker":""`, 1) },
			"moniker is empty"},
		{"bad denom", func(s string) string { return strings.Replace(s, `"denom":"usei"`, `"denom":"u"`, 1) },
			"invalid denom"},
		{"flipped signature bit", func(s string) string { return strings.Replace(s, "MGidWCd55", "MGidWCd56", 1) },
			"signature does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			edited := tc.edit(src)
			g.Expect(edited).NotTo(Equal(src), "the edit must change something")
			gt, err := Parse([]byte(edited))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(Verify(gt, "vec-1")).To(MatchError(ContainSubstring(tc.wantErr)))
		})
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	src := string(loadVector(t, "one").gentx)
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "EOF"},
		{"array", "[]", "want a JSON object"},
		{"trailing", src + "{}", "trailing data"},
		{"unknown top field", strings.Replace(src, `{"body"`, `{"extra":1,"body"`, 1), `unknown field "extra"`},
		{"camelCase field", strings.Replace(src, `"gas_limit"`, `"gasLimit"`, 1), `unknown field "gasLimit"`},
		{"upper-case field", strings.Replace(src, `"memo"`, `"MEMO"`, 1), `unknown field "MEMO"`},
		{"duplicate field", strings.Replace(src, `"memo":`, `"memo":"x","memo":`, 1), `duplicate field "memo"`},
		{"two messages", strings.Replace(src, `"messages":[{`, `"messages":[{"@type":"x"},{`, 1), "2 messages"},
		{"wrong message type", strings.Replace(src, "MsgCreateValidator", "MsgDelegate", 1), "MsgDelegate"},
		{"secp consensus key", strings.Replace(src, TypeEd25519PubKey, TypeSecp256k1PubKey, 1), "@type is"},
		{"short consensus key", strings.Replace(src, "7aXMqcz4DVPtp8tAX5VQwCS3d6PP31e+NJPOrR76W8A=", "AAAA", 1), "key is 3 bytes"},
		{"bad base64", strings.Replace(src, "7aXMqcz4DVPtp8tAX5VQwCS3d6PP31e+NJPOrR76W8A=", "!!!", 1), "base64"},
		{"amino sign mode", strings.Replace(src, "SIGN_MODE_DIRECT", "SIGN_MODE_LEGACY_AMINO_JSON", 1), "want SIGN_MODE_DIRECT"},
		{"no signatures", strings.Replace(src, `"signatures":["MGidWCd55ZPeNzSfo6qy9CXU2Nho8xl+/ZOGvEhvSsJAEQBAxufzcP9nHJTH1l4i0qW8ir02I+IcM1A5eAgH0g=="]`, `"signatures":[]`, 1), "0 entries"},
		{"memo without node id", strings.Replace(src, "8d8170f61cb6b9208e4a8d52d79103e4de27e288@", "", 1), "want <nodeID>@<host>:<port>"},
		{"memo without port", strings.Replace(src, ":26656", "", 1), "missing port"},
		{"memo bad node id", strings.Replace(src, "8d8170f61cb6b9208e4a8d52d79103e4de27e288@", "8D8170F61CB6B9208E4A8D52D79103E4DE27E288@", 1), "node ID"},
		{"negative gas", strings.Replace(src, `"gas_limit":"200000"`, `"gas_limit":"-1"`, 1), "unsigned 64-bit"},
		{"decimal amount", strings.Replace(src, `"amount":"10000000"`, `"amount":"1.5"`, 1), "want decimal digits"},
		{"too many decimals", strings.Replace(src, `"rate":"0.100000000000000000"`, `"rate":"0.1000000000000000001"`, 1), "fractional digits"},
		{"number as memo", strings.Replace(src, `"memo":"8d8170f61cb6b9208e4a8d52d79103e4de27e288@10.1.2.3:26656"`, `"memo":5`, 1), "want a JSON string"},
		{"extension option", strings.Replace(src, `"extension_options":[]`, `"extension_options":[{}]`, 1), "not supported"},
		{"missing fee", strings.Replace(src, `,"fee":{"amount":[],"gas_limit":"200000","payer":"","granter":"","gas_estimate":"0"}`, "", 1), "fee: missing"},
		{"null body", `{"body":null}`, "want a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			if tc.name != "empty" && tc.name != "array" && tc.name != "null body" {
				g.Expect(tc.in).NotTo(Equal(src), "the edit must change something")
			}
			_, err := Parse([]byte(tc.in))
			g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
			g.Expect(err.Error()).To(HavePrefix("parse gentx: "))
		})
	}
}

// TestParseAcceptsProtoJSONVariants: numbers may be bare, short decimals are
// fine, and the canonical encoding (hence the signature) does not change.
func TestParseAcceptsProtoJSONVariants(t *testing.T) {
	g := NewWithT(t)
	src := string(loadVector(t, "one").gentx)
	variant := strings.NewReplacer(
		`"gas_limit":"200000"`, `"gas_limit":200000`,
		`"rate":"0.100000000000000000"`, `"rate":"0.1"`,
		`"mode":"SIGN_MODE_DIRECT"`, `"mode":1`,
		`{"body"`, "\n {\"body\"",
	).Replace(src)
	g.Expect(variant).NotTo(Equal(src))
	gt, err := Parse([]byte(variant))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(Verify(gt, "vec-1")).To(Succeed())
	g.Expect(string(gt.JSON())).To(Equal(src), "JSON() writes the canonical form")
}

func TestBuildRejectsBadInput(t *testing.T) {
	v := loadVector(t, "one")
	tests := []struct {
		name    string
		edit    func(*Input)
		key     *seikeys.OperatorKey
		wantErr string
	}{
		{"no chain id", func(in *Input) { in.ChainID = "" }, nil, "chain ID"},
		{"long chain id", func(in *Input) { in.ChainID = strings.Repeat("c", 51) }, nil, "chain ID"},
		{"no moniker", func(in *Input) { in.Description.Moniker = "" }, nil, "moniker is empty"},
		{"long moniker", func(in *Input) { in.Description.Moniker = strings.Repeat("m", 71) }, nil, "moniker is 71"},
		{"bad utf8", func(in *Input) { in.Description.Details = "\xff" }, nil, "UTF-8"},
		{"bad node id", func(in *Input) { in.NodeID = "abc" }, nil, "node ID"},
		{"no host", func(in *Input) { in.Host = "" }, nil, "bad host"},
		{"bad port", func(in *Input) { in.P2PPort = 70000 }, nil, "port"},
		{"short consensus key", func(in *Input) { in.ConsensusPubKey = in.ConsensusPubKey[:31] }, nil, "consensus public key"},
		{"zero bond", func(in *Input) { in.SelfBond = NewCoin("usei", 0) }, nil, "positive"},
		{"bad commission", func(in *Input) {
			c := DefaultCommission()
			c.MaxRate = mustDec("1.5")
			in.Commission = &c
		}, nil, "max rate"},
		{"min self delegation above bond", func(in *Input) { in.MinSelfDelegation = big.NewInt(1e12) }, nil, "below min"},
		{"zero key", func(*Input) {}, &seikeys.OperatorKey{}, "no operator key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			in := v.input(t)
			tc.edit(&in)
			key := v.key
			if tc.key != nil {
				key = *tc.key
			}
			_, err := Build(key, in)
			g.Expect(err).To(MatchError(ContainSubstring(tc.wantErr)))
		})
	}
}

func TestBuildOptions(t *testing.T) {
	g := NewWithT(t)
	v := loadVector(t, "two")
	in := v.input(t)
	in.Host = "::1"
	in.P2PPort = 26756
	in.Description = Description{Moniker: "a<b>&c", Identity: "id", Website: "https://x", SecurityContact: "s", Details: "d"}
	c := CommissionRates{Rate: mustDec("0.05"), MaxRate: mustDec("1"), MaxChangeRate: mustDec("0")}
	in.Commission = &c
	in.MinSelfDelegation = big.NewInt(1000)
	gt, err := Build(v.key, in)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(gt.Memo).To(Equal(v.nodeID + "@[::1]:26756"))
	g.Expect(string(gt.JSON())).To(ContainSubstring(`"moniker":"a\u003cb\u003e\u0026c"`))
	g.Expect(string(gt.JSON())).To(ContainSubstring(`"max_change_rate":"0.000000000000000000"`))

	parsed, err := Parse(gt.JSON())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(parsed.Description).To(Equal(in.Description))
	g.Expect(parsed.P2PAddress).To(Equal("[::1]:26756"))
	g.Expect(Verify(parsed, in.ChainID)).To(Succeed())
	g.Expect(parsed.JSON()).To(Equal(gt.JSON()))
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
