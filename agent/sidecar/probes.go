package sidecar

import (
	"context"
	"fmt"
	"net/http"
)

// Healthz reports whether the sidecar has released seid: true on 200 (a
// mark-ready task has completed), false on 503 (not yet, or held again by
// mark-not-ready). Any other answer, or none, is an error, because "cannot
// tell" must not be mistaken for "not ready" by a caller that acts on it.
func (c *Client) Healthz(ctx context.Context) (bool, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v0/healthz", nil)
	if err != nil {
		return false, fmt.Errorf("probe healthz: %w", err)
	}
	switch resp.status {
	case http.StatusOK:
		return true, nil
	case http.StatusServiceUnavailable:
		return false, nil
	default:
		return false, fmt.Errorf("probe healthz: %w", resp.httpError())
	}
}

// NodeID returns the node's CometBFT node ID (40 hex characters), which the
// sidecar derives from config/node_key.json. Until that file exists seictl
// answers 500, which surfaces as a transient *HTTPError.
func (c *Client) NodeID(ctx context.Context) (string, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v0/node-id", nil)
	if err != nil {
		return "", fmt.Errorf("get node id: %w", err)
	}
	if resp.status != http.StatusOK {
		return "", fmt.Errorf("get node id: %w", resp.httpError())
	}
	var body struct {
		NodeID string `json:"nodeId"`
	}
	if err := resp.decode("node id", &body); err != nil {
		return "", fmt.Errorf("get node id: %w", err)
	}
	if body.NodeID == "" {
		return "", fmt.Errorf("get node id: response has no nodeId")
	}
	return body.NodeID, nil
}

// Status returns the sidecar's lifecycle state: SidecarReady once mark-ready
// has completed, SidecarInitializing otherwise. It carries the same fact as
// Healthz, as a body rather than a status code.
func (c *Client) Status(ctx context.Context) (SidecarStatus, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v0/status", nil)
	if err != nil {
		return "", fmt.Errorf("get status: %w", err)
	}
	if resp.status != http.StatusOK {
		return "", fmt.Errorf("get status: %w", resp.httpError())
	}
	var body struct {
		Status SidecarStatus `json:"status"`
	}
	if err := resp.decode("status", &body); err != nil {
		return "", fmt.Errorf("get status: %w", err)
	}
	if body.Status == "" {
		return "", fmt.Errorf("get status: response has no status")
	}
	return body.Status, nil
}
