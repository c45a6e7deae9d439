package auth

import (
	"sync"
	"time"
)

// ttlCache is a small bounded map whose entries lapse at a deadline. It keeps
// hot-path lookups (sessions, API keys, verified tokens) off the store and
// off signature verification.
type ttlCache[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]ttlEntry[V]
	max int
}

type ttlEntry[V any] struct {
	v     V
	until time.Time
}

func newTTLCache[K comparable, V any](max int) *ttlCache[K, V] {
	return &ttlCache[K, V]{m: make(map[K]ttlEntry[V]), max: max}
}

func (c *ttlCache[K, V]) get(k K, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// put stores v until the deadline unless keep reports that the current live
// entry must stay (e.g. a revocation tombstone must not be overwritten by a
// concurrent reader that saw the row before it was revoked).
func (c *ttlCache[K, V]) put(k K, v V, until time.Time, now time.Time, keep func(old V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok && keep != nil && now.Before(old.until) && keep(old.v) {
		return
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[k] = ttlEntry[V]{v: v, until: until}
}

func (c *ttlCache[K, V]) del(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// evict drops lapsed entries, then arbitrary ones until a quarter is free, so
// a flood of distinct keys costs memory only up to max.
func (c *ttlCache[K, V]) evict(now time.Time) {
	for k, e := range c.m {
		if !now.Before(e.until) {
			delete(c.m, k)
		}
	}
	for k := range c.m {
		if len(c.m) < c.max*3/4 {
			break
		}
		delete(c.m, k)
	}
}
