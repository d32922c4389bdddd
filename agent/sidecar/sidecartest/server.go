package sidecartest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	seiconfig "github.com/sei-protocol/sei-config"
)

// Server is a fake sidecar for one node.
type Server struct {
	// srv is nil for a Fleet node, whose listener the Fleet owns.
	srv     *httptest.Server
	url     string
	handler http.Handler
	// done is closed by Close so that requests held by SetLatency return.
	done      chan struct{}
	closeOnce sync.Once

	mu sync.Mutex
	// Scripted behaviour; kept by Reset only where noted.
	nodeID      string // kept by Reset
	token       string // kept by Reset
	ready       bool
	delay       time.Duration
	latency     time.Duration
	unreachable bool
	genesisHash string
	failures    map[string]*failure
	hung        map[string]bool
	results     map[string]json.RawMessage
	// config is the node's config on disk (config.go): written by a successful config-apply, read
	// by config-validate and incremental config-apply.
	config *seiconfig.SeiConfig
	// Task state and counters.
	tasks       map[string]*task
	submissions map[string]int
	runs        map[string]int
	seq         uint64
	gen         uint64
}

// failure is a FailTask script: remaining < 0 fails every run.
type failure struct {
	remaining int
	message   string
}

// NewServer starts a fake sidecar on a loopback listener. It has a random
// node ID, is not ready, and completes every task at once.
func NewServer() *Server {
	s := newNode(randomNodeID())
	s.srv = httptest.NewServer(s.handler)
	s.url = s.srv.URL
	return s
}

// newNode builds a Server without a listener.
func newNode(nodeID string) *Server {
	s := &Server{nodeID: nodeID, done: make(chan struct{})}
	s.resetLocked()
	s.handler = s.routes()
	return s
}

// URL is the base URL to give sidecar.New.
func (s *Server) URL() string { return s.url }

// Close stops pending task timers, releases requests held by SetLatency and,
// for a standalone Server, shuts the listener down. Tasks stay readable.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	s.mu.Lock()
	s.stopTimersLocked()
	s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
	}
}

// Reset forgets all tasks, counters and scripted behaviour and makes the
// sidecar not ready, as a fresh NewServer would be; the listener, the node ID
// and the RequireToken setting are kept.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopTimersLocked()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.ready = false
	s.delay = 0
	s.latency = 0
	s.unreachable = false
	s.genesisHash = ""
	s.failures = map[string]*failure{}
	s.hung = map[string]bool{}
	s.results = map[string]json.RawMessage{}
	s.config = initHome(seiconfig.ModeFull)
	s.tasks = map[string]*task{}
	s.submissions = map[string]int{}
	s.runs = map[string]int{}
}

// SetNodeID sets what GET /v0/node-id returns. An empty id makes it answer
// 500 like a sidecar whose node_key.json does not exist yet.
func (s *Server) SetNodeID(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodeID = id
}

// NodeID returns the node ID the fake reports.
func (s *Server) NodeID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nodeID
}

// SetHealthy sets the readiness flag behind healthz, startupz and status, as
// if a mark-ready (true) or mark-not-ready (false) had just completed. Later
// such tasks change it again.
func (s *Server) SetHealthy(ready bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ready = ready
}

// Healthy reports the readiness flag.
func (s *Server) Healthy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready
}

// SetDelay makes each run finish d after it starts instead of before its POST
// returns. It applies to runs started afterwards.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// SetLatency holds every HTTP response for d (or until the client gives up),
// to exercise client timeouts.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetUnreachable makes the fake drop every connection without answering, as
// a sidecar whose pod is gone would look to a client.
func (s *Server) SetUnreachable(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unreachable = down
}

// RequireToken puts a kube-rbac-proxy in front: requests other than the
// probe paths must carry "Authorization: Bearer <token>" or get 401. An empty
// token removes the check.
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// SetGenesisHash sets the SHA-256 (bare hex) of the genesis the node would
// fetch: a configure-genesis whose expectedGenesisHash differs fails, as the
// real sidecar fails closed. Empty disables the check.
func (s *Server) SetGenesisHash(hash string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.genesisHash = hash
}

// SetResult sets the structured result stamped on completed tasks of
// taskType, e.g. config-validate diagnostics.
func (s *Server) SetResult(taskType string, result json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results[taskType] = result
}

// randomNodeID returns 40 hex characters, the shape of a CometBFT node ID.
func randomNodeID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
