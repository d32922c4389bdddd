package scale

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// countingProxy forwards every request to one API endpoint with that endpoint's credentials and counts
// them, so that the requests of one client (the hub) are counted apart from everyone else's.
type countingProxy struct {
	server        *httptest.Server
	reads, writes atomic.Int64

	mu    sync.Mutex
	byUse map[string]int64 // "PATCH seinodes/status" -> count
}

func startCountingProxy(target *rest.Config) (*countingProxy, error) {
	u, err := url.Parse(target.Host)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", target.Host, err)
	}
	transport, err := rest.TransportFor(target)
	if err != nil {
		return nil, fmt.Errorf("transport to %s: %w", target.Host, err)
	}
	p := &countingProxy{}
	forward := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = u.Host
		},
		Transport:     transport,
		FlushInterval: -1, // watches stream
	}
	p.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			p.reads.Add(1)
		default:
			p.writes.Add(1)
		}
		p.count(r)
		forward.ServeHTTP(w, r)
	}))
	return p, nil
}

// count notes a request by method and resource (watches apart), for where the requests go.
func (p *countingProxy) count(r *http.Request) {
	use := r.Method + " " + resourceOf(r.URL.Path)
	if r.URL.Query().Get("watch") == "true" || r.URL.Query().Get("watch") == "1" {
		use = "WATCH " + resourceOf(r.URL.Path)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byUse == nil {
		p.byUse = map[string]int64{}
	}
	p.byUse[use]++
}

// uses returns the counts by method and resource.
func (p *countingProxy) uses() map[string]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.byUse)
}

// resourceOf names the resource (and subresource) of an API path: /apis/g/v/namespaces/ns/seinodes/x/status
// is "seinodes/status"; a path outside the resource API is itself.
func resourceOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		parts = parts[3:]
	default:
		return path
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		parts = parts[2:] // a namespaced resource
	}
	switch len(parts) {
	case 0:
		return path
	case 1, 2:
		return parts[0]
	default:
		return parts[0] + "/" + parts[2]
	}
}

// requests is every request counted so far (a watch counts once, when it opens).
func (p *countingProxy) requests() int64 { return p.reads.Load() + p.writes.Load() }

// kubeconfig reaches the proxy: plain HTTP on loopback, no credentials.
func (p *countingProxy) kubeconfig(name string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: p.server.URL}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	cfg.CurrentContext = name
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("write kubeconfig of %s: %w", name, err)
	}
	return out, nil
}

func (p *countingProxy) close() {
	p.server.CloseClientConnections()
	p.server.Close()
}
