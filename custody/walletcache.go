package custody

import (
	"context"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
)

// DefaultWalletCacheTTL is how long a wallet record read from the store is
// reused by signing requests before it is read again. A change made through
// this Service (disable, enable) applies at once in this process; one made
// by another process (another `coffer serve` on the same database, or the
// `coffer keys disable` CLI) applies here within the TTL. Policies have their
// own cache (policy.DefaultCacheTTL).
const DefaultWalletCacheTTL = time.Second

// walletCache keeps wallet records by address for a short TTL, so that a
// signing request costs no store read. Entries are copies: callers get their
// own *coffer.Wallet and may change it.
//
// Invalidation races with reads: a read that started before a change may
// finish after it with the old record. gen counts invalidations; a read
// records gen before going to the store and caches its result only if no
// invalidation happened meanwhile, so a stale record never outlives the
// invalidation that should have removed it.
type walletCache struct {
	ttl time.Duration

	mu      sync.RWMutex
	gen     uint64
	entries map[common.Address]walletEntry
}

type walletEntry struct {
	w   coffer.Wallet
	exp time.Time
}

// maxWalletCache bounds the cache; when full it is emptied (the next reads
// refill it), which keeps memory bounded however many wallets sign.
const maxWalletCache = 100_000

func newWalletCache(ttl time.Duration) *walletCache {
	return &walletCache{ttl: ttl, entries: map[common.Address]walletEntry{}}
}

// get returns a copy of addr's wallet, reading the store when it is not
// cached or has expired. Missing wallets are not cached.
func (c *walletCache) get(ctx context.Context, st coffer.Store, addr common.Address) (*coffer.Wallet, error) {
	c.mu.RLock()
	e, ok := c.entries[addr]
	gen := c.gen
	ttl := c.ttl
	c.mu.RUnlock()
	now := time.Now()
	if ok && now.Before(e.exp) {
		w := e.w
		return &w, nil
	}
	w, err := st.Wallet(ctx, addr)
	if err != nil || ttl <= 0 {
		return w, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if len(c.entries) >= maxWalletCache {
			clear(c.entries)
		}
		c.entries[addr] = walletEntry{w: *w, exp: now.Add(ttl)}
	}
	c.mu.Unlock()
	return w, nil
}

// invalidate drops addr's record; reads in flight will not cache what they
// read before it.
func (c *walletCache) invalidate(addr common.Address) {
	c.mu.Lock()
	c.gen++
	delete(c.entries, addr)
	c.mu.Unlock()
}

// setTTL changes the TTL (0: no caching) and empties the cache.
func (c *walletCache) setTTL(d time.Duration) {
	c.mu.Lock()
	c.gen++
	c.ttl = d
	clear(c.entries)
	c.mu.Unlock()
}

// SetWalletCacheTTL changes how long signing requests reuse a wallet record
// (default DefaultWalletCacheTTL; 0: read the store every time). It bounds
// how late a wallet disabled by another process is refused here.
func (s *Service) SetWalletCacheTTL(d time.Duration) { s.wallets.setTTL(d) }

// InvalidateWallet drops the cached record of addr, for a caller that changed
// the wallet in the store directly.
func (s *Service) InvalidateWallet(addr common.Address) { s.wallets.invalidate(addr) }
