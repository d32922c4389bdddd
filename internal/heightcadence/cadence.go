// Package heightcadence bounds how often the hub rewrites an object's status for a change that only
// moves block heights. Every running node's height changes on every read the agent makes (30 s by
// default); copied up as it comes, a fleet of 10,000 full nodes would keep the hub apiserver writing
// hundreds of records and 100-row deployment statuses a second with nothing else changing.
package heightcadence

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Limiter remembers when each object's status last took a new height. Its zero value, or an Interval
// of 0, holds nothing back. Safe for concurrent use.
type Limiter struct {
	// Interval is the least time between two status writes that only move an object's heights.
	Interval time.Duration

	mu   sync.Mutex
	last map[types.UID]time.Time
	// pruneAt is the map size at which expired entries are dropped: twice the count left by the last
	// pruning, so that a steady fleet prunes rarely.
	pruneAt int
}

// Wait is how long a height-only change of the object uid must wait from now (0: write it now).
func (l *Limiter) Wait(uid types.UID, now time.Time) time.Duration {
	if l == nil || l.Interval <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.last[uid]
	if !ok {
		return 0
	}
	return max(0, t.Add(l.Interval).Sub(now))
}

// Wrote notes that the object's status took a new height at now.
func (l *Limiter) Wrote(uid types.UID, now time.Time) {
	if l == nil || l.Interval <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[types.UID]time.Time{}
	}
	l.last[uid] = now
	if len(l.last) >= max(l.pruneAt, minPruneAt) {
		// An entry older than the interval holds nothing back, as a missing one: deleted objects
		// leave the map without a hook.
		for k, t := range l.last {
			if now.Sub(t) >= l.Interval {
				delete(l.last, k)
			}
		}
		l.pruneAt = 2 * len(l.last)
	}
}

const minPruneAt = 1024
