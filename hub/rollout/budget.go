package rollout

import (
	"errors"
	"fmt"
	"math/big"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// resolveMaxUnavailable turns the strategy's count or percentage into a node count. A percentage rounds
// down but never below 1, so a small deployment still makes progress.
func resolveMaxUnavailable(v *intstr.IntOrString, nodes int) (int, error) {
	if v == nil {
		return 1, nil
	}
	if v.Type == intstr.Int && v.IntVal < 1 {
		return 0, fmt.Errorf("maxUnavailable %d must be at least 1", v.IntVal)
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(v, nodes, false)
	if err != nil {
		return 0, fmt.Errorf("maxUnavailable: %w", err)
	}
	if n < 0 {
		return 0, fmt.Errorf("maxUnavailable %s must not be negative", v.String())
	}
	return max(n, 1), nil
}

func checkInput(in Input) (Fraction, error) {
	powerCap := in.PowerCap
	if powerCap == (Fraction{}) {
		powerCap = DefaultPowerCap
	}
	if powerCap.Num <= 0 || powerCap.Den <= 0 || powerCap.Num > powerCap.Den {
		return Fraction{}, fmt.Errorf("power cap %d/%d must be greater than 0 and at most 1", powerCap.Num, powerCap.Den)
	}
	if in.ExternalPower < 0 {
		return Fraction{}, fmt.Errorf("external power %d must not be negative", in.ExternalPower)
	}
	seen := map[string]bool{}
	total := big.NewInt(in.ExternalPower)
	for _, n := range in.Nodes {
		switch {
		case n.Name == "":
			return Fraction{}, errors.New("a node has no name")
		case seen[n.Name]:
			return Fraction{}, fmt.Errorf("node %s is listed twice", n.Name)
		case in.Validators && n.Power <= 0:
			return Fraction{}, fmt.Errorf("validator %s has voting power %d; it must be positive", n.Name, n.Power)
		}
		seen[n.Name] = true
		total.Add(total, big.NewInt(n.Power))
	}
	if in.Validators && !total.IsInt64() {
		return Fraction{}, errors.New("total voting power overflows int64")
	}
	return powerCap, nil
}
