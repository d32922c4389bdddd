package gentx

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// vector is one seid-made gentx and what made it (see testdata/README.md).
type vector struct {
	gentx  []byte
	key    seikeys.OperatorKey
	cons   seikeys.ConsensusKey
	nodeID string
	inputs struct {
		Moniker, IP, Amount, Balance, ChainID string
	}
}

func loadVector(t testing.TB, name string) vector {
	t.Helper()
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name, f))
		if err != nil {
			t.Fatalf("read vector: %v", err)
		}
		return b
	}
	var v vector
	var err error
	v.gentx = read("gentx.json")
	if v.key, err = seikeys.OperatorKeyFromMnemonic(string(read("mnemonic.txt"))); err != nil {
		t.Fatal(err)
	}
	if v.cons, err = seikeys.ParseConsensusKey(read("priv_validator_key.json")); err != nil {
		t.Fatal(err)
	}
	nk, err := seikeys.ParseNodeKey(read("node_key.json"))
	if err != nil {
		t.Fatal(err)
	}
	v.nodeID = nk.ID()
	if err := json.Unmarshal(read("inputs.json"), &v.inputs); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v vector) input(t testing.TB) Input {
	t.Helper()
	bond, err := ParseCoin(v.inputs.Amount)
	if err != nil {
		t.Fatal(err)
	}
	return Input{
		ChainID:         v.inputs.ChainID,
		Description:     Description{Moniker: v.inputs.Moniker},
		SelfBond:        bond,
		ConsensusPubKey: v.cons.PubKey(),
		NodeID:          v.nodeID,
		Host:            v.inputs.IP,
	}
}

func TestBuildMatchesSeidByteForByte(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
	}{{"one", 1157}, {"two", 1152}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			v := loadVector(t, tc.name)
			gt, err := Build(v.key, v.input(t))
			g.Expect(err).NotTo(HaveOccurred())
			out := gt.JSON()
			g.Expect(out).To(HaveLen(tc.size))
			g.Expect(string(out)).To(Equal(string(v.gentx)))
			g.Expect(Verify(gt, v.inputs.ChainID)).To(Succeed())
		})
	}
}

// TestWireCheckValues pins the intermediate encodings recorded in the gentx
// wire notes for vector one.
func TestWireCheckValues(t *testing.T) {
	g := NewWithT(t)
	gt, err := Parse(loadVector(t, "one").gentx)
	g.Expect(err).NotTo(HaveOccurred())
	body, auth, doc := gt.BodyBytes(), gt.AuthInfoBytes(), gt.SignBytes("vec-1")
	g.Expect(body).To(HaveLen(368))
	g.Expect(auth).To(HaveLen(86))
	g.Expect(doc).To(HaveLen(466))
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	g.Expect(sum(body)).To(Equal("d7201d87ad5a104417d62ac9d03a2793fbadb46c1d6ddd39fa4b763460f59cca"))
	g.Expect(sum(doc)).To(Equal("fba8fd9ddaec0f96b6e9ca8eb0ceff05591e2dac0fd6b13891823dcebb1c8588"))
	g.Expect(hex.EncodeToString(auth)).To(Equal("0a4e0a460a1f2f636f736d6f732e63727970746f2e736563703235366b312e5075624b6579" +
		"12230a2102ba66a84cf7839af172a13e7fc9f5e7008cb8bca1585f8f3bafb3039eda3c1fdd12040a020801120410c09a0c"))
}

func TestParseVectors(t *testing.T) {
	for _, name := range []string{"one", "two"} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			v := loadVector(t, name)
			gt, err := Parse(v.gentx)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(gt.Moniker()).To(Equal(v.inputs.Moniker))
			g.Expect(gt.DelegatorAddress).To(Equal(v.key.AccountAddress()))
			g.Expect(gt.ValidatorAddress).To(Equal(v.key.ValoperAddress()))
			g.Expect(gt.OperatorBytes()).To(Equal(v.key.Address()))
			g.Expect([]byte(gt.ConsensusPubKey)).To(Equal([]byte(v.cons.PubKey())))
			g.Expect(gt.SelfBond.String()).To(Equal(v.inputs.Amount))
			g.Expect(gt.NodeID).To(Equal(v.nodeID))
			g.Expect(gt.P2PAddress).To(Equal(v.inputs.IP + ":26656"))
			g.Expect(gt.SignerPubKey).To(Equal(v.key.PubKey()))
			g.Expect(gt.Commission).To(Equal(DefaultCommission()))
			g.Expect(gt.MinSelfDelegation.String()).To(Equal("1"))
			g.Expect(gt.Fee.GasLimit).To(Equal(uint64(DefaultGasLimit)))
			g.Expect(gt.JSON()).To(Equal(v.gentx), "parse and re-encode is the identity")
			g.Expect(Verify(gt, v.inputs.ChainID)).To(Succeed())
			g.Expect(Verify(gt, "other-chain")).To(MatchError(ContainSubstring("signature does not match")))
		})
	}
}
