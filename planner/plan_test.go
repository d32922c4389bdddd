package planner_test

import (
	"context"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
	"github.com/sei-protocol/sei-fleet/planner"
)

func TestIDsAreDeterministicAndDistinct(t *testing.T) {
	g := NewWithT(t)
	g.Expect(planner.PlanID("uid-1", "init", 3)).To(Equal(planner.PlanID("uid-1", "init", 3)))
	g.Expect(planner.PlanID("uid-1", "init", 3)).NotTo(Equal(planner.PlanID("uid-1", "init", 4)))
	g.Expect(planner.PlanID("uid-1", "init", 3)).NotTo(Equal(planner.PlanID("uid-2", "init", 3)))
	g.Expect(planner.TaskID("p", "a", 0)).NotTo(Equal(planner.TaskID("p", "a", 1)))
	g.Expect(planner.ID("ab", "c")).NotTo(Equal(planner.ID("a", "bc")), "parts are separated, not concatenated")
	g.Expect(planner.TaskID("p", "a", 0)).To(MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))
}

func TestNewPlan(t *testing.T) {
	g := NewWithT(t)
	p, err := planner.NewPlan("pid", "init", []planner.Step{
		{Type: "ensure-pvc"},
		{Type: "config-apply", Params: map[string]string{"mode": "full"}, MaxRetries: 3},
	}, "Running", "Failed")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.Phase).To(Equal(seiv1alpha1.PlanActive))
	g.Expect(p.TargetPhase).To(Equal("Running"))
	g.Expect(p.Tasks).To(HaveLen(2))
	g.Expect(p.Tasks[0].Params).To(BeNil())
	g.Expect(p.Tasks[1].ID).To(Equal(planner.TaskID("pid", "config-apply", 1)))
	g.Expect(p.Tasks[1].MaxRetries).To(Equal(int32(3)))
	g.Expect(string(p.Tasks[1].Params.Raw)).To(Equal(`{"mode":"full"}`))

	var params struct{ Mode string }
	g.Expect(planner.DecodeParams(&p.Tasks[1], &params)).To(Succeed())
	g.Expect(params.Mode).To(Equal("full"))

	_, err = planner.NewPlan("pid", "init", nil, "", "")
	g.Expect(err).To(MatchError(ContainSubstring("no steps")))
	_, err = planner.NewPlan("pid", "init", []planner.Step{{}}, "", "")
	g.Expect(err).To(MatchError(ContainSubstring("no type")))
	_, err = planner.NewPlan("pid", "init", []planner.Step{{Type: "x", Params: make(chan int)}}, "", "")
	g.Expect(err).To(MatchError(ContainSubstring("encode params")))
}

func TestDecodeParamsRejectsGarbageAsTerminal(t *testing.T) {
	g := NewWithT(t)
	p, err := planner.NewPlan("pid", "init", []planner.Step{{Type: "x", Params: []int{1}}}, "", "")
	g.Expect(err).NotTo(HaveOccurred())
	var out struct{ A string }
	err = planner.DecodeParams(&p.Tasks[0], &out)
	g.Expect(err).To(HaveOccurred())
	g.Expect(planner.IsTerminal(err)).To(BeTrue())
}

func TestBeginInstallsOnlyIntoAnEmptySlot(t *testing.T) {
	g := NewWithT(t)
	var current *seiv1alpha1.TaskPlan
	first := &seiv1alpha1.TaskPlan{ID: "first", Phase: seiv1alpha1.PlanActive}
	g.Expect(planner.Begin(&current, first)).To(BeTrue(), "the caller must persist before running")
	g.Expect(current).To(BeIdenticalTo(first))
	g.Expect(planner.Begin(&current, &seiv1alpha1.TaskPlan{ID: "second"})).To(BeFalse())
	g.Expect(current.ID).To(Equal("first"))
	g.Expect(planner.Begin(&current, nil)).To(BeFalse())
	g.Expect(planner.IsActive(current)).To(BeTrue())
	g.Expect(planner.IsActive(nil)).To(BeFalse())
}

func TestTerminal(t *testing.T) {
	g := NewWithT(t)
	g.Expect(planner.Terminal(nil)).To(Succeed())
	err := planner.Terminalf("bad %s", "thing")
	g.Expect(planner.IsTerminal(err)).To(BeTrue())
	g.Expect(err).To(MatchError("bad thing"))
	g.Expect(planner.IsTerminal(errWrap{err})).To(BeTrue(), "wrapping keeps it terminal")
}

type errWrap struct{ error }

func (e errWrap) Unwrap() error { return e.error }

func TestFuncFactoriesHandTheTaskItsEnvPlannedTaskAndParams(t *testing.T) {
	g := NewWithT(t)
	type target struct{ Ordinal int }
	p, err := planner.NewPlan("pid", "place", []planner.Step{{Type: "fence", Params: target{Ordinal: 2}}, {Type: "roll"}}, "", "")
	g.Expect(err).NotTo(HaveOccurred())

	var got []string
	plain := planner.Func(func(_ context.Context, env string, planned *seiv1alpha1.PlannedTask) (planner.Result, error) {
		got = append(got, env+" "+planned.Type)
		return planner.Done()
	})
	withParams := planner.FuncWithParams(func(_ context.Context, env string, planned *seiv1alpha1.PlannedTask, tg target) (planner.Result, error) {
		got = append(got, fmt.Sprintf("%s %s %d", env, planned.Type, tg.Ordinal))
		return planner.Done()
	})
	for i, f := range []planner.Factory[string]{withParams, plain} {
		task, err := f("env", &p.Tasks[i])
		g.Expect(err).NotTo(HaveOccurred())
		res, err := task.Run(t.Context())
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Done).To(BeTrue())
	}
	g.Expect(got).To(Equal([]string{"env fence 2", "env roll"}))

	// Params that do not decode fail the build, terminally.
	_, err = withParams("env", &p.Tasks[1])
	g.Expect(err).NotTo(HaveOccurred(), "no params decode as the zero value")
	bad, err := planner.NewPlan("pid", "place", []planner.Step{{Type: "fence", Params: []int{1}}}, "", "")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = withParams("env", &bad.Tasks[0])
	g.Expect(planner.IsTerminal(err)).To(BeTrue())
}
