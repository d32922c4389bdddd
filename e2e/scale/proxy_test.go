package scale

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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
		forward.ServeHTTP(w, r)
	}))
	return p, nil
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
