package sidecar

import (
	"errors"
	"fmt"
	"slices"
)

// ErrRefusedTask matches (errors.Is) a *RefusedTaskError.
var ErrRefusedTask = errors.New("task refused")

// RefusedTaskError is a task the client refused to send: the node is a validator and the task is
// not one a validator's sidecar may run. It is permanent: the same task is refused every time.
type RefusedTaskError struct {
	Type string
}

func (e *RefusedTaskError) Error() string {
	return fmt.Sprintf("%s task refused: the node is a validator, whose sidecar runs only %v "+
		"(a validator's data, signing state, keys and genesis are never wiped, replaced or reset through its sidecar)",
		e.Type, ValidatorTaskTypes)
}

// Is lets errors.Is(err, ErrRefusedTask) match.
func (e *RefusedTaskError) Is(target error) bool { return target == ErrRefusedTask }

// ValidatorTaskTypes are the only tasks a client built with ForValidator sends: what the agent needs
// to configure a validator and release or restart its seid. It is an allow-list, so a task seictl adds
// later is refused until someone decides it is safe. Left out on purpose, among others: reset-data
// (wipes data/ and writes a zero signing state: the next start may sign twice), snapshot-restore and
// configure-state-sync (replace the chain state under the signing state), generate-identity (new keys
// and a new signing state), generate-gentx and the ceremony uploads, stop-seid and mark-not-ready (park
// seid; the first steps of seictl's reset recipe), snapshot and result uploads (copy the node's data
// out), and the gov transactions (sign with the operator key).
//
// restart-seid stays: the agent's reconfigure plan needs it, and seid's start script checks the
// genesis again before every start, so a restart cannot bring seid up on another one.
//
// mark-not-ready and await-condition are in for upgrades at a height: mark-not-ready closes the start
// gate so that a seid that halted at its halt-height does not start again on the old image (and sign
// past the height); it only parks seid, the destructive steps of seictl's reset recipe (stop-seid,
// reset-data) stay out. await-condition only reads the node's RPC; the agent sends it no action.
var ValidatorTaskTypes = []string{
	TaskTypeConfigureGenesis,
	TaskTypeConfigApply,
	TaskTypeConfigPatch,
	TaskTypeConfigValidate,
	TaskTypeMarkReady,
	TaskTypeRestartSeid,
	TaskTypeMarkNotReady,
	TaskTypeAwaitCondition,
}

// CheckTask returns a *RefusedTaskError when a validator's sidecar must not run taskType, else nil.
func CheckTask(taskType string, validator bool) error {
	if validator && !slices.Contains(ValidatorTaskTypes, taskType) {
		return &RefusedTaskError{Type: taskType}
	}
	return nil
}

// ForValidator makes the client refuse, without sending anything, every task a validator's sidecar
// must not run (see ValidatorTaskTypes) when validator is true. Build a node's client with
// ForValidator(node is a validator).
func ForValidator(validator bool) Option {
	return func(c *Client) { c.validator = validator }
}
