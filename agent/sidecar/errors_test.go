package sidecar_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/sei-protocol/sei-fleet/agent/sidecar"
)

func TestIsPermanent(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil, want: false},
		{name: "plain error", err: errors.New("dial tcp: connection refused"), want: false},
		{name: "deadline", err: fmt.Errorf("get task x: %w", context.DeadlineExceeded), want: false},
		{name: "canceled", err: context.Canceled, want: false},
		{name: "invalid task", err: fmt.Errorf("submit task: %w", sidecar.ErrInvalidTask), want: true},
		{name: "task failed", err: &sidecar.TaskFailedError{ID: "x", Message: "boom"}, want: true},
		{name: "400", err: &sidecar.HTTPError{StatusCode: http.StatusBadRequest}, want: true},
		{name: "405", err: &sidecar.HTTPError{StatusCode: http.StatusMethodNotAllowed}, want: true},
		{name: "wrapped 400", err: fmt.Errorf("submit: %w", &sidecar.HTTPError{StatusCode: 400}), want: true},
		{name: "401", err: &sidecar.HTTPError{StatusCode: http.StatusUnauthorized}, want: false},
		{name: "403", err: &sidecar.HTTPError{StatusCode: http.StatusForbidden}, want: false},
		{name: "404", err: &sidecar.HTTPError{StatusCode: http.StatusNotFound}, want: false},
		{name: "429", err: &sidecar.HTTPError{StatusCode: http.StatusTooManyRequests}, want: false},
		{name: "500", err: &sidecar.HTTPError{StatusCode: http.StatusInternalServerError}, want: false},
		{name: "503", err: &sidecar.HTTPError{StatusCode: http.StatusServiceUnavailable}, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			NewWithT(t).Expect(sidecar.IsPermanent(tc.err)).To(Equal(tc.want))
		})
	}
}

func TestHTTPErrorMatchesNotFoundOnlyFor404(t *testing.T) {
	g := NewWithT(t)
	g.Expect(fmt.Errorf("get task x: %w", &sidecar.HTTPError{StatusCode: 404})).To(MatchError(sidecar.ErrNotFound))
	g.Expect(errors.Is(&sidecar.HTTPError{StatusCode: 400}, sidecar.ErrNotFound)).To(BeFalse())
	g.Expect((&sidecar.HTTPError{StatusCode: 400, Message: "type is required"}).Error()).
		To(Equal("sidecar answered 400: type is required"))
	g.Expect((&sidecar.HTTPError{StatusCode: 502}).Error()).To(Equal("sidecar answered 502 Bad Gateway"))
}

func TestErrorMessagesFromNonJSONBodiesAndRetryAfter(t *testing.T) {
	g := NewWithT(t)
	srv := newRawServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "3")
		http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
	})
	err := sidecar.New(srv).DeleteTask(t.Context(), "x")
	var httpErr *sidecar.HTTPError
	g.Expect(errors.As(err, &httpErr)).To(BeTrue())
	g.Expect(httpErr.Message).To(Equal("upstream connect error"))
	g.Expect(httpErr.RetryAfter).To(Equal(3 * time.Second))
	g.Expect(err.Error()).To(HavePrefix("delete task x: "))
}

func TestClientRejectsMalformedAnswers(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		call func(context.Context, *sidecar.Client) error
	}{
		{name: "submit without id", body: `{}`, call: func(ctx context.Context, c *sidecar.Client) error {
			_, err := c.SubmitTask(ctx, sidecar.Task{Type: sidecar.TaskTypeMarkReady})
			return err
		}},
		{name: "node id missing", body: `{"id":"x"}`, call: func(ctx context.Context, c *sidecar.Client) error {
			_, err := c.NodeID(ctx)
			return err
		}},
		{name: "status missing", body: `{}`, call: func(ctx context.Context, c *sidecar.Client) error {
			_, err := c.Status(ctx)
			return err
		}},
		{name: "task not JSON", body: `<html>`, call: func(ctx context.Context, c *sidecar.Client) error {
			_, err := c.GetTask(ctx, "x")
			return err
		}},
		{name: "unknown task status", body: `{"id":"x","type":"mark-ready","status":"queued"}`, call: func(ctx context.Context, c *sidecar.Client) error {
			_, err := sidecar.Run(ctx, c, sidecar.Task{ID: "x", Type: sidecar.TaskTypeMarkReady})
			return err
		}},
		{name: "healthz teapot", body: ``, call: func(ctx context.Context, c *sidecar.Client) error {
			_, err := c.Healthz(ctx)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			url := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v0/healthz" {
					w.WriteHeader(http.StatusTeapot)
					return
				}
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte(tc.body))
			})
			err := tc.call(t.Context(), sidecar.New(url))
			g.Expect(err).To(HaveOccurred())
		})
	}
}

func TestFileTokenSourceRereadsTheFile(t *testing.T) {
	g := NewWithT(t)
	path := filepath.Join(t.TempDir(), "token")
	ts := sidecar.FileTokenSource(path)
	_, err := ts(t.Context())
	g.Expect(err).To(MatchError(os.ErrNotExist))

	g.Expect(os.WriteFile(path, []byte("first\n"), 0o600)).To(Succeed())
	g.Expect(ts(t.Context())).To(Equal("first"))
	g.Expect(os.WriteFile(path, []byte("rotated"), 0o600)).To(Succeed())
	g.Expect(ts(t.Context())).To(Equal("rotated"))
	g.Expect(os.WriteFile(path, []byte(" \n"), 0o600)).To(Succeed())
	_, err = ts(t.Context())
	g.Expect(err).To(MatchError(ContainSubstring("is empty")))
}
