package testfleet

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Proxy is one API endpoint whose backend a test switches from one control plane to another, the way
// a DNS change, a load balancer or a cluster rebuilt behind the same address looks to a client: the
// kubeconfig stays the same and reaches another cluster. It serves plain HTTP on localhost and
// forwards every request with the backend's admin credentials. A switch also ends the requests and
// watches open on the old backend, as a moved address ends their connections.
type Proxy struct {
	server *httptest.Server

	mu      sync.RWMutex
	backend *ControlPlane
	forward *httputil.ReverseProxy
	// gen ends with the backend: Switch cancels it.
	gen    context.Context
	cancel context.CancelFunc
}

// StartProxy starts a Proxy in front of backend. Close it when done.
func StartProxy(backend *ControlPlane) (*Proxy, error) {
	p := &Proxy{}
	if err := p.Switch(backend); err != nil {
		return nil, err
	}
	p.server = httptest.NewServer(http.HandlerFunc(p.serve))
	return p, nil
}

// Switch sends every later request to backend and ends the ones in flight.
func (p *Proxy) Switch(backend *ControlPlane) error {
	target, err := url.Parse(backend.Config.Host)
	if err != nil {
		return fmt.Errorf("parse address of %s: %w", backend.Name, err)
	}
	transport, err := rest.TransportFor(backend.Config)
	if err != nil {
		return fmt.Errorf("transport to %s: %w", backend.Name, err)
	}
	forward := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = target.Host
		},
		Transport:     transport,
		FlushInterval: -1, // watches stream
	}
	gen, cancel := context.WithCancel(context.Background())
	p.mu.Lock()
	old := p.cancel
	p.backend, p.forward, p.gen, p.cancel = backend, forward, gen, cancel
	p.mu.Unlock()
	if old != nil {
		old()
	}
	return nil
}

// Backend is the control plane the proxy forwards to now.
func (p *Proxy) Backend() *ControlPlane {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.backend
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.RLock()
	forward, gen := p.forward, p.gen
	p.mu.RUnlock()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(gen, cancel)
	defer stop()
	forward.ServeHTTP(w, r.WithContext(ctx))
}

// Kubeconfig is a kubeconfig for the proxy: plain HTTP, no credentials.
func (p *Proxy) Kubeconfig() ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: p.server.URL}
	cfg.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy"}
	cfg.CurrentContext = "proxy"
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("write proxy kubeconfig: %w", err)
	}
	return out, nil
}

// Close stops the proxy and ends every request in flight.
func (p *Proxy) Close() {
	p.mu.RLock()
	cancel := p.cancel
	p.mu.RUnlock()
	cancel()
	p.server.CloseClientConnections()
	p.server.Close()
}
