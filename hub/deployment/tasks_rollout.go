package deployment

import (
	"context"
	"math/big"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/intstr"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/hub/rollout"
	"github.com/sei-protocol/sei-fleet/internal/gentx"
	"github.com/sei-protocol/sei-fleet/planner"
)

// roll moves records to the deployment's current template a step at a time, as hub/rollout allows:
// one topology domain after another, within maxUnavailable, never 1/3 or more of validator voting power
// down at once. It is done when every record runs the template and is ready.
func roll(ctx context.Context, env *Env, _ *seiv1alpha1.PlannedTask) (planner.Result, error) {
	dep := env.Deployment
	desired := TemplateHash(dep)
	in := rollout.Input{
		MaxUnavailable: dep.Spec.UpdateStrategy.MaxUnavailable,
		ByTopology:     dep.Spec.UpdateStrategy.ByTopology == nil || *dep.Spec.UpdateStrategy.ByTopology,
		Validators:     dep.Spec.Role == seiv1alpha1.RoleValidator,
		ExternalPower:  externalPower(dep),
		PowerCap:       env.PowerCap,
	}
	if in.MaxUnavailable == nil {
		one := intstr.FromInt32(1)
		in.MaxUnavailable = &one
	}
	byName := map[string]*seiv1alpha1.SeiNode{}
	for i := range env.Records {
		rec := &env.Records[i]
		if !rec.DeletionTimestamp.IsZero() {
			continue
		}
		byName[rec.Name] = rec
		current := rec.Annotations[seiv1alpha1.AnnotationTemplateHash]
		ready := nodeReady(rec)
		in.Nodes = append(in.Nodes, rollout.Node{
			Name: rec.Name, Ordinal: ordinalOf(rec), Domain: env.Domains[rec.Spec.ClusterName], Power: nodePower(dep),
			CurrentRevision: current, DesiredRevision: desired, Ready: ready, Updating: current == desired && !ready,
		})
	}
	step, err := rollout.Plan(in)
	if err != nil {
		return planner.Result{}, planner.Terminal(err)
	}
	if step.Stalled != "" {
		return planner.Result{}, planner.Terminalf("%s: %s", seiv1alpha1.ReasonRolloutStalled, step.Stalled)
	}
	for _, name := range step.Update {
		rec := byName[name]
		if err := rewrite(ctx, env, recordInput{Ordinal: ordinalOf(rec), Template: dep, Policy: env.Policy}); err != nil {
			return planner.Result{}, err
		}
	}
	if step.Complete {
		return planner.Done()
	}
	return planner.Running(fallbackWait) // the updated records' status changes wake the deployment
}

// nodeReady: the member runs the record's current spec (the mirror says the agent has processed it),
// the node is Running and Ready, on the record's image.
func nodeReady(rec *seiv1alpha1.SeiNode) bool {
	synced := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeMemberSynced)
	return rec.Status.Phase == seiv1alpha1.NodeRunning &&
		meta.IsStatusConditionTrue(rec.Status.Conditions, seiv1alpha1.NodeReady) &&
		synced != nil && synced.Status == "True" && synced.ObservedGeneration == rec.Generation &&
		rec.Status.CurrentImage == rec.Spec.Image
}

// nodePower is a fleet validator's consensus power (self-bond / 10^6); other roles have none.
func nodePower(dep *seiv1alpha1.SeiNodeDeployment) int64 {
	if dep.Spec.Role != seiv1alpha1.RoleValidator {
		return 0
	}
	if dep.Spec.Genesis == nil {
		return 1
	}
	c, err := gentx.ParseCoin(dep.Spec.Genesis.StakingAmount)
	if err != nil {
		return 1
	}
	return powerOf(c.Amount)
}

func externalPower(dep *seiv1alpha1.SeiNodeDeployment) int64 {
	if dep.Spec.Genesis == nil {
		return 0
	}
	var total int64
	for _, ext := range dep.Spec.Genesis.ExternalGentxs {
		if g, err := gentx.Parse([]byte(ext.Gentx)); err == nil {
			total += powerOf(g.SelfBond.Amount)
		}
	}
	return total
}

var powerReduction = big.NewInt(1_000_000)

func powerOf(amount *big.Int) int64 {
	p := new(big.Int).Quo(amount, powerReduction)
	if !p.IsInt64() || p.Int64() < 1 {
		return 1
	}
	return p.Int64()
}
