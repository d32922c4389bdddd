package clusterview

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// upstream is one real apiserver, shared by every view on it: one transport (its connections) and one
// cache of which resources are namespaced.
type upstream struct {
	key       string
	url       *url.URL
	transport http.RoundTripper

	mu sync.Mutex
	// namespaced maps a group-version path ("/api/v1", "/apis/sei.io/v1alpha1") to its resources and
	// whether each is namespaced; subresources are left out.
	namespaced map[string]map[string]bool
	refs       int
	// views are the names of the views open on the upstream, under upstreams' lock.
	views map[string]bool
}

var upstreams = struct {
	sync.Mutex
	byKey map[string]*upstream
}{byKey: map[string]*upstream{}}

// acquireUpstream returns the shared upstream for cfg, for the view called name; release it with
// releaseUpstream. It refuses a name whose namespaces could be another open view's: "a" and "a-b"
// both own the physical namespace "a-b-c".
func acquireUpstream(cfg *rest.Config, name string) (*upstream, error) {
	key := upstreamKey(cfg)
	upstreams.Lock()
	defer upstreams.Unlock()
	if u := upstreams.byKey[key]; u != nil {
		for other := range u.views {
			if other == name || strings.HasPrefix(other, name+"-") || strings.HasPrefix(name, other+"-") {
				return nil, fmt.Errorf("cluster view %s would share namespaces with cluster view %s on %s", name, other, cfg.Host)
			}
		}
		u.refs++
		u.views[name] = true
		return u, nil
	}
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("parse upstream address %q: %w", cfg.Host, err)
	}
	if target.Scheme == "" {
		// A bare host:port, as rest.Config allows.
		if target, err = url.Parse("https://" + cfg.Host); err != nil {
			return nil, fmt.Errorf("parse upstream address %q: %w", cfg.Host, err)
		}
	}
	transport, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("transport to %s: %w", cfg.Host, err)
	}
	u := &upstream{
		key: key, url: target, transport: transport, namespaced: map[string]map[string]bool{},
		refs: 1, views: map[string]bool{name: true},
	}
	upstreams.byKey[key] = u
	return u, nil
}

// releaseUpstream drops a reference; the last one closes the idle connections, so a closed view leaves
// no connection goroutines behind.
func releaseUpstream(u *upstream, name string) {
	upstreams.Lock()
	defer upstreams.Unlock()
	delete(u.views, name)
	u.refs--
	if u.refs > 0 {
		return
	}
	delete(upstreams.byKey, u.key)
	// client-go wraps its cached *http.Transport: unwrap down to it.
	for rt := u.transport; rt != nil; {
		if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
			c.CloseIdleConnections()
		}
		w, ok := rt.(interface{ WrappedRoundTripper() http.RoundTripper })
		if !ok {
			break
		}
		rt = w.WrappedRoundTripper()
	}
}

// upstreamKey identifies an upstream apiserver and the credentials used on it.
func upstreamKey(cfg *rest.Config) string {
	h := sha256.New()
	for _, s := range []string{cfg.Host, cfg.APIPath, cfg.Username, cfg.Password, cfg.BearerToken, cfg.BearerTokenFile, cfg.CertFile, cfg.KeyFile, cfg.CAFile} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, b := range [][]byte{cfg.CertData, cfg.KeyData, cfg.CAData} {
		h.Write(b)
		h.Write([]byte{0})
	}
	return string(h.Sum(nil))
}

// isNamespaced reports whether resource of the group-version at gvPath is namespaced, reading the
// upstream's discovery once per group-version and again when a resource is unknown (a CRD installed
// since).
func (u *upstream) isNamespaced(ctx context.Context, gvPath, resource string) (bool, error) {
	u.mu.Lock()
	ns, known := u.namespaced[gvPath][resource]
	u.mu.Unlock()
	if known {
		return ns, nil
	}
	resources, err := u.discover(ctx, gvPath)
	if err != nil {
		return false, err
	}
	u.mu.Lock()
	u.namespaced[gvPath] = resources
	u.mu.Unlock()
	return resources[resource], nil
}

func (u *upstream) discover(ctx context.Context, gvPath string) (map[string]bool, error) {
	target := *u.url
	target.Path = strings.TrimSuffix(target.Path, "/") + gvPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", gvPath, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := u.transport.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", gvPath, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode == http.StatusNotFound {
		return map[string]bool{}, nil
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("discover %s: %s: %s", gvPath, resp.Status, body)
	}
	var list metav1.APIResourceList
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("discover %s: %w", gvPath, err)
	}
	resources := make(map[string]bool, len(list.APIResources))
	for _, r := range list.APIResources {
		if !strings.Contains(r.Name, "/") {
			resources[r.Name] = r.Namespaced
		}
	}
	return resources, nil
}
