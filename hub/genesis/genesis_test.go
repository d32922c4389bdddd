package genesis_test

import (
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	hubgenesis "github.com/sei-protocol/sei-fleet/hub/genesis"
	"github.com/sei-protocol/sei-fleet/internal/genesis"
)

func deployment() *seiv1alpha1.SeiNodeDeployment {
	return &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Name: "net"},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{
			ChainID: "vec-1",
			Genesis: &seiv1alpha1.GenesisCeremonySpec{
				StakingAmount: "10000000usei", AccountBalance: "1000000000000usei",
				StartDelay: metav1.Duration{Duration: 90 * time.Second},
				Accounts:   []seiv1alpha1.GenesisAccount{{Address: "sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqvu", Balance: "7usei,3uatom"}},
				Overrides: map[string]seiv1alpha1.GenesisOverrideValue{
					"app_state.staking.params.max_validators":   "50",
					"app_state.gov.voting_params.voting_period": `"60s"`,
				},
			},
		},
	}
}

func vectorGentx(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../internal/gentx/testdata/" + name + "/gentx.json")
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	return raw
}

func TestInputFundsEveryValidatorAndAppliesTheSpec(t *testing.T) {
	g := NewWithT(t)
	dep := deployment()
	dep.Spec.Genesis.ExternalGentxs = []seiv1alpha1.ExternalGentx{{Name: "two", Gentx: string(vectorGentx(t, "two"))}}
	now := time.Date(2026, 11, 25, 12, 0, 0, 123, time.UTC)
	in, err := hubgenesis.Input(dep, [][]byte{vectorGentx(t, "one")}, now)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(in.ChainID).To(Equal("vec-1"))
	g.Expect(in.GenesisTime).To(Equal(time.Date(2026, 11, 25, 12, 1, 30, 0, time.UTC)), "now + startDelay, to the second")
	g.Expect(in.Gentxs).To(HaveLen(2), "the fleet's gentx and the external one")
	g.Expect(in.Accounts).To(HaveLen(3))
	g.Expect(in.Accounts[0].Address).To(Equal("sei1r5v5srda7xfth3hn2s26txvrcrntldjuk8kd37"))
	g.Expect(in.Accounts[0].PubKey).To(HaveLen(33), "the operator key comes with its account, for the EVM association")
	g.Expect(in.Accounts[1].Address).To(Equal("sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqvu"), "the external validator is funded too")
	g.Expect(in.Accounts[2].Coins).To(HaveLen(2))
	g.Expect(in.Overrides).To(HaveLen(2))
	g.Expect(in.Overrides[0].Path).To(Equal("app_state.gov.voting_params.voting_period"), "overrides in a stable order")

	// The input assembles into a genesis with both validators.
	res, err := genesis.Assemble(in)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Validators).To(HaveLen(2))
	again, err := genesis.Assemble(in)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again.SHA256).To(Equal(res.SHA256), "the same input gives the same genesis")
}

func TestInputRejectsBadInput(t *testing.T) {
	g := NewWithT(t)
	dep := deployment()
	_, err := hubgenesis.Input(dep, [][]byte{[]byte(`{"not":"a gentx"}`)}, time.Now())
	g.Expect(err).To(MatchError(ContainSubstring("gentx 0")))

	dep.Spec.Genesis.Overrides = map[string]seiv1alpha1.GenesisOverrideValue{"app_state.x": "{broken"}
	_, err = hubgenesis.Input(dep, nil, time.Now())
	g.Expect(err).To(MatchError(ContainSubstring("spec.genesis.overrides[app_state.x]: not JSON")))

	dep = deployment()
	dep.Spec.Genesis = nil
	_, err = hubgenesis.Input(dep, nil, time.Now())
	g.Expect(err).To(MatchError(ContainSubstring("no genesis ceremony")))
}

func TestPeersExcludeOnlyTheNodeItself(t *testing.T) {
	g := NewWithT(t)
	all := []string{"aa@1.1.1.1:26656", "aab@2.2.2.2:26656", "bb@3.3.3.3:26656"}
	g.Expect(hubgenesis.Peers(all, "aa")).To(Equal([]string{"aab@2.2.2.2:26656", "bb@3.3.3.3:26656"}), "a prefix of another ID is not that ID")
	g.Expect(hubgenesis.Peers(all, "zz")).To(Equal(all))
}
