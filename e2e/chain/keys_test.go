//go:build chain

package chain

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

// TestOperatorKeyMatchesSeid recovers fresh random mnemonics with
// `seid keys add --recover` and compares every address seid prints.
func TestOperatorKeyMatchesSeid(t *testing.T) {
	s := requireSeid(t)
	for i := range 3 {
		g := NewWithT(t)
		mnemonic, err := seikeys.NewMnemonic(rand.Reader)
		g.Expect(err).NotTo(HaveOccurred())
		key, err := seikeys.OperatorKeyFromMnemonic(mnemonic)
		g.Expect(err).NotTo(HaveOccurred())

		home := t.TempDir()
		kb := []string{"--keyring-backend", "test", "--home", home}
		_, err = s.Run(t.Context(), mnemonic+"\n", append([]string{"keys", "add", "val", "--recover"}, kb...)...)
		g.Expect(err).NotTo(HaveOccurred())

		acc, err := s.Run(t.Context(), "", append([]string{"keys", "show", "val", "-a"}, kb...)...)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(strings.TrimSpace(acc)).To(Equal(key.AccountAddress()), "key %d account", i)

		val, err := s.Run(t.Context(), "", append([]string{"keys", "show", "val", "-a", "--bech", "val"}, kb...)...)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(strings.TrimSpace(val)).To(Equal(key.ValoperAddress()), "key %d valoper", i)

		out, err := s.Run(t.Context(), "", append([]string{"keys", "show", "val", "--output", "json"}, kb...)...)
		g.Expect(err).NotTo(HaveOccurred())
		var shown struct {
			Address    string `json:"address"`
			EVMAddress string `json:"evm_address"`
			PubKey     string `json:"pubkey"`
		}
		g.Expect(json.Unmarshal([]byte(out), &shown)).To(Succeed())
		g.Expect(shown.Address).To(Equal(key.AccountAddress()))
		g.Expect(shown.EVMAddress).To(Equal(key.EVMAddress()), "key %d EVM address (EIP-55)", i)
		g.Expect(shown.PubKey).To(ContainSubstring(base64.StdEncoding.EncodeToString(key.PubKey())))
	}
}

// TestNodeAndConsensusKeysMatchSeid writes natively generated key files into
// a seid home and compares what seid derives from them; it also checks that
// our encoders reproduce the key files seid itself generates.
func TestNodeAndConsensusKeysMatchSeid(t *testing.T) {
	g := NewWithT(t)
	s := requireSeid(t)
	home := initHome(t, s, "keys-1")

	// seid's own random keys: we parse them and write the same bytes.
	seidPV := readFile(t, home, "config/priv_validator_key.json")
	pv, err := seikeys.ParseConsensusKey(seidPV)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(pv.JSON())).To(Equal(string(seidPV)))
	seidNK := readFile(t, home, "config/node_key.json")
	nk, err := seikeys.ParseNodeKey(seidNK)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(nk.JSON())).To(Equal(string(seidNK)))
	g.Expect(string(readFile(t, home, "data/priv_validator_state.json"))).
		To(Equal(string(seikeys.InitialPrivValidatorStateJSON())))

	// Our keys: seid reads them and derives the same IDs and addresses.
	cons, err := seikeys.GenerateConsensusKey(rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	node, err := seikeys.GenerateNodeKey(rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	writeFile(t, home, "config/priv_validator_key.json", cons.JSON(), 0o600)
	writeFile(t, home, "config/node_key.json", node.JSON(), 0o600)
	writeFile(t, home, "data/priv_validator_state.json", seikeys.InitialPrivValidatorStateJSON(), 0o600)

	id, err := s.Run(t.Context(), "", "tendermint", "show-node-id", "--home", home)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.TrimSpace(id)).To(Equal(node.ID()))

	addr, err := s.Run(t.Context(), "", "tendermint", "show-address", "--home", home)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.TrimSpace(addr)).To(Equal(cons.ValconsAddress()))

	pub, err := s.Run(t.Context(), "", "tendermint", "show-validator", "--home", home)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(strings.TrimSpace(pub)).To(Equal(`{"@type":"/cosmos.crypto.ed25519.PubKey","key":"` + cons.PubKeyBase64() + `"}`))
}
