package sidecartest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// probePaths bypass authentication, as in seictl's trusted-header mode and
// the kube-rbac-proxy --allow-paths the controller configures.
var probePaths = map[string]bool{
	"/v0/healthz": true, "/v0/startupz": true, "/v0/livez": true, "/v0/metrics": true,
}

// listLimit is how many records GET /v0/tasks returns, as in seictl.
const listLimit = 100

// routes registers the same patterns as seictl's server.NewServer, so
// unknown paths get 404 and wrong methods 405 from the ServeMux alike.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v0/healthz", s.handleHealthz)
	mux.HandleFunc("GET /v0/startupz", s.handleHealthz)
	mux.HandleFunc("GET /v0/livez", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /v0/status", s.handleStatus)
	mux.HandleFunc("GET /v0/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = fmt.Fprintln(w, "# fake seictl sidecar: no metrics")
	})
	mux.HandleFunc("GET /v0/node-id", s.handleNodeID)
	mux.HandleFunc("POST /v0/tasks", s.handlePostTask)
	mux.HandleFunc("GET /v0/tasks", s.handleListTasks)
	mux.HandleFunc("GET /v0/tasks/{id}", s.handleGetTask)
	mux.HandleFunc("DELETE /v0/tasks/{id}", s.handleDeleteTask)
	return s.middleware(mux)
}

// middleware applies the transport-level scripts: unreachable, latency and
// the bearer-token proxy.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down, latency, token := s.unreachable, s.latency, s.token
		s.mu.Unlock()
		if down {
			dropConnection(w)
			return
		}
		if latency > 0 {
			timer := time.NewTimer(latency)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-r.Context().Done():
				return
			case <-s.done:
				return
			}
		}
		if token != "" && !probePaths[r.URL.Path] && r.Header.Get("Authorization") != "Bearer "+token {
			// kube-rbac-proxy answers a failed TokenReview in plain text.
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// dropConnection closes the connection without a response.
func dropConnection(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): the closest thing is a bare 502.
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	_ = conn.Close()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	if s.Healthy() {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusServiceUnavailable)
}

func (s *Server) handleStatus(w http.ResponseWriter, _ *http.Request) {
	status := "Initializing"
	if s.Healthy() {
		status = "Ready"
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": status})
}

func (s *Server) handleNodeID(w http.ResponseWriter, _ *http.Request) {
	id := s.NodeID()
	if id == "" {
		writeError(w, http.StatusInternalServerError,
			"node_key.json not found — generate-identity may not have run yet")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"nodeId": id})
}

// taskRequest is the POST /v0/tasks body as seictl decodes it: params must be
// a JSON object or absent.
type taskRequest struct {
	ID     string         `json:"id,omitempty"`
	Type   string         `json:"type"`
	Params map[string]any `json:"params,omitempty"`
}

func (s *Server) handlePostTask(w http.ResponseWriter, r *http.Request) {
	var req taskRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid request body")
		return
	}
	if req.Type == "" {
		writeError(w, http.StatusBadRequest, "type is required")
		return
	}
	// The engine checks the type before the id, and reports both as 400.
	if !knownTypes[req.Type] {
		writeError(w, http.StatusBadRequest, "unknown task type: "+req.Type)
		return
	}
	id := req.ID
	if id == "" {
		id = uuid.NewString()
	} else if _, err := uuid.Parse(id); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("task ID must be a valid UUID: %q", id))
		return
	}
	s.mu.Lock()
	s.submitLocked(id, req.Type, req.Params)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func (s *Server) handleListTasks(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	list := s.listLocked(listLimit)
	s.mu.Unlock()
	out := make([]wireTask, 0, len(list))
	for _, t := range list {
		out = append(out, toWire(t))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetTask(w http.ResponseWriter, r *http.Request) {
	t, ok := s.Task(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "task not found")
		return
	}
	writeJSON(w, http.StatusOK, toWire(t))
}

func (s *Server) handleDeleteTask(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	deleted := s.deleteLocked(r.PathValue("id"))
	s.mu.Unlock()
	if !deleted {
		writeError(w, http.StatusNotFound, "task not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// wireTask is seictl's engine.TaskResult JSON; it has Task's fields so that
// one converts to the other.
type wireTask struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Status      string          `json:"status"`
	Run         int             `json:"run"`
	Params      map[string]any  `json:"params,omitempty"`
	Result      json.RawMessage `json:"result,omitempty"`
	Error       string          `json:"error,omitempty"`
	SubmittedAt time.Time       `json:"submittedAt"`
	CompletedAt *time.Time      `json:"completedAt,omitempty"`
}

func toWire(t Task) wireTask { return wireTask(t) }
