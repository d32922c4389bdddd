package sidecar

import (
	"encoding/json"
	"fmt"
	"time"
)

// Task type strings. They are seictl's public wire contract (sidecar/wire):
// the sidecar rejects any other type with 400 "unknown task type".
const (
	// Node bootstrap and configuration.
	TaskTypeSnapshotRestore    = "snapshot-restore"
	TaskTypeConfigureGenesis   = "configure-genesis"
	TaskTypeConfigApply        = "config-apply"
	TaskTypeConfigPatch        = "config-patch"
	TaskTypeConfigValidate     = "config-validate"
	TaskTypeConfigReload       = "config-reload"
	TaskTypeConfigureStateSync = "configure-state-sync"

	// The seid start gate and process control. mark-ready releases seid (and
	// turns healthz to 200); mark-not-ready re-arms the gate for a node hold.
	TaskTypeMarkReady    = "mark-ready"
	TaskTypeMarkNotReady = "mark-not-ready"
	TaskTypeRestartSeid  = "restart-seid"
	TaskTypeStopSeid     = "stop-seid"
	TaskTypeResetData    = "reset-data"

	// Snapshots, exports and waits.
	TaskTypeSnapshotUpload     = "snapshot-upload"
	TaskTypeSnapshotUploadOnce = "snapshot-upload-once"
	TaskTypeResultExport       = "result-export"
	TaskTypeAwaitCondition     = "await-condition"
	TaskTypeEvmLogicalDigest   = "evm-logical-digest"

	// The S3-based genesis ceremony of sei-k8s-controller. sei-fleet mints
	// identities and assembles genesis itself, but the strings are listed so
	// that nothing else in the module invents its own spelling.
	TaskTypeGenerateIdentity         = "generate-identity"
	TaskTypeGenerateGentx            = "generate-gentx"
	TaskTypeUploadGenesisArtifacts   = "upload-genesis-artifacts"
	TaskTypeAssembleAndUploadGenesis = "assemble-and-upload-genesis"
	TaskTypeSetGenesisPeers          = "set-genesis-peers"

	// Governance transactions signed with the node's operator key.
	TaskTypeGovVote            = "gov-vote"
	TaskTypeGovSoftwareUpgrade = "gov-software-upgrade"
	TaskTypeGovParamChange     = "gov-param-change"
)

// TaskStatus is the lifecycle state of a task on the sidecar.
type TaskStatus string

// The three states seictl reports. A task never leaves completed; it leaves
// failed only when its id is resubmitted.
const (
	StatusRunning   TaskStatus = "running"
	StatusCompleted TaskStatus = "completed"
	StatusFailed    TaskStatus = "failed"
)

// SidecarStatus is the body of GET /v0/status: whether mark-ready has run.
type SidecarStatus string

// Values of SidecarStatus.
const (
	SidecarInitializing SidecarStatus = "Initializing"
	SidecarReady        SidecarStatus = "Ready"
)

// Task is a request to run one unit of node-local work.
type Task struct {
	// ID is the caller's idempotency key. seictl requires a UUID; an empty ID
	// makes the sidecar pick a random one, which defeats resubmission, so Run
	// refuses it.
	ID string `json:"id,omitempty"`
	// Type is one of the TaskType constants.
	Type string `json:"type"`
	// Params is a JSON object (or empty). The sidecar decodes it into the
	// task's parameter struct only when the task runs, so a malformed field
	// surfaces as a failed task, not as a rejected submission.
	Params json.RawMessage `json:"params,omitempty"`
}

// NewTask builds a Task whose Params are params encoded as JSON. params may
// be nil for tasks without parameters.
func NewTask(id, taskType string, params any) (Task, error) {
	t := Task{ID: id, Type: taskType}
	if params == nil {
		return t, nil
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return Task{}, fmt.Errorf("encode %s params: %w", taskType, err)
	}
	t.Params = raw
	return t, nil
}

// TaskResult is a task record as the sidecar reports it.
type TaskResult struct {
	ID     string     `json:"id"`
	Type   string     `json:"type"`
	Status TaskStatus `json:"status"`
	// Run counts executions of this id: 1 for the first, n+1 after each
	// resubmission of a failed run. seictl sends it although its OpenAPI
	// document does not list it; it is 0 from a sidecar that does not.
	Run    int             `json:"run,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	// Result is the handler's structured output, present on success and
	// sometimes on failure (e.g. a gov transaction hash).
	Result      json.RawMessage `json:"result,omitempty"`
	Error       string          `json:"error,omitempty"`
	SubmittedAt time.Time       `json:"submittedAt"`
	CompletedAt *time.Time      `json:"completedAt,omitempty"`
}

// Terminal reports whether the task has finished, successfully or not.
func (r *TaskResult) Terminal() bool {
	return r.Status == StatusCompleted || r.Status == StatusFailed
}
