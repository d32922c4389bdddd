package framework

import (
	"bytes"
	"sync"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// LogSink collects the log lines of the hub and agents, to scan them (for key material, for example).
type LogSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (s *LogSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// String returns everything logged so far.
func (s *LogSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// logger returns a logger writing JSON lines to sink at the most verbose level, named name, or nil
// without a sink.
func (s *LogSink) logger(name string) *logr.Logger {
	if s == nil {
		return nil
	}
	l := zap.New(zap.WriteTo(s), zap.Level(zapcore.Level(-10))).WithName(name)
	return &l
}
