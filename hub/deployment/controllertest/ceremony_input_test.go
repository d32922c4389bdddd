package controllertest

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/internal/seikeys"
)

const chainID = "cer-1"

// keys are a validator's keys, as an agent mints them or an external operator holds them.
type keys struct {
	op   seikeys.OperatorKey
	cons seikeys.ConsensusKey
	node seikeys.NodeKey
}

func newKeys(t *testing.T, seed byte) keys {
	t.Helper()
	r := rand.NewChaCha8([32]byte{seed, 'k'})
	m, err := seikeys.NewMnemonic(r)
	if err != nil {
		t.Fatal(err)
	}
	var k keys
	if k.op, err = seikeys.OperatorKeyFromMnemonic(m); err != nil {
		t.Fatal(err)
	}
	if k.cons, err = seikeys.GenerateConsensusKey(r); err != nil {
		t.Fatal(err)
	}
	if k.node, err = seikeys.GenerateNodeKey(r); err != nil {
		t.Fatal(err)
	}
	return k
}

// gentx signs k's gentx as the agent does, edited by edit.
func (k keys) gentx(t *testing.T, moniker string, edit func(*gentx.Input)) string {
	t.Helper()
	in := gentx.Input{
		ChainID: chainID, Description: gentx.Description{Moniker: moniker}, SelfBond: gentx.NewCoin("usei", 10000000),
		ConsensusPubKey: k.cons.PubKey(), NodeID: k.node.ID(), Host: "203.0.113.9",
	}
	if edit != nil {
		edit(&in)
	}
	g, err := gentx.Build(k.op, in)
	if err != nil {
		t.Fatal(err)
	}
	return string(g.JSON())
}

// ceremony is a valid ceremony of three fleet validators, vals-0..2, and one external, "partner".
func ceremony(ns, policyName string, partner string) *seiv1alpha1.SeiNodeDeployment {
	return &seiv1alpha1.SeiNodeDeployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vals"},
		Spec: seiv1alpha1.SeiNodeDeploymentSpec{
			ChainID: chainID, Image: "seid:v1", Replicas: 3, Role: seiv1alpha1.RoleValidator,
			Placement: seiv1alpha1.PlacementSpec{PolicyName: policyName},
			Genesis: &seiv1alpha1.GenesisCeremonySpec{
				StakingAmount: "10000000usei", AccountBalance: "1000000000000usei",
				StartDelay: metav1.Duration{Duration: 30 * time.Second}, Deadline: metav1.Duration{Duration: 30 * time.Minute},
				ExternalGentxs: []seiv1alpha1.ExternalGentx{{Name: "partner", Gentx: partner}},
				Accounts:       []seiv1alpha1.GenesisAccount{{Address: "sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqvu", Balance: "7usei"}},
			},
		},
	}
}

// Bad genesis input the apiserver accepts places no record — so no validator is minted keys or
// started — and the deployment says why, in assembly's words, in Placed, GenesisCeremonyComplete and
// Ready; its phase is Failed. Before the check, each of these placed three records at once and failed
// only at assembly, after every validator had minted its keys and signed.
func TestBadCeremonyInputPlacesNothing(t *testing.T) {
	partner, other := newKeys(t, 1), newKeys(t, 2)
	good := partner.gentx(t, "partner", nil)
	for _, tc := range []struct {
		name string
		edit func(*seiv1alpha1.GenesisCeremonySpec)
		want string
	}{
		{"an account address with a bad checksum", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.Accounts[0].Address = "sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqvq"
		}, `decode bech32 "sei15f7sdzduxh5umchk433z275xz8gnw8lq9qsqvq": invalid checksum`},
		{"an external gentx that does not parse", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs[0].Gentx = `{"body":{}}`
		}, "spec.genesis.externalGentxs[partner]: parse gentx"},
		{"an external gentx signed for another chain", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs[0].Gentx = partner.gentx(t, "partner", func(gi *gentx.Input) { gi.ChainID = "other-1" })
		}, `spec.genesis.externalGentxs[partner]: verify gentx of "partner"`},
		{"an external gentx altered after signing", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs[0].Gentx = strings.Replace(good, `"details":""`, `"details":"x"`, 1)
		}, "signature does not match"},
		{"two external gentxs with one consensus key", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs = append(s.ExternalGentxs, seiv1alpha1.ExternalGentx{Name: "other",
				Gentx: other.gentx(t, "other", func(gi *gentx.Input) { gi.ConsensusPubKey = partner.cons.PubKey() })})
		}, `validators "partner" and "other" (` + other.op.ValoperAddress() + `) share the same consensus key`},
		{"an external validator named like a fleet validator", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.ExternalGentxs[0].Gentx = partner.gentx(t, "vals-1", nil)
		}, "share the same moniker"},
		{"a stakingAmount below one unit of voting power", func(s *seiv1alpha1.GenesisCeremonySpec) { s.StakingAmount = "999999usei" },
			`validator "vals-0" (keys not minted yet): self-bond 999999usei gives voting power 0`},
		{"an accountBalance below the stakingAmount", func(s *seiv1alpha1.GenesisCeremonySpec) { s.AccountBalance = "1000usei" },
			"its operator account has 1000usei in genesis, less than its self-bond 10000000usei"},
		{"more validators than max_validators", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.Overrides = map[string]seiv1alpha1.GenesisOverrideValue{"app_state.staking.params.max_validators": "3"}
		}, "4 validators, but app_state.staking.params.max_validators is 3"},
		{"a min_commission_rate above the fleet's commission", func(s *seiv1alpha1.GenesisCeremonySpec) {
			s.Overrides = map[string]seiv1alpha1.GenesisOverrideValue{"app_state.staking.params.min_commission_rate": `"0.15"`}
		}, "is below min_commission_rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			ctx := t.Context()
			ns, pol := namespace(t)
			dep := ceremony(ns, pol, good)
			tc.edit(dep.Spec.Genesis)
			g.Expect(fleet.Hub.Client.Create(ctx, dep)).To(Succeed(), "the apiserver accepts it")
			key := client.ObjectKeyFromObject(dep)

			g.Consistently(func() []string { return placed(ctx, ns, "vals") }).
				WithTimeout(3*time.Second).WithPolling(poll).Should(BeEmpty(), "no record, so no key minted and no node started")
			g.Eventually(func() metav1.Condition { return condition(ctx, key, seiv1alpha1.DeploymentPlaced) }).WithTimeout(wait).Should(And(
				HaveField("Status", metav1.ConditionFalse),
				HaveField("Reason", seiv1alpha1.ReasonInvalidGenesisInput),
				HaveField("Message", And(HavePrefix("spec.genesis: "), ContainSubstring(tc.want))),
			))
			g.Expect(condition(ctx, key, seiv1alpha1.DeploymentGenesisCeremonyComplete)).To(And(
				HaveField("Reason", seiv1alpha1.ReasonInvalidGenesisInput), HaveField("Message", ContainSubstring(tc.want))))
			g.Expect(condition(ctx, key, seiv1alpha1.DeploymentReadyCondition)).To(And(
				HaveField("Status", metav1.ConditionFalse), HaveField("Reason", seiv1alpha1.ReasonInvalidGenesisInput)))
			got := &seiv1alpha1.SeiNodeDeployment{}
			g.Expect(fleet.Hub.Client.Get(ctx, key, got)).To(Succeed())
			g.Expect(got.Status.Phase).To(Equal(seiv1alpha1.DeploymentFailed))
			g.Expect(got.Status.Plan).To(BeNil())
		})
	}
}

// The same ceremony with its input fixed (spec.genesis is immutable: deleted and created again) is
// placed: the check refuses bad input only.
func TestAFixedCeremonyIsPlaced(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, pol := namespace(t)
	good := newKeys(t, 1).gentx(t, "partner", nil)
	bad := ceremony(ns, pol, good)
	bad.Spec.Genesis.AccountBalance = "1000usei"
	g.Expect(fleet.Hub.Client.Create(ctx, bad)).To(Succeed())
	key := client.ObjectKeyFromObject(bad)
	g.Eventually(func() string { return condition(ctx, key, seiv1alpha1.DeploymentPlaced).Reason }).
		WithTimeout(wait).Should(Equal(seiv1alpha1.ReasonInvalidGenesisInput))
	g.Expect(fleet.Hub.Client.Delete(ctx, bad)).To(Succeed())
	g.Eventually(func() error { return fleet.Hub.Client.Get(ctx, key, &seiv1alpha1.SeiNodeDeployment{}) }).
		WithTimeout(wait).ShouldNot(Succeed())

	g.Expect(fleet.Hub.Client.Create(ctx, ceremony(ns, pol, good))).To(Succeed())
	g.Eventually(func() []string { return placed(ctx, ns, "vals") }).WithTimeout(wait).Should(ConsistOf(
		MatchRegexp(`^vals-0@(us|eu|ap)$`), MatchRegexp(`^vals-1@(us|eu|ap)$`), MatchRegexp(`^vals-2@(us|eu|ap)$`)))
	g.Eventually(func() string { return condition(ctx, key, seiv1alpha1.DeploymentGenesisCeremonyComplete).Reason }).
		WithTimeout(wait).Should(Equal(seiv1alpha1.ReasonWaitingForGentxs))
}

// A clash only the minted keys reveal — a validator's minted consensus key equal to an external
// gentx's — fails the ceremony as soon as that validator publishes its gentx, not at the deadline, and
// nothing starts: no genesis is assembled, no record points at one.
func TestAMintedKeyThatClashesWithAnExternalGentxFailsTheCeremony(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	ns, pol := namespace(t)
	partner := newKeys(t, 1)
	dep := ceremony(ns, pol, partner.gentx(t, "partner", nil))
	g.Expect(fleet.Hub.Client.Create(ctx, dep)).To(Succeed())
	key := client.ObjectKeyFromObject(dep)
	g.Eventually(func() []seiv1alpha1.SeiNode { return records(ctx, ns, "vals") }).WithTimeout(wait).Should(HaveLen(3))

	// What the mirror would copy up from two members: vals-0's agent signed with a consensus key the
	// partner signed with too (an operator reused a key); vals-1's is fine; vals-2 has not published.
	clash := newKeys(t, 10)
	clash.cons = partner.cons
	publish(t, ns, "vals-0", clash.gentx(t, "vals-0", nil))
	publish(t, ns, "vals-1", newKeys(t, 11).gentx(t, "vals-1", nil))

	g.Eventually(func() metav1.Condition { return condition(ctx, key, seiv1alpha1.DeploymentGenesisCeremonyComplete) }).
		WithTimeout(wait).Should(And(
		HaveField("Status", metav1.ConditionFalse),
		HaveField("Reason", seiv1alpha1.ReasonInvalidGentx),
		HaveField("Message", ContainSubstring(`validators "vals-0" and "partner" (`+partner.op.ValoperAddress()+`) share the same consensus key`)),
	))
	got := &seiv1alpha1.SeiNodeDeployment{}
	g.Expect(fleet.Hub.Client.Get(ctx, key, got)).To(Succeed())
	g.Expect(got.Status.Phase).To(Equal(seiv1alpha1.DeploymentFailed))
	g.Expect(got.Status.Genesis).To(BeNil(), "no genesis assembled")
	cms := &corev1.ConfigMapList{}
	g.Expect(fleet.Hub.Client.List(ctx, cms, client.InNamespace(ns), client.MatchingLabels{seiv1alpha1.LabelComponent: "genesis"})).To(Succeed())
	g.Expect(cms.Items).To(BeEmpty())
	g.Consistently(func() []*seiv1alpha1.GenesisSource {
		var out []*seiv1alpha1.GenesisSource
		for _, r := range records(ctx, ns, "vals") {
			out = append(out, r.Spec.Genesis)
		}
		return out
	}).WithTimeout(2*time.Second).WithPolling(poll).Should(HaveEach(BeNil()), "no record points at a genesis: no node starts")
}

// publish writes a gentx into a record's status, as the mirror copies it from the member.
func publish(t *testing.T, ns, name, gentx string) {
	t.Helper()
	g := NewWithT(t)
	rec := &seiv1alpha1.SeiNode{}
	g.Expect(fleet.Hub.Client.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, rec)).To(Succeed())
	patch := client.MergeFrom(rec.DeepCopy())
	rec.Status.Gentx = gentx
	g.Expect(fleet.Hub.Client.Status().Patch(t.Context(), rec, patch)).To(Succeed())
}
