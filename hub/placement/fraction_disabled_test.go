package placement

import (
	"testing"

	. "github.com/onsi/gomega"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

func TestAFractionOfOneTurnsTheCapOff(t *testing.T) {
	g := NewWithT(t)
	for _, frac := range []string{"1", "1/1", "1.0"} {
		d := Schedule(Input{
			Policy:     seiv1alpha1.SeiPlacementPolicySpec{MaxVotingPowerFraction: frac},
			Clusters:   []Cluster{{Name: "only", Labels: map[string]string{DefaultTopologyKey: "us"}, Healthy: true}},
			Replicas:   1,
			Validators: true,
			NodePower:  10,
		})
		g.Expect(d.Failure).To(BeNil(), frac)
		g.Expect(d.Assignments).To(Equal(map[int]string{0: "only"}), "a single-validator network places under %s", frac)
	}
	d := Schedule(Input{
		Policy:     seiv1alpha1.SeiPlacementPolicySpec{MaxVotingPowerFraction: "99/100"},
		Clusters:   []Cluster{{Name: "only", Labels: map[string]string{DefaultTopologyKey: "us"}, Healthy: true}},
		Replicas:   1,
		Validators: true,
		NodePower:  10,
	})
	g.Expect(d.Failure).NotTo(BeNil(), "anything below 1 still caps")
}
