package sidecartest

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"time"

	seiconfig "github.com/sei-protocol/sei-config"
)

// Wire values of a task's status.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// Task is a snapshot of one task record.
type Task struct {
	ID          string
	Type        string
	Status      string
	Run         int
	Params      map[string]any
	Result      json.RawMessage
	Error       string
	SubmittedAt time.Time
	CompletedAt *time.Time
}

// task is the live record. gen identifies the current run so that a timer or
// release meant for an earlier run, or for a deleted record, does nothing.
type task struct {
	Task
	seq    uint64 // submission order, to break SubmittedAt ties in lists
	gen    uint64
	parked bool // finished its delay while its type was hung
	timer  *time.Timer
}

func (t *task) snapshot() Task {
	out := t.Task
	out.Params = maps.Clone(t.Params)
	out.Result = slices.Clone(t.Result)
	if t.CompletedAt != nil {
		at := *t.CompletedAt
		out.CompletedAt = &at
	}
	return out
}

// FailTask makes the next times runs of taskType fail with message (a
// default one if empty); a negative times fails every run until
// FailTask(taskType, 0, "") clears it.
func (s *Server) FailTask(taskType string, times int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if times == 0 {
		delete(s.failures, taskType)
		return
	}
	if message == "" {
		message = taskType + ": injected failure"
	}
	s.failures[taskType] = &failure{remaining: times, message: message}
}

// HangTask keeps tasks of taskType running, including those already running,
// until ReleaseTask(taskType).
func (s *Server) HangTask(taskType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hung[taskType] = true
}

// ReleaseTask lets hung tasks of taskType finish now (completing, or failing
// if FailTask says so) and later ones run normally.
func (s *Server) ReleaseTask(taskType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.hung, taskType)
	for _, t := range s.tasks {
		if t.Type == taskType && t.parked {
			t.parked = false
			s.finishLocked(t.ID, t.gen)
		}
	}
}

// Submissions counts accepted POSTs of taskType, deduplicated ones included.
func (s *Server) Submissions(taskType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.submissions[taskType]
}

// Runs counts how often the task with id started running, across deletions;
// a completed task that is resubmitted does not run again.
func (s *Server) Runs(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id]
}

// Tasks returns every current record, newest submission first.
func (s *Server) Tasks() []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listLocked(0)
}

// Task returns the record for id.
func (s *Server) Task(id string) (Task, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[id]
	if !ok {
		return Task{}, false
	}
	return t.snapshot(), true
}

// listLocked returns up to limit records (all when limit <= 0) in the order
// seictl's store uses: newest submission first.
func (s *Server) listLocked(limit int) []Task {
	live := slices.SortedFunc(maps.Values(s.tasks), func(a, b *task) int {
		if c := b.SubmittedAt.Compare(a.SubmittedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	if limit > 0 && len(live) > limit {
		live = live[:limit]
	}
	out := make([]Task, 0, len(live))
	for _, t := range live {
		out = append(out, t.snapshot())
	}
	return out
}

// submitLocked applies the engine's rules for a submission that passed
// validation: a new id runs, a failed id runs again, anything else is a no-op.
func (s *Server) submitLocked(id, taskType string, params map[string]any) {
	s.submissions[taskType]++
	if t, ok := s.tasks[id]; ok && t.Status != StatusFailed {
		return
	}
	prevRun := 0
	if t, ok := s.tasks[id]; ok {
		prevRun = t.Run
	}
	s.seq++
	t := &task{Task: Task{
		ID: id, Type: taskType, Status: StatusRunning, Run: prevRun + 1,
		Params: params, SubmittedAt: time.Now().UTC(),
	}, seq: s.seq}
	s.tasks[id] = t
	s.runs[id]++
	s.gen++
	t.gen = s.gen
	if s.delay > 0 {
		gen := t.gen
		t.timer = time.AfterFunc(s.delay, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.finishLocked(id, gen)
		})
		return
	}
	s.finishLocked(id, t.gen)
}

// finishLocked ends run gen of task id, unless the record moved on or its
// type is hung.
func (s *Server) finishLocked(id string, gen uint64) {
	t, ok := s.tasks[id]
	if !ok || t.gen != gen || t.Status != StatusRunning {
		return
	}
	t.timer = nil
	if s.hung[t.Type] {
		t.parked = true
		return
	}
	now := time.Now().UTC()
	t.CompletedAt = &now
	written, err := s.runConfigLocked(t)
	if err != nil {
		t.Status, t.Error = StatusFailed, err.Error()
		return
	}
	if msg, failed := s.outcomeLocked(t); failed {
		t.Status, t.Error = StatusFailed, msg
		return
	}
	if written != nil {
		s.config = written
	}
	t.Status = StatusCompleted
	t.Result = slices.Clone(s.results[t.Type])
	switch t.Type {
	case "mark-ready":
		s.ready = true
	case "mark-not-ready":
		// The real handler purges mark-ready records so that none can be
		// replayed to release a held seid; a caller sees them 404 afterwards.
		for id, other := range s.tasks {
			if other.Type == "mark-ready" {
				s.deleteLocked(id)
			}
		}
		s.ready = false
	}
}

// runConfigLocked runs a config-apply or config-validate with sei-config
// against the node's config: the error the real handler fails with, or, for a
// config-apply, the config it writes (kept only if no FailTask script fails
// the run).
func (s *Server) runConfigLocked(t *task) (*seiconfig.SeiConfig, error) {
	switch t.Type {
	case "config-apply":
		return configApply(t.Params, s.config)
	case "config-validate":
		return nil, configValidate(t.Params, s.config)
	}
	return nil, nil
}

// outcomeLocked decides whether a run fails, and why: bad params first (the
// real handler would not get further), then a FailTask script.
func (s *Server) outcomeLocked(t *task) (string, bool) {
	if err := checkParams(t.Type, t.Params, s.genesisHash); err != nil {
		return err.Error(), true
	}
	f, ok := s.failures[t.Type]
	if !ok {
		return "", false
	}
	if f.remaining > 0 {
		f.remaining--
		if f.remaining == 0 {
			delete(s.failures, t.Type)
		}
	}
	return f.message, true
}

// deleteLocked removes a record and stops its pending timer.
func (s *Server) deleteLocked(id string) bool {
	t, ok := s.tasks[id]
	if !ok {
		return false
	}
	if t.timer != nil {
		t.timer.Stop()
	}
	delete(s.tasks, id)
	return true
}

func (s *Server) stopTimersLocked() {
	for _, t := range s.tasks {
		if t.timer != nil {
			t.timer.Stop()
			t.timer = nil
		}
	}
}
