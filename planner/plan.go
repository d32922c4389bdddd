package planner

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// idNamespace scopes the fleet's name-based UUIDs.
var idNamespace = uuid.MustParse("5e1f1ee7-0000-4000-8000-5e1f1ee70000")

// ID returns a deterministic UUID (version 5) for the given parts. The same parts always give the same ID.
func ID(parts ...string) string {
	return uuid.NewSHA1(idNamespace, []byte(strings.Join(parts, "\x00"))).String()
}

// PlanID identifies a plan of planType for the object with uid at generation: building the same plan
// again (after a restart, before it was persisted) gives the same ID.
func PlanID(uid, planType string, generation int64) string {
	return ID("plan", uid, planType, strconv.FormatInt(generation, 10))
}

// TaskID identifies the task at index of a plan.
func TaskID(planID, taskType string, index int) string {
	return ID("task", planID, taskType, strconv.Itoa(index))
}

// Step is one task of a plan being built.
type Step struct {
	Type string
	// Params are marshalled to JSON and stored with the task.
	Params any
	// MaxRetries is the task's retry budget: failed attempts allowed before it fails the plan.
	MaxRetries int32
}

// NewPlan builds an Active plan of steps. targetPhase is the phase the object takes when the plan
// completes; failedPhase the phase it takes when it fails ("" keeps the phase, so a new plan may follow).
func NewPlan(id, planType string, steps []Step, targetPhase, failedPhase string) (*seiv1alpha1.TaskPlan, error) {
	if len(steps) == 0 {
		return nil, fmt.Errorf("plan %s has no steps", planType)
	}
	plan := &seiv1alpha1.TaskPlan{
		ID:          id,
		Type:        planType,
		Phase:       seiv1alpha1.PlanActive,
		TargetPhase: targetPhase,
		FailedPhase: failedPhase,
		Tasks:       make([]seiv1alpha1.PlannedTask, 0, len(steps)),
	}
	for i, s := range steps {
		if s.Type == "" {
			return nil, fmt.Errorf("plan %s step %d has no type", planType, i)
		}
		params, err := encodeParams(s.Params)
		if err != nil {
			return nil, fmt.Errorf("plan %s step %d (%s): %w", planType, i, s.Type, err)
		}
		plan.Tasks = append(plan.Tasks, seiv1alpha1.PlannedTask{
			Type:       s.Type,
			ID:         TaskID(id, s.Type, i),
			Status:     seiv1alpha1.TaskPending,
			Params:     params,
			MaxRetries: s.MaxRetries,
		})
	}
	return plan, nil
}

func encodeParams(p any) (*apiextensionsv1.JSON, error) {
	if p == nil {
		return nil, nil
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode params: %w", err)
	}
	return &apiextensionsv1.JSON{Raw: raw}, nil
}

// DecodeParams unmarshals a planned task's params into out. Missing params leave out unchanged.
func DecodeParams(planned *seiv1alpha1.PlannedTask, out any) error {
	if planned.Params == nil || len(planned.Params.Raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(planned.Params.Raw, out); err != nil {
		return Terminalf("decode params of task %s: %v", planned.Type, err)
	}
	return nil
}

// Begin installs plan as *current when no plan is there. It reports whether it did: if so the caller
// must persist status now and return, running nothing in this reconcile, so the plan is visible before
// any of its effects (atomic plan creation).
func Begin(current **seiv1alpha1.TaskPlan, plan *seiv1alpha1.TaskPlan) bool {
	if *current != nil || plan == nil {
		return false
	}
	*current = plan
	return true
}

// IsActive reports whether plan is present and still running.
func IsActive(plan *seiv1alpha1.TaskPlan) bool {
	return plan != nil && plan.Phase == seiv1alpha1.PlanActive
}

// CurrentTask returns the first task of plan that has not completed, or nil.
func CurrentTask(plan *seiv1alpha1.TaskPlan) *seiv1alpha1.PlannedTask {
	if plan == nil {
		return nil
	}
	for i := range plan.Tasks {
		if plan.Tasks[i].Status != seiv1alpha1.TaskComplete {
			return &plan.Tasks[i]
		}
	}
	return nil
}
