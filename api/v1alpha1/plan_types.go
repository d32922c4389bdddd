package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PlanPhase is where a TaskPlan stands.
// +kubebuilder:validation:Enum=Active;Complete;Failed
type PlanPhase string

const (
	PlanActive   PlanPhase = "Active"
	PlanComplete PlanPhase = "Complete"
	PlanFailed   PlanPhase = "Failed"
)

// TaskStatus is where one PlannedTask stands.
// +kubebuilder:validation:Enum=Pending;Running;Complete;Failed
type TaskStatus string

const (
	TaskPending  TaskStatus = "Pending"
	TaskRunning  TaskStatus = "Running"
	TaskComplete TaskStatus = "Complete"
	TaskFailed   TaskStatus = "Failed"
)

// TaskPlan is an ordered list of tasks that moves an object from one phase to another. It is written to
// status before any of its tasks runs, so an observer (and a restarted controller) always sees what is
// about to happen and what already did.
type TaskPlan struct {
	// id identifies the plan; task IDs derive from it, which makes resubmission after a restart idempotent.
	ID string `json:"id"`

	// type names the kind of plan (init, node-update, place, genesis, ...).
	Type string `json:"type"`

	// generation is the object's metadata.generation when the plan was built: when the plan finishes,
	// that is the generation the object's status describes.
	// +optional
	Generation int64 `json:"generation,omitempty"`

	// phase is Active while tasks remain, then Complete or Failed.
	Phase PlanPhase `json:"phase"`

	// tasks run in order; each one starts only after the one before it completed.
	// +listType=atomic
	Tasks []PlannedTask `json:"tasks"`

	// targetPhase is the phase the object takes when the plan completes.
	// +optional
	TargetPhase string `json:"targetPhase,omitempty"`

	// failedPhase is the phase the object takes when the plan fails; empty means the phase is kept and a
	// new plan may be built.
	// +optional
	FailedPhase string `json:"failedPhase,omitempty"`

	// failedTask describes the task that failed the plan.
	// +optional
	FailedTask *FailedTaskDetail `json:"failedTask,omitempty"`
}

// PlannedTask is one step of a TaskPlan.
type PlannedTask struct {
	// type is the registered task type, e.g. apply-statefulset.
	Type string `json:"type"`

	// id is deterministic (derived from the plan ID, type and index): a task resubmitted after a restart
	// keeps its ID, so the side that runs it recognises it.
	ID string `json:"id"`

	// status of the task: Pending until an attempt starts (and again while a retry waits), Running
	// while an attempt is under way, then Complete or Failed.
	Status TaskStatus `json:"status"`

	// params are the task's inputs, fixed when the plan is built.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	Params *apiextensionsv1.JSON `json:"params,omitempty"`

	// startedAt is when the task first ran.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`

	// lastFailureAt is when the task's last attempt failed; the next retry backs off from it.
	// +optional
	LastFailureAt *metav1.Time `json:"lastFailureAt,omitempty"`

	// error is the last error the task returned.
	// +optional
	Error string `json:"error,omitempty"`

	// retryCount is how many retries were made so far.
	// +optional
	RetryCount int32 `json:"retryCount,omitempty"`

	// maxRetries is how many times a failed attempt is retried before the task fails the plan; 0 makes
	// the first failure final.
	// +optional
	MaxRetries int32 `json:"maxRetries,omitempty"`
}

// FailedTaskDetail says which task failed a plan and why.
type FailedTaskDetail struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Error      string `json:"error"`
	RetryCount int32  `json:"retryCount"`
	MaxRetries int32  `json:"maxRetries"`
}
