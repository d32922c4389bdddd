package genesis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/internal/gentx"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read testdata: %v", err)
	}
	return b
}

// vectorInput reproduces the inputs of the seid vectors: template = seid init
// default (the embedded one), genesis time and epoch times as seid stamped
// them, accounts as add-genesis-account added them.
func vectorInput(t testing.TB, names ...string) Input {
	t.Helper()
	gt, err := time.Parse(time.RFC3339Nano, "2026-11-25T19:38:28.440024366Z")
	if err != nil {
		t.Fatal(err)
	}
	in := Input{
		ChainID:     "vec-1",
		GenesisTime: gt,
		// The vectors' own seid init output, so that regenerating the
		// embedded template (hack/gen-genesis-template.sh) cannot break this.
		Template: readTestdata(t, "genesis-default.json"),
		Overrides: []Override{
			{Path: "app_state.epoch.epoch.genesis_time", Value: []byte(`"2026-11-25T19:38:28.438107505Z"`)},
			{Path: "app_state.epoch.epoch.current_epoch_start_time", Value: []byte(`"2026-11-25T19:38:28.438107505Z"`)},
		},
	}
	balances := map[string]string{"one": "1000000000000usei", "two": "20000000usei"}
	for _, name := range names {
		raw := readTestdata(t, name+"-gentx.json")
		g, err := gentx.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		coin, err := gentx.ParseCoin(balances[name])
		if err != nil {
			t.Fatal(err)
		}
		acc := Account{Address: g.DelegatorAddress, Coins: []gentx.Coin{coin}}
		if name == "one" { // added with the test keyring: seid wrote an EVM association
			acc.PubKey = g.SignerPubKey
		}
		in.Gentxs = append(in.Gentxs, raw)
		in.Accounts = append(in.Accounts, acc)
	}
	return in
}

// stripSeiFleetAdditions removes what Assemble adds on top of seid's
// collect-gentxs output: the validators list and the computed supply.
func stripSeiFleetAdditions(t testing.TB, genesis []byte) []byte {
	t.Helper()
	root, err := parseJSON(genesis)
	if err != nil {
		t.Fatal(err)
	}
	var kept []member
	for _, m := range root.members {
		if m.key != "validators" {
			kept = append(kept, m)
		}
	}
	root.members = kept
	root.lookup("app_state", "bank").set("supply", arrNode())
	return root.indented()
}

func TestAssembleMatchesSeidCollect(t *testing.T) {
	tests := []struct {
		name    string
		vectors []string
		want    string
		supply  string
		powers  []int64
	}{
		{"one", []string{"one"}, "one-genesis-collected.json", "1000000000000", []int64{10}},
		{"combined", []string{"one", "two"}, "combined-genesis-collected.json", "1000020000000", []int64{5, 10}},
		{"combined, inputs reversed", []string{"two", "one"}, "combined-genesis-collected.json", "1000020000000", []int64{5, 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			res, err := Assemble(vectorInput(t, tc.vectors...))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.SHA256).To(Equal(SHA256(res.Genesis)))

			// Byte-identical to seid's collect-gentxs output apart from our additions.
			want := readTestdata(t, tc.want)
			g.Expect(string(stripSeiFleetAdditions(t, res.Genesis))).To(Equal(string(want)))

			root, err := parseJSON(res.Genesis)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(root.lookup("app_state", "bank", "supply").compact())).
				To(Equal(`[{"denom":"usei","amount":"` + tc.supply + `"}]`))
			g.Expect(root.members[4].key).To(Equal("validators"), "validators follows consensus_params")
			vals := root.get("validators")
			g.Expect(vals.elems).To(HaveLen(len(tc.powers)))
			for i, v := range res.Validators {
				g.Expect(v.Power).To(Equal(tc.powers[i]))
				g.Expect(string(vals.elems[i].compact())).To(Equal(`{"address":"` + v.ConsensusAddress +
					`","pub_key":{"type":"tendermint/PubKeyEd25519","value":"` + b64(v.ConsensusPubKey) +
					`"},"power":"` + itoa(v.Power) + `","name":"` + v.Moniker + `"}`))
			}
		})
	}
}

func TestVectorGenesisHashSanity(t *testing.T) {
	g := NewWithT(t)
	want := strings.TrimSpace(string(readTestdata(t, "one-genesis-collected.sha256")))
	g.Expect(SHA256(readTestdata(t, "one-genesis-collected.json"))).To(Equal(want))
}

func TestTemplateRoundTrip(t *testing.T) {
	for name, tpl := range map[string][]byte{
		"embedded":  DefaultTemplate(),
		"vector":    readTestdata(t, "genesis-default.json"),
		"collected": readTestdata(t, "combined-genesis-collected.json"),
	} {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			root, err := parseJSON(tpl)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(string(root.indented())).To(Equal(string(tpl)), "parse+encode keeps bytes")
		})
	}
}

func TestDefaultTemplateIsACopy(t *testing.T) {
	g := NewWithT(t)
	a := DefaultTemplate()
	a[0] = 'x'
	g.Expect(DefaultTemplate()[0]).To(Equal(byte('{')))
}
