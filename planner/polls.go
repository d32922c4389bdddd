package planner

import (
	"sync"
	"time"
)

// pollCounter counts, in memory, how often each running task has asked to be polled: its backoff
// grows with the count. Nothing is persisted (a poll is no reason to write status), so a restarted
// controller polls quickly again, which costs a few requests. Entries go when their task finishes
// or fails; those of tasks nobody runs any more (their object deleted) are swept once stale.
type pollCounter struct {
	mu     sync.Mutex
	counts map[string]pollCount
}

type pollCount struct {
	n    int32
	last time.Time
}

const (
	// pollSweepAbove is the number of entries above which stale ones are swept.
	pollSweepAbove = 1024
	// pollStale is how long an entry of a task nobody polled any more is kept.
	pollStale = time.Hour
)

// next records one more poll of task id and returns its number, from 1.
func (p *pollCounter) next(id string, now time.Time) int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.counts == nil {
		p.counts = map[string]pollCount{}
	}
	if len(p.counts) > pollSweepAbove {
		for k, c := range p.counts {
			if now.Sub(c.last) > pollStale {
				delete(p.counts, k)
			}
		}
	}
	c := p.counts[id]
	c.n++
	c.last = now
	p.counts[id] = c
	return c.n
}

// forget drops task id's count.
func (p *pollCounter) forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.counts, id)
}

// len is the number of tasks counted (for tests).
func (p *pollCounter) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.counts)
}
