package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

// PreparedStore is a store that keeps its hot queries prepared
// (sqlstore.DB).
type PreparedStore interface {
	coffer.Store
	Execer
	PreparedStatements() int
}

// Prepared checks the prepared statements of the hot queries (the wallet
// read and the audit append) on a and b, two pools on one empty database
// standing in for two processes: they answer what the data says now (a
// change made through the other pool, records appended by it), from many
// goroutines at once, after a schema change, and their number stays put
// however often they run (one per query, not one per call).
func Prepared(t *testing.T, a, b PreparedStore) {
	t.Helper()
	w := &coffer.Wallet{Address: address(700), OwnerID: "", Backend: "local", KeyID: "k700", Label: "prep", CreatedAt: tstamp(0)}
	ok(t, a.CreateWallet(ctx, w))
	got, err := a.Wallet(ctx, w.Address)
	ok(t, err)
	same(t, "wallet", got, w)
	_, err = a.Wallet(ctx, address(701))
	wantCode(t, err, coffer.ENOTFOUND)
	if a.PreparedStatements() < 1 {
		t.Fatalf("the wallet read prepared nothing")
	}

	// Many readers at once, each on whatever connection the pool gives it.
	var wg sync.WaitGroup
	errs := make(chan error, 32*20)
	for range 32 {
		wg.Go(func() {
			for range 20 {
				g, err := a.Wallet(ctx, w.Address)
				if err == nil && g.KeyID != w.KeyID {
					err = fmt.Errorf("wallet read %+v", g)
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}

	// A change by the other process is seen by the prepared read.
	ok(t, b.SetWalletDisabled(ctx, w.Address, true))
	got, err = a.Wallet(ctx, w.Address)
	ok(t, err)
	if !got.Disabled {
		t.Fatal("prepared wallet read does not see the other pool's change")
	}

	// Audit batches from both pools chain: each pool's prepared "last
	// record" query sees the other's appends, inside its transaction.
	rec := func(i int) *coffer.AuditRecord {
		return &coffer.AuditRecord{Time: time.Now(), Principal: "apikey:prep", Wallet: w.Address, KeyID: w.KeyID, Kind: "hash",
			Digest: hashOf("prep", i), RequestID: fmt.Sprint("prep", i), Outcome: "allowed"}
	}
	n := 0
	batch := func(s PreparedStore, k int) {
		t.Helper()
		rs := make([]*coffer.AuditRecord, k)
		for i := range rs {
			rs[i] = rec(n)
			n++
		}
		ab, isBatcher := s.(AuditBatcher)
		if !isBatcher {
			t.Fatalf("%T has no AppendAuditBatch", s)
		}
		ok(t, ab.AppendAuditBatch(ctx, rs))
	}
	// A statement first used inside a transaction is prepared for the pool
	// in the background, one at a time, so the cache fills over a few calls:
	// warm up until its size holds still, then more of the same work must
	// not add statements.
	settled := func() int {
		t.Helper()
		last, still := -1, 0
		for range 100 {
			batch(a, 31) // every prepared size: 16 + 8 + 4 + 2 + 1 rows
			batch(b, 1)
			time.Sleep(5 * time.Millisecond)
			if p := a.PreparedStatements(); p == last {
				if still++; still == 3 {
					return p
				}
			} else {
				last, still = p, 0
			}
		}
		t.Fatalf("prepared statements never stopped growing (%d)", last)
		return 0
	}
	prepared := settled()
	batch(b, 1)
	batch(a, 4)
	batch(a, 1)
	time.Sleep(20 * time.Millisecond)
	if p := a.PreparedStatements(); p != prepared {
		t.Fatalf("%d prepared statements after more of the same work, had %d: statements are prepared per call", p, prepared)
	}
	all := auditChain(t, a)
	if len(all) != n {
		t.Fatalf("%d audit records, want %d", len(all), n)
	}
	ok(t, coffer.VerifyAuditChain(all))

	// A schema change by the other process: the prepared read still answers.
	if _, err := b.Exec(ctx, `ALTER TABLE wallets ADD COLUMN prepared_test TEXT`); err != nil {
		t.Fatal(err)
	}
	ok(t, a.SetWalletDisabled(ctx, w.Address, false))
	got, err = a.Wallet(ctx, w.Address)
	ok(t, err)
	if got.Disabled || got.KeyID != w.KeyID {
		t.Fatalf("wallet after a schema change: %+v", got)
	}
	batch(a, 2)
	ok(t, coffer.VerifyAuditChain(auditChain(t, b)))
}
