package sidecartest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
)

// Fleet serves a fake sidecar for every node from one loopback listener, so
// an integration test with many SeiNodes needs one port, not one per node.
// Node namespace/name is reached under the path prefix /namespace/name;
// Address returns that base URL, and fits a func(namespace, name string)
// string that the agent uses in place of the in-cluster DNS name.
//
// Nodes come into being on first use, by Node or by the first request for
// them, with a node ID derived from namespace/name (see NodeIDFor).
type Fleet struct {
	srv *httptest.Server

	mu     sync.Mutex
	nodes  map[string]*Server
	closed bool
}

// NewFleet starts an empty fleet.
func NewFleet() *Fleet {
	f := &Fleet{nodes: map[string]*Server{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/{namespace}/{name}/{rest...}", f.route)
	f.srv = httptest.NewServer(mux)
	return f
}

// Address returns the base URL of the sidecar of node namespace/name.
func (f *Fleet) Address(namespace, name string) string {
	return f.srv.URL + "/" + namespace + "/" + name
}

// Node returns the fake sidecar of namespace/name, creating it if needed.
func (f *Fleet) Node(namespace, name string) *Server {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := namespace + "/" + name
	if s, ok := f.nodes[k]; ok {
		return s
	}
	s := newNode(NodeIDFor(namespace, name))
	s.url = f.Address(namespace, name)
	if f.closed {
		s.Close()
	}
	f.nodes[k] = s
	return s
}

// Nodes returns the "namespace/name" keys of every node created so far,
// sorted, so a test can check which sidecars the code under test touched.
func (f *Fleet) Nodes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := make([]string, 0, len(f.nodes))
	for k := range f.nodes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Close closes every node and the listener.
func (f *Fleet) Close() {
	f.mu.Lock()
	f.closed = true
	nodes := make([]*Server, 0, len(f.nodes))
	for _, s := range f.nodes {
		nodes = append(nodes, s)
	}
	f.mu.Unlock()
	for _, s := range nodes {
		s.Close()
	}
	f.srv.Close()
}

// route strips /namespace/name and hands the request to that node.
func (f *Fleet) route(w http.ResponseWriter, r *http.Request) {
	node := f.Node(r.PathValue("namespace"), r.PathValue("name"))
	inner := r.Clone(r.Context())
	inner.URL.Path = "/" + r.PathValue("rest")
	inner.URL.RawPath = ""
	inner.RequestURI = inner.URL.RequestURI()
	node.handler.ServeHTTP(w, inner)
}

// NodeIDFor is the node ID a Fleet gives namespace/name: the first 20 bytes
// of SHA-256("namespace/name") in hex, stable across runs so tests can
// predict peer strings. SetNodeID overrides it.
func NodeIDFor(namespace, name string) string {
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	return hex.EncodeToString(sum[:20])
}
