package sidecar

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds each request unless WithTimeout says otherwise. Every
// sidecar call is a quick store read or write (task work runs in the
// background), so a slow answer means a sick pod, not a busy one.
const DefaultTimeout = 10 * time.Second

// maxResponseBytes caps how much of a response is read: a full task list is
// 100 records, far below this, and a misrouted request must not make the
// agent buffer an arbitrary body.
const maxResponseBytes = 8 << 20

// TokenSource returns the bearer token to present to the kube-rbac-proxy in
// front of the sidecar. It is called once per request so a rotated token is
// picked up without restarting the agent.
type TokenSource func(ctx context.Context) (string, error)

// FileTokenSource reads the token from path on every call: kubelet rewrites a
// projected ServiceAccount token file in place well before it expires, so
// caching it would eventually send an expired one.
func FileTokenSource(path string) TokenSource {
	return func(context.Context) (string, error) {
		raw, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("read token file: %w", err)
		}
		token := strings.TrimSpace(string(raw))
		if token == "" {
			return "", fmt.Errorf("token file %s is empty", path)
		}
		return token, nil
	}
}

// StaticTokenSource always returns token.
func StaticTokenSource(token string) TokenSource {
	return func(context.Context) (string, error) { return token, nil }
}

// Client talks to one sidecar. It is safe for concurrent use.
type Client struct {
	baseURL    string
	httpClient *http.Client
	token      TokenSource
	timeout    time.Duration
	// validator: the node is a validator; only ValidatorTaskTypes are sent (ForValidator).
	validator bool
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client, e.g. one with a TLS config for the
// proxy. Its own Timeout, if any, applies in addition to WithTimeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.httpClient = hc
		}
	}
}

// WithTokenSource makes every request carry "Authorization: Bearer <token>".
func WithTokenSource(ts TokenSource) Option {
	return func(c *Client) { c.token = ts }
}

// WithTimeout sets the per-request deadline; zero or less disables it, which
// leaves only the caller's context in charge.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// New returns a client for the sidecar at baseURL, e.g.
// "http://node-0.node.ns.svc.cluster.local:8443". A path prefix is kept, so
// a base URL may point below a router (sidecartest.Fleet uses one).
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		baseURL:    strings.TrimRight(baseURL, "/"),
		httpClient: http.DefaultClient,
		timeout:    DefaultTimeout,
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// BaseURL returns the address the client was built for.
func (c *Client) BaseURL() string { return c.baseURL }

// response is a fully read HTTP response. Reading the body inside do lets the
// per-request deadline cover the body too.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request. body, when not nil, is encoded as JSON.
func (c *Client) do(ctx context.Context, method, path string, body any) (*response, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, reader)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != nil {
		token, err := c.token(ctx)
		if err != nil {
			return nil, fmt.Errorf("get bearer token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: raw}, nil
}

// httpError turns an unexpected response into an *HTTPError.
func (r *response) httpError() *HTTPError {
	e := &HTTPError{StatusCode: r.status, RetryAfter: parseRetryAfter(r.header.Get("Retry-After"))}
	var envelope struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r.body, &envelope); err == nil && envelope.Error != "" {
		e.Message = envelope.Error
		return e
	}
	// Proxies answer in plain text; keep enough of it to diagnose.
	msg := strings.TrimSpace(string(r.body))
	if len(msg) > 256 {
		msg = msg[:256] + "..."
	}
	e.Message = msg
	return e
}

// decode parses a JSON body, naming what was expected when it does not fit.
func (r *response) decode(what string, v any) error {
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// parseRetryAfter reads the delay-seconds form; seictl sends only that, and
// an HTTP-date from elsewhere is honored as well as a duration from now.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := time.Until(at); d > 0 {
			return d
		}
	}
	return 0
}
