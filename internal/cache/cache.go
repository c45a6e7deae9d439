// Package cache is a bounded in-memory map for values that do not go stale
// (a wallet's owner, a deployed collection) or that are only hints (the
// last gas estimate of a call shape).
package cache

import "sync"

// Map maps keys to values, at most Max of them (unbounded when Max ≤ 0):
// a Put into a full map starts it over, since it is a cache, not a copy of
// what it caches. The zero value, with Max set, is ready; it is safe for
// concurrent use.
type Map[K comparable, V any] struct {
	Max int

	mu sync.RWMutex
	m  map[K]V
}

// Get returns the value of k, if any.
func (c *Map[K, V]) Get(k K) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

// Put sets k's value.
func (c *Map[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || (c.Max > 0 && len(c.m) >= c.Max) {
		c.m = make(map[K]V)
	}
	c.m[k] = v
}
