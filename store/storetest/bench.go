package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/cofferhq/coffer"
)

// BenchAssignNonce measures queue-and-sign: one CreateTransaction (untimed)
// and one AssignNonce per iteration, all for one sender. It closes s.
func BenchAssignNonce(b *testing.B, s coffer.Store) {
	defer s.Close()
	ids := make([]string, b.N)
	for i := range ids {
		tx := newTx(1, address(1), "")
		ok(b, s.CreateTransaction(ctx, tx))
		ids[i] = tx.ID
	}
	sign := signer("bench")
	b.ResetTimer()
	for _, id := range ids {
		if _, err := s.AssignNonce(ctx, id, sign); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchCreateMint measures CreateMint (mint row plus its queued transaction),
// with idempotency keys. It closes s.
func BenchCreateMint(b *testing.B, s coffer.Store) {
	defer s.Close()
	c, tx := newCollection("bench")
	ok(b, s.CreateCollection(ctx, c, tx))
	b.ResetTimer()
	for i := range b.N {
		m, mtx := newMint(c.ID, "")
		m.IdempotencyKey = fmt.Sprint("bench:", i)
		if err := s.CreateMint(ctx, m, mtx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchCreateMintParallel is BenchCreateMint from 16 goroutines at once, as
// the API's clients create mints (a store may commit them together). It
// closes s.
func BenchCreateMintParallel(b *testing.B, s coffer.Store) {
	defer s.Close()
	c, tx := newCollection("bench")
	ok(b, s.CreateCollection(ctx, c, tx))
	var next atomic.Int64
	b.SetParallelism(8) // × GOMAXPROCS (2 here): 16 callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m, mtx := newMint(c.ID, "")
			m.IdempotencyKey = fmt.Sprint("bench:", next.Add(1))
			if err := s.CreateMint(ctx, m, mtx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
