package placement

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"time"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/internal/fraction"
)

// maxTolerationSeconds is the CRD's maximum (one week); it also keeps the Duration from overflowing.
const maxTolerationSeconds = 604800

// maxReplicas bounds the work of one call far above the CRD's limit of 200.
const maxReplicas = 100000

// rules is the policy with defaults applied and strings parsed, so the scheduler never re-validates.
type rules struct {
	topoKey       string
	maxSkew       int
	maxPerCluster int // 0: no cap
	// cap is maxVotingPowerFraction, reduced; a cap of 1 caps nothing (see belowCap).
	cap     fraction.Fraction
	capText string // as the policy wrote it, for messages
	// toleration is how long a full node's cluster must be unhealthy before the node moves; nil: never.
	toleration        *time.Duration
	validatorFailover seiv1alpha1.ValidatorFailover
}

// resolveRules applies the CRD defaults (for specs that never went through an API server) and rejects
// values the CRD validation would have refused.
func resolveRules(p seiv1alpha1.SeiPlacementPolicySpec) (rules, error) {
	r := rules{
		topoKey:           p.TopologyKey,
		maxSkew:           int(p.MaxSkew),
		validatorFailover: p.Failover.Validators,
	}
	if r.topoKey == "" {
		r.topoKey = DefaultTopologyKey
	}
	switch {
	case r.maxSkew == 0:
		r.maxSkew = DefaultMaxSkew
	case r.maxSkew < 0:
		return rules{}, fmt.Errorf("maxSkew %d must be at least 1", r.maxSkew)
	}
	if p.MaxNodesPerCluster != nil {
		if *p.MaxNodesPerCluster < 1 {
			return rules{}, fmt.Errorf("maxNodesPerCluster %d must be at least 1", *p.MaxNodesPerCluster)
		}
		r.maxPerCluster = int(*p.MaxNodesPerCluster)
	}
	frac := p.MaxVotingPowerFraction
	if frac == "" {
		frac = DefaultMaxVotingPowerFraction
	}
	c, err := fraction.Parse(frac)
	if err != nil {
		return rules{}, fmt.Errorf("maxVotingPowerFraction: %w", err)
	}
	r.cap, r.capText = c, frac
	if ts := p.Failover.FullNodes.TolerationSeconds; ts != nil {
		if *ts < 0 || *ts > maxTolerationSeconds {
			return rules{}, fmt.Errorf("failover.fullNodes.tolerationSeconds %d must be from 0 to %d", *ts, maxTolerationSeconds)
		}
		d := time.Duration(*ts) * time.Second
		r.toleration = &d
	}
	switch r.validatorFailover {
	case "":
		r.validatorFailover = seiv1alpha1.ValidatorFailoverManual
	case seiv1alpha1.ValidatorFailoverManual, seiv1alpha1.ValidatorFailoverAfterFence:
	default:
		return rules{}, fmt.Errorf("failover.validators %q must be Manual or AfterFence", r.validatorFailover)
	}
	return r, nil
}

// checkInput rejects deployment facts no caller should produce.
func checkInput(in Input) error {
	if in.Replicas < 0 {
		return fmt.Errorf("replicas %d must not be negative", in.Replicas)
	}
	if in.Validators && in.Replicas > 0 && in.NodePower <= 0 {
		return fmt.Errorf("validator node power %d must be positive", in.NodePower)
	}
	if in.Replicas > maxReplicas {
		return fmt.Errorf("replicas %d exceeds the scheduler's limit of %d", in.Replicas, maxReplicas)
	}
	if in.ExternalPower < 0 {
		return fmt.Errorf("external power %d must not be negative", in.ExternalPower)
	}
	if in.Validators {
		total := new(big.Int).Mul(big.NewInt(int64(in.Replicas)), big.NewInt(in.NodePower))
		if !total.Add(total, big.NewInt(in.ExternalPower)).IsInt64() {
			return fmt.Errorf("total voting power of %d validators of %d plus %d external overflows int64",
				in.Replicas, in.NodePower, in.ExternalPower)
		}
	}
	for _, cluster := range slices.Sorted(maps.Keys(in.Usage)) {
		if n := in.Usage[cluster]; n < 0 {
			return fmt.Errorf("usage %d of cluster %s must not be negative", n, cluster)
		}
	}
	return nil
}
