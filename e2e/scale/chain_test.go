package scale

import (
	"sync/atomic"
	"time"

	seiv1alpha1 "github.com/sei-protocol/sei-fleet/api/v1alpha1"
)

// chain is the block height every agent-equivalent reads for its nodes: held at frozenHeight until
// advance, then two blocks a second on, as a live chain's heights move under a fleet.
type chain struct {
	since atomic.Int64 // unix nanoseconds of advance; 0 while frozen
}

const frozenHeight = 100

func (c *chain) advance() { c.since.Store(time.Now().UnixNano()) }

func (c *chain) height(*seiv1alpha1.SeiNode) int64 {
	since := c.since.Load()
	if since == 0 {
		return frozenHeight
	}
	return frozenHeight + 2*int64(time.Since(time.Unix(0, since))/time.Second)
}
