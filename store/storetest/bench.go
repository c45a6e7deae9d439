package storetest

import (
	"fmt"
	"math/big"
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

// BenchCollections measures a short list query: a page of the three
// collections there are (the indexer reads them every step). It closes s.
func BenchCollections(b *testing.B, s coffer.Store) {
	defer s.Close()
	for i := range 3 {
		c, tx := newCollection(fmt.Sprint("bench", i))
		ok(b, s.CreateCollection(ctx, c, tx))
	}
	b.ResetTimer()
	for range b.N {
		if page, _, err := s.Collections(ctx, 500, ""); err != nil || len(page) != 3 {
			b.Fatalf("%d collections, %v", len(page), err)
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

// BenchMintLifecycle measures the store's part of one mint from request to
// confirmed, as the API, the transaction manager and the indexer drive it on
// the embedded chain: CreateMint; AssignNonces for runs of 32; the receipts
// recorded as confirmed with their token, 8 changes per UpdateTransactions
// (the transaction manager takes up to 32; 8 keeps a commit's fixed cost in
// the measure, as a stream of small receipt passes has it); the Transfer logs
// applied per block of 32. Each op is one mint. It closes s.
func BenchMintLifecycle(b *testing.B, s coffer.Store) {
	defer s.Close()
	c, ctx0 := newCollection("bench")
	ok(b, s.CreateCollection(ctx, c, ctx0))
	contract := address(77)
	ok(b, s.UpdateCollection(ctx, c.ID, coffer.CollectionDeployed, &contract))
	const run, maxUpdate = 32, 8
	sign := signer("bench")
	block := uint64(0)
	b.ResetTimer()
	for done := 0; done < b.N; done += run {
		n := min(run, b.N-done)
		ids := make([]string, n)
		mints := make([]*coffer.Mint, n)
		for i := range n {
			m, tx := newMint(c.ID, "")
			ok(b, s.CreateMint(ctx, m, tx))
			ids[i], mints[i] = tx.ID, m
		}
		sent, err := s.AssignNonces(ctx, ids, sign)
		ok(b, err)
		block++
		bh := hashOf("block", block)
		var changes []coffer.TxChange
		transfers := make([]coffer.Transfer, n)
		for i, t := range sent {
			token := big.NewInt(int64(done + i + 1))
			changes = append(changes, coffer.TxChange{ID: t.ID, Update: coffer.TxUpdate{Status: coffer.TxConfirmed,
				BlockNumber: ptr(block), BlockHash: &bh, Hash: t.Hash, GasUsed: ptr(uint64(280000)), TokenID: token}})
			transfers[i] = coffer.Transfer{ChainID: 1, Contract: contract, TokenID: token, To: mints[i].To, TxHash: *t.Hash,
				BlockNumber: block, BlockHash: bh, LogIndex: uint(i), TokenURI: mints[i].TokenURI}
		}
		for len(changes) > 0 {
			k := min(maxUpdate, len(changes))
			_, err := s.UpdateTransactions(ctx, changes[:k])
			ok(b, err)
			changes = changes[k:]
		}
		ok(b, s.ApplyTransfers(ctx, 1, transfers, block, bh))
	}
}
