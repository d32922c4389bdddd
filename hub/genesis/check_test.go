package genesis_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	hubgenesis "github.com/sei-protocol/sei-fleet/hub/genesis"
	"github.com/sei-protocol/sei-fleet/internal/genesis"
	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

const checkChain = "chk-1"

// validator is a validator's keys and the gentx they signed.
type validator struct {
	op    seikeys.OperatorKey
	cons  seikeys.ConsensusKey
	node  seikeys.NodeKey
	gentx string
}

// newValidator mints validator seed's keys and signs its gentx for checkChain, edited by edit.
func newValidator(t *testing.T, seed uint64, moniker string, edit func(*gentx.Input)) validator {
	t.Helper()
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'v'})
	m, err := seikeys.NewMnemonic(r)
	if err != nil {
		t.Fatal(err)
	}
	var v validator
	if v.op, err = seikeys.OperatorKeyFromMnemonic(m); err != nil {
		t.Fatal(err)
	}
	if v.cons, err = seikeys.GenerateConsensusKey(r); err != nil {
		t.Fatal(err)
	}
	if v.node, err = seikeys.GenerateNodeKey(r); err != nil {
		t.Fatal(err)
	}
	v.gentx = v.sign(t, moniker, edit)
	return v
}

func (v validator) sign(t *testing.T, moniker string, edit func(*gentx.Input)) string {
	t.Helper()
	g, err := v.build(moniker, edit)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// build signs as the agent does.
func (v validator) build(moniker string, edit func(*gentx.Input)) (string, error) {
	in := gentx.Input{
		ChainID: checkChain, Description: gentx.Description{Moniker: moniker}, SelfBond: gentx.NewCoin("usei", 10000000),
		ConsensusPubKey: v.cons.PubKey(), NodeID: v.node.ID(), Host: "203.0.113.7",
	}
	if edit != nil {
		edit(&in)
	}
	g, err := gentx.Build(v.op, in)
	if err != nil {
		return "", err
	}
	return string(g.JSON()), nil
}

// ceremony is a valid 3-validator ceremony, vals-0..2, with one external validator, "partner".
func ceremony(partner validator) *seiv1alpha1.SeiNodeDeployment {
	return &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Name: "vals"},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{
			ChainID: checkChain, Replicas: 3, Role: seiv1alpha1.RoleValidator,
			Genesis: &seiv1alpha1.GenesisCeremonySpec{
				StakingAmount: "10000000usei", AccountBalance: "1000000000000usei",
				ExternalGentxs: []seiv1alpha1.ExternalGentx{{Name: "partner", Gentx: partner.gentx}},
				Accounts:       []seiv1alpha1.GenesisAccount{{Address: "sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqvu", Balance: "7usei"}},
			},
		},
	}
}

var monikers = []string{"vals-0", "vals-1", "vals-2"}

// Every input assembly would refuse is refused before placement, with assembly's message; where
// neither the fleet's keys nor their order matter, the very same message.
func TestCheckRefusesWhatAssemblyWould(t *testing.T) {
	partner := newValidator(t, 100, "partner", nil)
	other := newValidator(t, 101, "other", nil)
	// The fleet's validators as they will be once minted, to compare with assembly.
	fleet := make([]validator, len(monikers))
	for i, m := range monikers {
		fleet[i] = newValidator(t, uint64(i), m, nil)
	}
	badChecksum := "sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqvq" // the valid account above, last character changed

	tests := []struct {
		name string
		edit func(*seiv1alpha1.GenesisCeremonySpec)
		want string
		// same: assembly of the same spec, once the fleet's gentxs exist, gives exactly this message.
		same bool
	}{
		{"account with a bad checksum", func(s *seiv1alpha1.GenesisCeremonySpec) { s.Accounts[0].Address = badChecksum },
			"decode bech32 \"" + badChecksum + "\": invalid checksum", true},
		{"account with another prefix", func(s *seiv1alpha1.GenesisCeremonySpec) { s.Accounts[0].Address = partner.op.ValoperAddress() },
			`prefix is "seivaloper", want "sei"`, false},
		{"account with a zero balance", func(s *seiv1alpha1.GenesisCeremonySpec) { s.Accounts[0].Balance = "0usei" },
			"coin 0usei: amount must be positive", true},
		{"account with a bad denom", func(s *seiv1alpha1.GenesisCeremonySpec) { s.Accounts[0].Balance = "5ab" },
			`spec.genesis.accounts[sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqvu].balance: parse coin "5ab"`, true},
		{"external gentx that does not parse", func(s *seiv1alpha1.GenesisCeremonySpec) { s.ExternalGentxs[0].Gentx = `{"body":{}}` },
			"spec.genesis.externalGentxs[partner]: parse gentx: body.messages", true},
		{"external gentx altered after signing", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs[0].Gentx = strings.Replace(partner.gentx, `"moniker":"partner"`, `"moniker":"partnr"`, 1)
		}, "spec.genesis.externalGentxs[partner]: verify gentx of \"partnr\"", true},
		{"external gentx for another chain", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs[0].Gentx = partner.sign(t, "partner", func(gi *gentx.Input) { gi.ChainID = "other-1" })
		}, `signature does not match (wrong chain ID "chk-1"`, true},
		{"two external gentxs with one consensus key", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs = append(s.ExternalGentxs, seiv1alpha1.ExternalGentx{Name: "other",
				Gentx: other.sign(t, "other", func(gi *gentx.Input) { gi.ConsensusPubKey = partner.cons.PubKey() })})
		}, `validators "partner" and "other" (` + other.op.ValoperAddress() + `) share the same consensus key`, true},
		{"one operator twice", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs = append(s.ExternalGentxs, seiv1alpha1.ExternalGentx{Name: "again", Gentx: partner.gentx})
		}, `validators "partner" and "partner" (` + partner.op.ValoperAddress() + `) share the same operator`, true},
		{"two external gentxs with one moniker", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs = append(s.ExternalGentxs, seiv1alpha1.ExternalGentx{Name: "other", Gentx: other.sign(t, "partner", nil)})
		}, `validators "partner" and "partner" (` + other.op.ValoperAddress() + `) share the same moniker`, true},
		{"an external validator named like a fleet validator", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs[0].Gentx = partner.sign(t, "vals-1", nil)
		}, `share the same moniker`, false},
		{"an external self-bond in another denom", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs[0].Gentx = partner.sign(t, "partner", func(gi *gentx.Input) { gi.SelfBond = gentx.NewCoin("uatom", 10000000) })
		}, `validator "partner" (` + partner.op.ValoperAddress() + `): self-bond 10000000uatom is not in the bond denom "usei"`, true},
		{"stakingAmount in another denom", func(s *seiv1alpha1.GenesisCeremonySpec) { s.StakingAmount = "10000000uatom" },
			`validator "vals-0" (keys not minted yet): self-bond 10000000uatom is not in the bond denom "usei"`, false},
		{"stakingAmount below one unit of power", func(s *seiv1alpha1.GenesisCeremonySpec) { s.StakingAmount = "999999usei" },
			`self-bond 999999usei gives voting power 0`, false},
		{"stakingAmount zero", func(s *seiv1alpha1.GenesisCeremonySpec) { s.StakingAmount = "0usei" },
			`self-bond: coin 0usei: amount must be positive`, false},
		{"accountBalance below stakingAmount", func(s *seiv1alpha1.GenesisCeremonySpec) { s.AccountBalance = "1000usei" },
			`has 1000usei in genesis, less than its self-bond 10000000usei`, false},
		{"accountBalance in a bad denom", func(s *seiv1alpha1.GenesisCeremonySpec) { s.AccountBalance = "1000000000000usei,5ab" },
			`spec.genesis.accountBalance: parse coin "5ab"`, true},
		{"override of a path assembly fills", func(s *seiv1alpha1.GenesisCeremonySpec) { s.Overrides = overrides("app_state.bank.balances", `[]`) },
			"override app_state.bank.balances: app_state.bank.balances is set by assembly", true},
		{"override of a module that does not exist", func(s *seiv1alpha1.GenesisCeremonySpec) { s.Overrides = overrides("app_state.stakng", `{}`) },
			`override app_state.stakng: app_state has no key "stakng"`, true},
		{"override that is not JSON", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.Overrides = overrides("app_state.staking.params.max_validators", `{`)
		},
			"spec.genesis.overrides[app_state.staking.params.max_validators]: not JSON", true},
		{"more validators than max_validators", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.Overrides = overrides("app_state.staking.params.max_validators", `3`)
		},
			"4 validators, but app_state.staking.params.max_validators is 3", true},
		{"min_commission_rate above the fleet's commission", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.Overrides = overrides("app_state.staking.params.min_commission_rate", `"0.15"`)
		}, "commission rate 0.100000000000000000 is below min_commission_rate 0.150000000000000000", false},
		{"memo limit below any memo", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.Overrides = overrides("app_state.auth.params.max_memo_characters", `"20"`)
		}, "memo is longer than max_memo_characters 20", false},
		{"consensus keys that are not ed25519", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.Overrides = overrides("consensus_params.validator.pub_key_types", `["secp256k1"]`)
		}, "pub_key_types", true},
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	g := NewWithT(t)
	g.Expect(hubgenesis.Check(ceremony(partner), nil, monikers, now)).To(Succeed(), "the base ceremony is valid")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			dep := ceremony(partner)
			tc.edit(dep.Spec.Genesis)
			err := hubgenesis.Check(dep, nil, monikers, now)
			g.Expect(err).To(MatchError(ContainSubstring(tc.want)))
			g.Expect(err.Error()).NotTo(ContainSubstring("\n"))

			// Assembly, once every fleet validator signed, refuses the same spec; or the agent cannot sign.
			var gentxs [][]byte
			for i, v := range fleet {
				raw, err := v.build(monikers[i], func(gi *gentx.Input) {
					if c, err := gentx.ParseCoin(dep.Spec.Genesis.StakingAmount); err == nil {
						gi.SelfBond = c
					}
				})
				if err != nil {
					g.Expect(err).To(MatchError(ContainSubstring(tc.want)), "the agent refuses to sign")
					return
				}
				gentxs = append(gentxs, []byte(raw))
			}
			assembleErr := assemble(dep, gentxs, now)
			g.Expect(assembleErr).To(HaveOccurred())
			// The same words; where Check names a validator not minted yet, assembly names its operator.
			g.Expect(assembleErr.Error()).To(MatchRegexp(strings.ReplaceAll(regexp.QuoteMeta(tc.want),
				regexp.QuoteMeta("(keys not minted yet)"), `\(seivaloper1[0-9a-z]+\)`)))
			if tc.same {
				g.Expect(strings.TrimPrefix(err.Error(), `check genesis for chain "chk-1": `)).
					To(Equal(strings.TrimPrefix(assembleErr.Error(), `assemble genesis for chain "chk-1": `)))
			}
		})
	}
}

// assemble runs the hub's assembly path: Input, then genesis.Assemble.
func assemble(dep *seiv1alpha1.SeiNodeDeployment, gentxs [][]byte, now time.Time) error {
	in, err := hubgenesis.Input(dep, gentxs, now)
	if err != nil {
		return err
	}
	_, err = genesis.Assemble(in)
	return err
}

// As gentxs arrive, one that clashes with an external gentx is refused at once: here a minted
// consensus key that an external validator also signed with.
func TestCheckRefusesAPublishedGentxThatClashes(t *testing.T) {
	g := NewWithT(t)
	partner := newValidator(t, 100, "partner", nil)
	dep := ceremony(partner)
	now := time.Now()
	minted := newValidator(t, 0, "vals-0", func(gi *gentx.Input) { gi.ConsensusPubKey = partner.cons.PubKey() })
	err := hubgenesis.Check(dep, [][]byte{[]byte(minted.gentx)}, monikers[1:], now)
	g.Expect(err).To(MatchError(ContainSubstring(fmt.Sprintf(`validators "vals-0" and "partner" (%s) share the same consensus key`, partner.op.ValoperAddress()))))

	fine := newValidator(t, 0, "vals-0", nil)
	g.Expect(hubgenesis.Check(dep, [][]byte{[]byte(fine.gentx)}, monikers[1:], now)).To(Succeed())
}

func overrides(path, value string) map[string]seiv1alpha1.GenesisOverrideValue {
	return map[string]seiv1alpha1.GenesisOverrideValue{path: seiv1alpha1.GenesisOverrideValue(value)}
}
