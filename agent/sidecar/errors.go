package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// ErrNotFound matches (errors.Is) any 404 from the sidecar: for GetTask it
// means the id was never submitted, was deleted, or (for mark-ready) was
// purged by mark-not-ready, and the right move is to submit it.
var ErrNotFound = errors.New("not found")

// ErrInvalidTask is returned, before anything is sent, for a task the sidecar
// would reject or that cannot be driven idempotently. It is permanent.
var ErrInvalidTask = errors.New("invalid task")

// HTTPError is a response with an unexpected status code. Message is the
// sidecar's {"error": ...} text, or the trimmed body when it sent none.
type HTTPError struct {
	StatusCode int
	Message    string
	// RetryAfter is the server's Retry-After advice (seictl sends it with a
	// 503 from DELETE); zero when absent.
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("sidecar answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	return fmt.Sprintf("sidecar answered %d: %s", e.StatusCode, e.Message)
}

// Is lets errors.Is(err, ErrNotFound) match a 404 without callers having to
// unpack the status code.
func (e *HTTPError) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

// Permanent reports whether repeating the same request cannot succeed. Only
// client errors are: the request itself is wrong. The exceptions are the 4xx
// codes that describe the moment rather than the request. 401 and 403 come
// from kube-rbac-proxy while a token rotates or a fresh RoleBinding
// propagates; 404 is a protocol answer ("not submitted yet"); 408, 409, 425
// and 429 are timing. 5xx and connection errors are transient.
func (e *HTTPError) Permanent() bool {
	if e.StatusCode < 400 || e.StatusCode >= 500 {
		return false
	}
	switch e.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly,
		http.StatusTooManyRequests:
		return false
	}
	return true
}

// TaskFailedError reports a task whose last run failed on the sidecar. It is
// permanent for Run: polling a failed id again returns the same failure until
// the caller resubmits it with Retry.
type TaskFailedError struct {
	ID   string
	Type string
	// Run is the failed run's number, the value to pass to Retry.
	Run     int
	Message string
	// Result is the handler's structured output, if it left any.
	Result json.RawMessage
}

func (e *TaskFailedError) Error() string {
	return fmt.Sprintf("task %s (%s) failed on run %d: %s", e.ID, e.Type, e.Run, e.Message)
}

// IsPermanent reports whether err means that retrying the same call cannot
// help, so a plan should fail (or spend a retry) rather than requeue: a 4xx
// answer other than those HTTPError.Permanent excuses, a task that failed
// on the sidecar, or a task rejected locally (ErrInvalidTask, ErrRefusedTask). Connection
// errors, timeouts, cancellation and 5xx answers are transient. A nil err is
// not permanent.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	// A caller that gave up is not a verdict on the request.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, ErrInvalidTask) || errors.Is(err, ErrRefusedTask) {
		return true
	}
	var failed *TaskFailedError
	if errors.As(err, &failed) {
		return true
	}
	var httpErr *HTTPError
	if errors.As(err, &httpErr) {
		return httpErr.Permanent()
	}
	return false
}
