package gateway

import (
	"math"
	"sync"
	"time"
)

// limiter is a token bucket per key (a principal, or a guest's address):
// perMinute tokens a minute, bursting up to perMinute. A zero limiter
// (perMinute 0) allows everything.
type limiter struct {
	perMinute float64
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds memory: past it, full buckets (idle keys) are dropped.
const maxBuckets = 10_000

func newLimiter(perMinute int64) *limiter {
	return &limiter{perMinute: float64(perMinute), now: time.Now, buckets: map[string]*bucket{}}
}

// take spends n tokens of key's bucket. When there are not enough it spends
// nothing and says how long until there will be. n above the burst is
// charged as the whole burst, so a large batch waits but is never refused
// forever.
func (l *limiter) take(key string, n int) (ok bool, retryAfter time.Duration) {
	if l == nil || l.perMinute <= 0 {
		return true, 0
	}
	cost := min(float64(n), l.perMinute)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.gc(now)
		}
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
	if b.tokens >= cost {
		b.tokens -= cost
		return true, 0
	}
	wait := (cost - b.tokens) / l.perMinute * float64(time.Minute)
	return false, time.Duration(math.Ceil(wait))
}

// gc drops the buckets that have refilled: their keys start full again anyway.
func (l *limiter) gc(now time.Time) {
	if now.Sub(l.sweep) < time.Second {
		// Sweeping each time a flood of new keys arrives would be quadratic;
		// at worst the map exceeds maxBuckets for a second.
		return
	}
	l.sweep = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Minutes()*l.perMinute >= l.perMinute {
			delete(l.buckets, k)
		}
	}
}

// retrySeconds is a Retry-After value: whole seconds, at least 1.
func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
