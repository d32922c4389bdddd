package sidecar

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// SubmitTask asks the sidecar to run task and returns the id it recorded,
// which is task.ID when one was given. Submitting an id that is running or
// completed changes nothing; submitting an id whose last run failed starts a
// new run with task.Params. seictl answers 201 in every accepted case (its
// OpenAPI document also allows 202) and 400 for an unknown type, a non-UUID
// id or a body that is not a JSON object.
func (c *Client) SubmitTask(ctx context.Context, task Task) (string, error) {
	if err := validateTask(task); err != nil {
		return "", fmt.Errorf("submit %s: %w", describe(task), err)
	}
	if err := CheckTask(task.Type, c.validator); err != nil {
		return "", fmt.Errorf("submit %s: %w", describe(task), err)
	}
	resp, err := c.do(ctx, http.MethodPost, "/v0/tasks", task)
	if err != nil {
		return "", fmt.Errorf("submit %s: %w", describe(task), err)
	}
	switch resp.status {
	case http.StatusOK, http.StatusCreated, http.StatusAccepted:
	default:
		return "", fmt.Errorf("submit %s: %w", describe(task), resp.httpError())
	}
	var body struct {
		ID string `json:"id"`
	}
	if err := resp.decode("submit response", &body); err != nil {
		return "", fmt.Errorf("submit %s: %w", describe(task), err)
	}
	if body.ID == "" {
		return "", fmt.Errorf("submit %s: sidecar answered %d without an id", describe(task), resp.status)
	}
	return body.ID, nil
}

// describe names a task for error messages, e.g. "config-apply task <id>".
func describe(task Task) string {
	name := "task"
	if task.Type != "" {
		name = task.Type + " task"
	}
	if task.ID != "" {
		name += " " + task.ID
	}
	return name
}

// validateTask rejects what the sidecar would reject for its shape, so a
// programming error is reported as permanent without a round trip. The id
// is deliberately not checked: its format is the sidecar's to judge.
func validateTask(task Task) error {
	if task.Type == "" {
		return fmt.Errorf("%w: type is required", ErrInvalidTask)
	}
	params := bytes.TrimSpace(task.Params)
	if len(params) == 0 || bytes.Equal(params, []byte("null")) {
		return nil
	}
	if params[0] != '{' || !json.Valid(params) {
		return fmt.Errorf("%w: params of %s must be a JSON object", ErrInvalidTask, task.Type)
	}
	return nil
}

// GetTask returns the task record for id. An unknown id yields an error
// matching ErrNotFound.
func (c *Client) GetTask(ctx context.Context, id string) (*TaskResult, error) {
	if id == "" {
		return nil, fmt.Errorf("get task: %w: id is required", ErrInvalidTask)
	}
	resp, err := c.do(ctx, http.MethodGet, "/v0/tasks/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, fmt.Errorf("get task %s: %w", id, err)
	}
	if resp.status != http.StatusOK {
		return nil, fmt.Errorf("get task %s: %w", id, resp.httpError())
	}
	var result TaskResult
	if err := resp.decode("task result", &result); err != nil {
		return nil, fmt.Errorf("get task %s: %w", id, err)
	}
	return &result, nil
}

// ListTasks returns the sidecar's most recent task records, newest
// submission first. seictl returns at most 100.
func (c *Client) ListTasks(ctx context.Context) ([]TaskResult, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v0/tasks", nil)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	if resp.status != http.StatusOK {
		return nil, fmt.Errorf("list tasks: %w", resp.httpError())
	}
	results := []TaskResult{}
	if err := resp.decode("task list", &results); err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return results, nil
}

// DeleteTask removes the record for id, cancelling the task first if it is
// running. An unknown id yields an error matching ErrNotFound. seictl answers
// 503 with Retry-After when its store hiccups; the task is then left intact
// and the error (an *HTTPError carrying RetryAfter) is transient.
func (c *Client) DeleteTask(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("delete task: %w: id is required", ErrInvalidTask)
	}
	resp, err := c.do(ctx, http.MethodDelete, "/v0/tasks/"+url.PathEscape(id), nil)
	if err != nil {
		return fmt.Errorf("delete task %s: %w", id, err)
	}
	switch resp.status {
	case http.StatusNoContent, http.StatusOK:
		return nil
	default:
		return fmt.Errorf("delete task %s: %w", id, resp.httpError())
	}
}
