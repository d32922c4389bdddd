// Package fraction owns the exact ratio arithmetic behind voting-power caps: placement's
// maxVotingPowerFraction and the rollout's "never take 1/3 or more of the power down".
//
// A Fraction is Num/Den in (0, 1]. Comparisons multiply out with math/big, never divide or use floating
// point, so "exactly 1/3" is at the cap and nothing overflows near the int64 limit. Percent renders a
// share for messages, rounded down so that "less than 33.3%" never overstates what a cap allows.
//
// The package holds arithmetic only, no policy: what a cap of 1 means (placement: no cap; rollout: the
// whole power may not go down at once) is each caller's rule, written there with IsOne.
package fraction
