package custody_test

import (
	"context"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/store/sqlstore"
)

func newCustody(t *testing.T) (*custody.Service, *sqlstore.DB, *coffer.Wallet) {
	t.Helper()
	st := tempStore(t)
	cs := localCustody(t, st, st)
	return cs, st, userWallet(t, cs)
}

var opsAdmin = &coffer.Principal{Issuer: "apikey", Subject: "ops", Roles: []string{coffer.RoleAdmin}}

func wantDisabled(t *testing.T, err error) {
	t.Helper()
	if coffer.ErrorCode(err) != coffer.EFORBIDDEN || !strings.Contains(coffer.ErrorMessage(err), "is disabled") {
		t.Fatalf("signed with a disabled wallet: %v", err)
	}
}

// Wallet records are cached for signing, but a disable or enable through
// custody applies to the very next request in this process, on every
// signing path (API principals and the transaction manager).
func TestWalletCacheDisableAppliesAtOnce(t *testing.T) {
	ctx := context.Background()
	cs, _, w := newCustody(t)
	cs.SetWalletCacheTTL(time.Hour) // only invalidation can make the change visible
	chain := big.NewInt(1337)
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: chain, GasTipCap: common.Big1, GasFeeCap: common.Big2, Gas: 21000, To: &w.Address})

	if _, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{1}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.SignTx(ctx, w.Address, tx, chain); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.SetWalletDisabled(ctx, opsAdmin, w.Address, true); err != nil {
		t.Fatal(err)
	}
	_, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{2}, false)
	wantDisabled(t, err)
	_, err = cs.SignTx(ctx, w.Address, tx, chain)
	wantDisabled(t, err)
	_, err = cs.SignMessage(ctx, opsAdmin, w.Address, []byte("hi"))
	wantDisabled(t, err)

	if _, err := cs.SetWalletDisabled(ctx, opsAdmin, w.Address, false); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{3}, false); err != nil {
		t.Fatalf("enabled wallet refused: %v", err)
	}

	// Callers get copies: changing one does not change the cache.
	got, err := cs.Wallet(ctx, opsAdmin, w.Address)
	if err != nil {
		t.Fatal(err)
	}
	got.Disabled, got.KeyID = true, "other"
	if again, _ := cs.Wallet(ctx, opsAdmin, w.Address); again.Disabled || again.KeyID != w.KeyID {
		t.Fatalf("cache changed through a returned wallet: %+v", again)
	}
}

// A policy change through custody applies to the very next request too.
func TestWalletPolicyChangeAppliesAtOnce(t *testing.T) {
	ctx := context.Background()
	cs, _, w := newCustody(t)
	if _, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{1}, false); err != nil {
		t.Fatal(err)
	}
	if err := cs.SetWalletPolicy(ctx, opsAdmin, w.Address, &coffer.Policy{RawHash: coffer.RawHashOff}); err != nil {
		t.Fatal(err)
	}
	_, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{2}, false)
	if coffer.ErrorCode(err) != coffer.EFORBIDDEN || !strings.Contains(coffer.ErrorMessage(err), "policy raw_hash") {
		t.Fatalf("raw hash signed after raw_hash off: %v", err)
	}
}

// A change made by another process (here: the store written directly, as
// `coffer keys disable` in another process does) applies within the TTL,
// and at once after InvalidateWallet.
func TestWalletCacheOtherProcess(t *testing.T) {
	ctx := context.Background()
	cs, st, w := newCustody(t)
	cs.SetWalletCacheTTL(time.Hour)
	if _, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{1}, false); err != nil {
		t.Fatal(err)
	}
	if err := st.SetWalletDisabled(ctx, w.Address, true); err != nil {
		t.Fatal(err)
	}
	// Still cached (this is what the TTL bounds) ...
	if _, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{2}, false); err != nil {
		t.Fatalf("expected the cached record to be used: %v", err)
	}
	// ... until invalidated.
	cs.InvalidateWallet(w.Address)
	_, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{3}, false)
	wantDisabled(t, err)

	// With a short TTL the other process's change is seen once it expires.
	ttl := 50 * time.Millisecond
	cs.SetWalletCacheTTL(ttl)
	if err := st.SetWalletDisabled(ctx, w.Address, false); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{4}, false); err != nil {
		t.Fatal(err)
	}
	if err := st.SetWalletDisabled(ctx, w.Address, true); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	time.Sleep(ttl + 10*time.Millisecond)
	_, err = cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{5}, false)
	wantDisabled(t, err)
	t.Logf("seen after %v (TTL %v)", time.Since(changed).Round(time.Millisecond), ttl)
	if custody.DefaultWalletCacheTTL > 2*time.Second {
		t.Fatalf("DefaultWalletCacheTTL %v is longer than documented", custody.DefaultWalletCacheTTL)
	}
}

// gatedStore holds the first wallet read after arm() between reading the
// store and returning, so a test can change the wallet meanwhile.
type gatedStore struct {
	coffer.Store
	armed            atomic.Bool
	reading, release chan struct{}
}

func (g *gatedStore) arm() {
	g.reading, g.release = make(chan struct{}), make(chan struct{})
	g.armed.Store(true)
}

func (g *gatedStore) Wallet(ctx context.Context, a common.Address) (*coffer.Wallet, error) {
	w, err := g.Store.Wallet(ctx, a)
	if g.armed.CompareAndSwap(true, false) {
		close(g.reading)
		<-g.release
	}
	return w, err
}

// A read of the old record in flight while the wallet is disabled must not
// put that record back in the cache: the next request is refused.
func TestWalletCacheDisableRacesRead(t *testing.T) {
	ctx := context.Background()
	_, st, w := newCustody(t)
	g := &gatedStore{Store: st}
	cs := localCustody(t, g, st)
	cs.SetWalletCacheTTL(time.Hour)
	g.arm()
	done := make(chan error, 1)
	go func() {
		_, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{1}, false)
		done <- err
	}()
	<-g.reading // that request holds the enabled record, not yet cached
	if _, err := cs.SetWalletDisabled(ctx, opsAdmin, w.Address, true); err != nil {
		t.Fatal(err)
	}
	close(g.release)
	if err := <-done; err != nil { // it started before the disable: either outcome is fine
		t.Logf("in-flight request: %v", err)
	}
	_, err := cs.SignHash(ctx, opsAdmin, w.Address, [32]byte{2}, false)
	wantDisabled(t, err)
}
