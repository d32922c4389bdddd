package seikeys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

// counter is a deterministic io.Reader for tests.
type counter struct{ b byte }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.b
		c.b++
	}
	return len(p), nil
}

func TestGenerateConsensusKeyRoundTrip(t *testing.T) {
	g := NewWithT(t)
	k, err := GenerateConsensusKey(rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(k.PubKey()).To(HaveLen(ed25519.PublicKeySize))
	g.Expect(k.Address()).To(HaveLen(AddressLength))
	g.Expect(k.AddressHex()).To(Equal(strings.ToUpper(k.AddressHex())))
	g.Expect(k.ValconsAddress()).To(HavePrefix("seivalcons1"))

	parsed, err := ParseConsensusKey(k.JSON())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(parsed.JSON()).To(Equal(k.JSON()))
	g.Expect(ed25519.Verify(k.PubKey(), []byte("m"), k.Sign([]byte("m")))).To(BeTrue())

	// Deterministic for a deterministic reader.
	a, err := GenerateConsensusKey(&counter{})
	g.Expect(err).NotTo(HaveOccurred())
	b, err := GenerateConsensusKey(&counter{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.JSON()).To(Equal(b.JSON()))
}

func TestGenerateKeysShortReader(t *testing.T) {
	g := NewWithT(t)
	_, err := GenerateConsensusKey(bytes.NewReader(make([]byte, 31)))
	g.Expect(err).To(MatchError(ContainSubstring("generate consensus key")))
	_, err = GenerateNodeKey(bytes.NewReader(nil))
	g.Expect(err).To(MatchError(ContainSubstring("generate node key")))
	_, err = NewMnemonic(bytes.NewReader(make([]byte, 10)))
	g.Expect(err).To(MatchError(ContainSubstring("read mnemonic entropy")))
}

func TestParseConsensusKeyRejects(t *testing.T) {
	k, err := ConsensusKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	other, err := ConsensusKeyFromSeed(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	good := string(k.JSON())
	tests := []struct {
		name, json, want string
	}{
		{"not json", "{", "parse priv_validator_key.json"},
		{"wrong address", strings.Replace(good, k.AddressHex(), other.AddressHex(), 1), "address"},
		{"wrong pub key", strings.Replace(good, k.PubKeyBase64(), other.PubKeyBase64(), 1), "pub_key does not match"},
		{"wrong priv type", strings.Replace(good, "tendermint/PrivKeyEd25519", "tendermint/PrivKeySecp256k1", 1), "private key type"},
		{"wrong pub type", strings.Replace(good, "tendermint/PubKeyEd25519", "x", 1), "pub_key type"},
		{"short priv", strings.Replace(good, b64(k.s.priv()), b64(k.s.priv()[:32]), 1), "private key is 32 bytes"},
		{"inconsistent priv", strings.Replace(good, b64(k.s.priv()), b64(append(k.s.priv()[:32:32], other.PubKey()...)), 1),
			"public half does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			_, err := ParseConsensusKey([]byte(tc.json))
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
		})
	}
	g := NewWithT(t)
	_, err = ConsensusKeyFromSeed(make([]byte, 31))
	g.Expect(err).To(HaveOccurred())
	// Lower-case hex addresses are accepted (same bytes).
	_, err = ParseConsensusKey([]byte(strings.Replace(good, k.AddressHex(), strings.ToLower(k.AddressHex()), 1)))
	g.Expect(err).NotTo(HaveOccurred())
}

func TestNodeKey(t *testing.T) {
	g := NewWithT(t)
	k, err := GenerateNodeKey(rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(IsNodeID(k.ID())).To(BeTrue())
	parsed, err := ParseNodeKey(k.JSON())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(parsed.ID()).To(Equal(k.ID()))

	other, err := GenerateNodeKey(rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = ParseNodeKey([]byte(strings.Replace(string(k.JSON()), k.ID(), other.ID(), 1)))
	g.Expect(err).To(MatchError(ContainSubstring("does not match the key")))
	_, err = ParseNodeKey([]byte(`{"id":"x","priv_key":{"type":"tendermint/PrivKeyEd25519","value":"AAAA"}}`))
	g.Expect(err).To(MatchError(ContainSubstring("private key is 3 bytes")))

	g.Expect(IsNodeID(strings.ToUpper(k.ID()))).To(BeFalse())
	g.Expect(IsNodeID(k.ID()[1:])).To(BeFalse())
	g.Expect(NodeIDFromPubKey(make([]byte, 31))).To(BeEmpty())
}

func TestInitialPrivValidatorState(t *testing.T) {
	g := NewWithT(t)
	g.Expect(string(InitialPrivValidatorStateJSON())).To(Equal("{\n  \"height\": \"0\",\n  \"round\": 0,\n  \"step\": 0\n}"))
}

func TestZeroKeysAreEmpty(t *testing.T) {
	g := NewWithT(t)
	var ck ConsensusKey
	var nk NodeKey
	var ok OperatorKey
	g.Expect(ck.JSON()).To(BeNil())
	g.Expect(ck.PubKey()).To(BeNil())
	g.Expect(ck.ValconsAddress()).To(BeEmpty())
	g.Expect(ck.Sign([]byte("x"))).To(BeNil())
	g.Expect(nk.JSON()).To(BeNil())
	g.Expect(nk.ID()).To(BeEmpty())
	g.Expect(ok.PubKey()).To(BeNil())
	g.Expect(ok.AccountAddress()).To(BeEmpty())
	g.Expect(ok.EVMAddress()).To(BeEmpty())
	g.Expect(ok.SignDirect([]byte("x"))).To(BeNil())
}
