package deployment

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

// A network upgrade at height H runs in three steps, each decided by upgradePlan from status.upgrade
// (persisted with the plan that acts on it, before any record changes):
//
//  1. Scheduled: every record gets spec.haltHeight H through an ordinary rollout (TemplateHash covers
//     the halt height), one topology domain at a time within the voting-power cap, since arming it
//     restarts seid. Each agent writes halt-height to app.toml, restarts seid, closes the start gate
//     behind it and waits for the node to reach H (status.haltedAt).
//  2. Switching: once every live record carries H and one of them halted there (none above it), a
//     plan moves each record whose node halted at H to the new image without a halt height, as each
//     one halts. Not all nodes halt together: a node that commits H stops at once, and a validator
//     that had not received the commit for H yet stays at H-1, unable to finish H without the votes
//     of the halted ones (seen on the real data plane: two of four halted at H, two stuck below it).
//     The halted ones, restarted on the new image at H, send it that commit; it commits H on the old
//     image, halts, and is moved in turn. Nothing runs the new image before H, no old image passes
//     H, and block H+1 needs 2/3 of the power on the new image.
//  3. Complete: every node runs the new image and is ready.
//
// A node seen above H on the old image fails the upgrade (nothing is switched); removing spec.upgrade
// before the switch cancels it and clears the halt heights.

// upgradeLead is how many blocks above the highest height any node reported spec.upgrade.height must
// be for the hub to schedule it. It is only a floor: setting the halt height restarts every node once,
// so a real upgrade wants minutes of blocks.
const upgradeLead = 5

// declaredUpgrade is the upgrade that applies to dep: its own, or, for a deployment that joins
// another, the one the joined deployment declares (its full nodes halt and switch with it).
func declaredUpgrade(dep *seiv1alpha1.SeiNodeDeployment, ev *evaluation) *seiv1alpha1.UpgradeSpec {
	if dep.Spec.Upgrade != nil {
		return dep.Spec.Upgrade
	}
	if ev != nil && ev.join != nil {
		return ev.join.Upgrade
	}
	return nil
}

// desiredImage is the image records run now: the upgrade's image once the switch began, until
// spec.image moves on from the image the upgrade was declared over.
func desiredImage(dep *seiv1alpha1.SeiNodeDeployment) string {
	u := dep.Status.Upgrade
	if u != nil && (u.Phase == seiv1alpha1.UpgradeSwitching || u.Phase == seiv1alpha1.UpgradeComplete) && dep.Spec.Image == u.FromImage {
		return u.Image
	}
	return dep.Spec.Image
}

// desiredHaltHeight is the halt height records carry now: the upgrade's height until the switch. A
// failed upgrade keeps it (the nodes stay stopped at the height) until spec.upgrade is removed.
func desiredHaltHeight(dep *seiv1alpha1.SeiNodeDeployment) int64 {
	u := dep.Status.Upgrade
	if u != nil && (u.Phase == seiv1alpha1.UpgradeScheduled || u.Phase == seiv1alpha1.UpgradeFailed) {
		return u.Height
	}
	return 0
}

// sameUpgrade: status.upgrade runs the upgrade spec declares.
func sameUpgrade(u *seiv1alpha1.UpgradeStatus, s *seiv1alpha1.UpgradeSpec) bool {
	return u != nil && s != nil && u.Name == s.Name && u.Height == s.Height && u.Image == s.Image
}

// upgradePlan moves the upgrade on: it schedules a declared one (status first, then the rollout that
// arms the halt height), cancels one that was removed before the switch, records a missed one, and
// starts the switch once every node halted. It returns nil when there is nothing to do now; while
// an upgrade runs, holdRollouts keeps other rollouts back.
func upgradePlan(dep *seiv1alpha1.SeiNodeDeployment, ev *evaluation, records []seiv1alpha1.SeiNode) (*seiv1alpha1.TaskPlan, error) {
	want, u := declaredUpgrade(dep, ev), dep.Status.Upgrade
	switching := u != nil && u.Phase == seiv1alpha1.UpgradeSwitching
	switch {
	case switching:
		// Past the point of no return: the records run the new image. Finish, whatever spec says.
		return newPlan(dep, PlanUpgrade, planner.Step{Type: TaskSwitchImage, MaxRetries: 10})
	case want == nil:
		if u != nil && (u.Phase == seiv1alpha1.UpgradeScheduled || u.Phase == seiv1alpha1.UpgradeFailed) {
			// Cancelled before the switch: the rollout below clears the halt heights.
			dep.Status.Upgrade = nil
			cond(dep, seiv1alpha1.DeploymentUpgradeInProgress, false, seiv1alpha1.ReasonUpgradeCancelled,
				fmt.Sprintf("upgrade %s at height %d cancelled before the switch: the halt heights are cleared and the nodes go on with %s", u.Name, u.Height, u.FromImage))
		}
		return nil, nil
	case !sameUpgrade(u, want):
		if u != nil && u.Phase != seiv1alpha1.UpgradeComplete {
			// Another upgrade replaced this one in spec (removed and declared again): cancel the old
			// first, the next reconcile schedules the new one.
			dep.Status.Upgrade = nil
			return nil, nil
		}
		if want.Height <= highestHeight(dep, records)+upgradeLead {
			return nil, nil // setUpgrade says why
		}
		dep.Status.Upgrade = &seiv1alpha1.UpgradeStatus{
			Name: want.Name, Height: want.Height, Image: want.Image, FromImage: dep.Spec.Image, Phase: seiv1alpha1.UpgradeScheduled,
		}
		return nil, nil // the rollout that follows in nextPlan arms the halt height, persisted with it
	case u.Phase != seiv1alpha1.UpgradeScheduled:
		return nil, nil
	}
	if over := pastHeight(u, records); over != nil {
		u.Phase = seiv1alpha1.UpgradeFailed
		return nil, nil
	}
	if !allArmed(dep, u, records) || !anyHalted(u, records) {
		return nil, nil
	}
	u.Phase = seiv1alpha1.UpgradeSwitching
	return newPlan(dep, PlanUpgrade, planner.Step{Type: TaskSwitchImage, MaxRetries: 10})
}

// anyHalted: a live record's node stopped at the height.
func anyHalted(u *seiv1alpha1.UpgradeStatus, records []seiv1alpha1.SeiNode) bool {
	for i := range records {
		if records[i].DeletionTimestamp.IsZero() && haltedAt(&records[i], u.Height) {
			return true
		}
	}
	return false
}

// pastHeight returns a live record that reported a height above the upgrade's on the old image.
func pastHeight(u *seiv1alpha1.UpgradeStatus, records []seiv1alpha1.SeiNode) *seiv1alpha1.SeiNode {
	for i := range records {
		rec := &records[i]
		if rec.DeletionTimestamp.IsZero() && rec.Status.Height > u.Height && rec.Spec.Image != u.Image {
			return rec
		}
	}
	return nil
}

// allArmed: every live record carries the halt height in its current spec, and its member processed
// that spec (the node runs with it, or halted there).
func allArmed(dep *seiv1alpha1.SeiNodeDeployment, u *seiv1alpha1.UpgradeStatus, records []seiv1alpha1.SeiNode) bool {
	live := 0
	for i := range records {
		rec := &records[i]
		if !rec.DeletionTimestamp.IsZero() {
			continue
		}
		live++
		synced := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeMemberSynced)
		if rec.Spec.HaltHeight != u.Height || synced == nil || synced.Status != "True" || synced.ObservedGeneration != rec.Generation {
			return false
		}
	}
	return live > 0 && live == int(dep.Spec.Replicas)
}

// haltedAt: the record's node stopped at height on the image it had, as the member reported it for
// the record's current spec.
func haltedAt(rec *seiv1alpha1.SeiNode, height int64) bool {
	synced := meta.FindStatusCondition(rec.Status.Conditions, seiv1alpha1.NodeMemberSynced)
	return rec.Spec.HaltHeight == height && rec.Status.HaltedAt == height && rec.Status.Height <= height &&
		synced != nil && synced.Status == "True" && synced.ObservedGeneration == rec.Generation
}

// holdRollouts: an upgrade is between its declaration and its switch, or failed. Rollouts of other
// template changes wait (an image change cannot be declared then: admission refuses it).
func holdRollouts(dep *seiv1alpha1.SeiNodeDeployment) bool {
	u := dep.Status.Upgrade
	return u != nil && (u.Phase == seiv1alpha1.UpgradeSwitching || u.Phase == seiv1alpha1.UpgradeFailed)
}

// switchImage moves each record whose node halted at the upgrade height to the upgrade's image and
// clears its halt height; a record whose node has not halted yet keeps the old image and the height
// until it does (see the package comment above upgradePlan). It is done when every node runs the new
// image and is ready.
func switchImage(ctx context.Context, env *Env, _ *seiv1alpha1.PlannedTask) (planner.Result, error) {
	dep := env.Deployment
	u := dep.Status.Upgrade
	if u == nil || (u.Phase != seiv1alpha1.UpgradeSwitching && u.Phase != seiv1alpha1.UpgradeComplete) {
		return planner.Result{}, planner.Terminalf("no upgrade is switching")
	}
	desired := TemplateHash(dep)
	live, upgraded := 0, []string{}
	for i := range env.Records {
		rec := &env.Records[i]
		if !rec.DeletionTimestamp.IsZero() {
			continue
		}
		live++
		moved := rec.Spec.Image == u.Image && rec.Spec.HaltHeight == 0
		if !moved && !haltedAt(rec, u.Height) {
			continue // still below the height on the old image: moved once it halted there
		}
		if rec.Annotations[seiv1alpha1.AnnotationTemplateHash] != desired || !moved {
			if err := rewrite(ctx, env, recordInput{Ordinal: ordinalOf(rec), Template: dep, Policy: env.Policy}); err != nil {
				return planner.Result{}, err
			}
			continue
		}
		if nodeReady(rec) {
			upgraded = append(upgraded, rec.Name)
		}
	}
	slices.Sort(upgraded)
	u.Upgraded = upgraded
	if live > 0 && len(upgraded) == live {
		u.Phase = seiv1alpha1.UpgradeComplete
		return planner.Done()
	}
	return planner.Running(fallbackWait) // the records' status changes wake the deployment
}

// setUpgrade reports the upgrade on UpgradeInProgress and in status.upgrade's node lists.
func setUpgrade(dep *seiv1alpha1.SeiNodeDeployment, records []seiv1alpha1.SeiNode, ev *evaluation) {
	want, u := declaredUpgrade(dep, ev), dep.Status.Upgrade
	if u != nil {
		u.Halted = nil
		var upgraded []string
		for i := range records {
			rec := &records[i]
			if !rec.DeletionTimestamp.IsZero() {
				continue
			}
			if rec.Status.HaltedAt == u.Height && rec.Spec.HaltHeight == u.Height {
				u.Halted = append(u.Halted, rec.Name)
			}
			if rec.Spec.Image == u.Image && nodeReady(rec) {
				upgraded = append(upgraded, rec.Name)
			}
		}
		slices.Sort(u.Halted)
		slices.Sort(upgraded)
		if u.Phase == seiv1alpha1.UpgradeSwitching || u.Phase == seiv1alpha1.UpgradeComplete {
			u.Upgraded = upgraded
		}
	}
	c := meta.FindStatusCondition(dep.Status.Conditions, seiv1alpha1.DeploymentUpgradeInProgress)
	switch {
	case want != nil && !sameUpgrade(u, want) && (u == nil || u.Phase == seiv1alpha1.UpgradeComplete):
		h := highestHeight(dep, records)
		cond(dep, seiv1alpha1.DeploymentUpgradeInProgress, false, seiv1alpha1.ReasonUpgradeHeightTooClose,
			fmt.Sprintf("upgrade %s at height %d not scheduled: a node reported height %d, and the halt height must be set on every node (one restart each) more than %d blocks before it; declare a later height",
				want.Name, want.Height, h, upgradeLead))
	case u == nil:
		if c == nil || c.Reason != seiv1alpha1.ReasonUpgradeCancelled {
			cond(dep, seiv1alpha1.DeploymentUpgradeInProgress, false, seiv1alpha1.ReasonNoUpgrade, "")
		}
	case u.Phase == seiv1alpha1.UpgradeFailed:
		msg := fmt.Sprintf("upgrade %s: a node went past height %d on %s before its halt height was in place; nothing was switched and the nodes stay stopped at the height. Remove spec.upgrade to let them go on with %s",
			u.Name, u.Height, u.FromImage, u.FromImage)
		if rec := pastHeight(u, records); rec != nil {
			msg = fmt.Sprintf("upgrade %s: %s reported height %d, above %d, on %s; nothing was switched. Remove spec.upgrade to let the nodes go on with %s",
				u.Name, rec.Name, rec.Status.Height, u.Height, rec.Spec.Image, u.FromImage)
		}
		cond(dep, seiv1alpha1.DeploymentUpgradeInProgress, false, seiv1alpha1.ReasonUpgradeMissed, msg)
	case u.Phase == seiv1alpha1.UpgradeScheduled:
		cond(dep, seiv1alpha1.DeploymentUpgradeInProgress, true, seiv1alpha1.ReasonUpgradeScheduled,
			fmt.Sprintf("upgrade %s: %d of %d nodes carry halt height %d, %d halted there; highest height %d; then %s",
				u.Name, armed(records, u.Height), dep.Spec.Replicas, u.Height, len(u.Halted), highestHeight(dep, records), u.Image))
	case u.Phase == seiv1alpha1.UpgradeSwitching && want == nil:
		cond(dep, seiv1alpha1.DeploymentUpgradeInProgress, true, seiv1alpha1.ReasonUpgradeCancelRefused,
			fmt.Sprintf("upgrade %s: spec.upgrade was removed after nodes halted at %d and moved to %s; the switch goes on (%d of %d run it)",
				u.Name, u.Height, u.Image, len(u.Upgraded), dep.Spec.Replicas))
	case u.Phase == seiv1alpha1.UpgradeSwitching:
		cond(dep, seiv1alpha1.DeploymentUpgradeInProgress, true, seiv1alpha1.ReasonUpgradeSwitching,
			fmt.Sprintf("upgrade %s: nodes move to %s as they halt at %d: %d halted there now, %d of %d run it",
				u.Name, u.Image, u.Height, len(u.Halted), len(u.Upgraded), dep.Spec.Replicas))
	default:
		cond(dep, seiv1alpha1.DeploymentUpgradeInProgress, false, seiv1alpha1.ReasonUpgradeComplete,
			fmt.Sprintf("upgrade %s: every node halted at %d and runs %s", u.Name, u.Height, u.Image))
	}
}

func armed(records []seiv1alpha1.SeiNode, height int64) int {
	n := 0
	for i := range records {
		if records[i].DeletionTimestamp.IsZero() && records[i].Spec.HaltHeight == height {
			n++
		}
	}
	return n
}
