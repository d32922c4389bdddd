package clusters

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"k8s.io/client-go/rest"
)

// withRequestTimeout bounds every request to a member by timeout, except watches. A hung member
// must not hang a worker, but rest.Config.Timeout would do more than that: it becomes the
// http.Client's timeout, which also covers reading a watch's body, so every informer's watch would
// end and be re-opened once per timeout.
func withRequestTimeout(cfg *rest.Config, timeout time.Duration) {
	cfg.Timeout = 0
	cfg.Wrap(func(next http.RoundTripper) http.RoundTripper {
		return &timeoutTransport{next: next, timeout: timeout}
	})
}

type timeoutTransport struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if watch, _ := strconv.ParseBool(req.URL.Query().Get("watch")); watch {
		return t.next.RoundTrip(req)
	}
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	// The deadline covers reading the body; closing it releases the timer.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// WrappedRoundTripper lets client-go's transport debugging see through the wrapper.
func (t *timeoutTransport) WrappedRoundTripper() http.RoundTripper { return t.next }

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
