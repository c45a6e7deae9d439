package storetest

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/common"
)

// queueN queues n transactions of (chainID, from) and returns their ids in order.
func queueN(t testing.TB, s coffer.Store, n int, chainID uint64, from common.Address) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		tx := newTx(chainID, from, "")
		ok(t, s.CreateTransaction(ctx, tx))
		ids[i] = tx.ID
	}
	return ids
}

func testAssignNonces(t *testing.T, s coffer.Store) {
	from := address(1)
	ids := queueN(t, s, 5, 1, from)
	// One of them already has its nonce: the batch skips it.
	single, err := s.AssignNonce(ctx, ids[1], signer("single"))
	ok(t, err)
	if *single.Nonce != 0 {
		t.Fatalf("single nonce %d", *single.Nonce)
	}
	var mu sync.Mutex
	seen := map[string]uint64{}
	batch := append(slices.Clone(ids), "tx_missing")
	got, err := s.AssignNonces(ctx, batch, func(tx *coffer.Transaction, nonce uint64) (*coffer.TxAttempt, error) {
		mu.Lock()
		seen[tx.ID] = nonce
		mu.Unlock()
		if tx.Status != coffer.TxQueued {
			return nil, fmt.Errorf("sign saw %s %s", tx.ID, tx.Status)
		}
		return signer("b")(tx, nonce)
	})
	ok(t, err)
	if len(got) != len(batch) || got[1] != nil || got[5] != nil {
		t.Fatalf("result not aligned with ids: %d entries, skipped %v %v", len(got), got[1], got[5])
	}
	want := map[string]uint64{ids[0]: 1, ids[2]: 2, ids[3]: 3, ids[4]: 4} // queue order, after the single one
	if len(seen) != len(want) {
		t.Fatalf("sign called for %v, want %v", seen, want)
	}
	for i, id := range ids {
		if i == 1 {
			continue
		}
		if seen[id] != want[id] {
			t.Fatalf("sign of %s got nonce %d, want %d", id, seen[id], want[id])
		}
		g := got[i]
		if g == nil || g.ID != id || g.Status != coffer.TxPending || g.Nonce == nil || *g.Nonce != want[id] ||
			g.Hash == nil || *g.Hash != hashOf(id, want[id], "b") || len(g.Attempts) != 1 || g.FeeCap.Int64() != 3e9 {
			t.Fatalf("assigned %s: %+v", id, g)
		}
		stored, err := s.Transaction(ctx, id)
		ok(t, err)
		same(t, "stored after AssignNonces", stored, g)
	}
	next, err := s.NextNonce(ctx, 1, from)
	ok(t, err)
	if next != 5 {
		t.Fatalf("next nonce %d, want 5", next)
	}
	// Nothing left to assign: no call to sign, no error.
	got, err = s.AssignNonces(ctx, ids, func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error) {
		return nil, errors.New("sign called for an assigned transaction")
	})
	ok(t, err)
	for i, g := range got {
		if g != nil {
			t.Fatalf("re-assigned %s", ids[i])
		}
	}
	got, err = s.AssignNonces(ctx, nil, signer("b"))
	if err != nil || len(got) != 0 {
		t.Fatalf("empty batch: %v, %v", got, err)
	}
	// One sender on one chain per batch; a mixed one changes nothing.
	other := queueN(t, s, 1, 1, address(2))
	otherChain := queueN(t, s, 1, 5, from)
	mine := queueN(t, s, 1, 1, from)
	for _, mixed := range [][]string{{mine[0], other[0]}, {mine[0], otherChain[0]}} {
		_, err = s.AssignNonces(ctx, mixed, signer("b"))
		wantCode(t, err, coffer.EINVALID)
	}
	tx, err := s.Transaction(ctx, mine[0])
	ok(t, err)
	if tx.Status != coffer.TxQueued || tx.Nonce != nil {
		t.Fatalf("mixed batch changed %+v", tx)
	}
	// The single method continues the sequence.
	g, err := s.AssignNonce(ctx, mine[0], signer("r"))
	ok(t, err)
	if *g.Nonce != 5 {
		t.Fatalf("nonce after a batch %d, want 5", *g.Nonce)
	}
}

// A sign failing in the middle of a batch: the ones before it are stored
// with contiguous nonces, it and the ones after take none and stay queued.
func testAssignNoncesSignError(t *testing.T, s coffer.Store) {
	from := address(1)
	ids := queueN(t, s, 6, 1, from)
	boom := coffer.Errorf(coffer.EFORBIDDEN, "policy refuses")
	failOn := func(bad string) func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error) {
		return func(tx *coffer.Transaction, nonce uint64) (*coffer.TxAttempt, error) {
			if tx.ID == bad {
				return nil, boom
			}
			return signer("r")(tx, nonce)
		}
	}
	got, err := s.AssignNonces(ctx, ids, failOn(ids[2]))
	var ae *coffer.AssignError
	if !errors.As(err, &ae) || ae.ID != ids[2] || !errors.Is(err, boom) || coffer.ErrorCode(err) != coffer.EFORBIDDEN {
		t.Fatalf("err = %v, want an AssignError for %s wrapping the sign error", err, ids[2])
	}
	if len(got) != len(ids) {
		t.Fatalf("%d results for %d ids", len(got), len(ids))
	}
	for i, id := range ids {
		stored, err := s.Transaction(ctx, id)
		ok(t, err)
		if i < 2 {
			if got[i] == nil || *got[i].Nonce != uint64(i) || stored.Status != coffer.TxPending || *stored.Nonce != uint64(i) {
				t.Fatalf("before the failure, %s: returned %+v, stored %+v", id, got[i], stored)
			}
			continue
		}
		if got[i] != nil || stored.Status != coffer.TxQueued || stored.Nonce != nil || stored.Hash != nil || len(stored.Attempts) != 0 {
			t.Fatalf("at or after the failure, %s: returned %+v, stored %+v", id, got[i], stored)
		}
	}
	next, err := s.NextNonce(ctx, 1, from)
	ok(t, err)
	if next != 2 {
		t.Fatalf("next nonce %d after a failure at the third, want 2", next)
	}
	// Failing on the first: nothing at all.
	got, err = s.AssignNonces(ctx, ids[2:], failOn(ids[2]))
	if !errors.As(err, &ae) || ae.ID != ids[2] || slices.ContainsFunc(got, func(t *coffer.Transaction) bool { return t != nil }) {
		t.Fatalf("failure on the first: %v, %v", got, err)
	}
	if next, _ = s.NextNonce(ctx, 1, from); next != 2 {
		t.Fatalf("failed first sign consumed a nonce: next %d", next)
	}
	// The rest goes out afterwards, contiguously.
	got, err = s.AssignNonces(ctx, ids[2:], signer("r"))
	ok(t, err)
	for i, g := range got {
		if g == nil || *g.Nonce != uint64(2+i) {
			t.Fatalf("retry: %s got %+v", ids[2+i], g)
		}
	}
}

// The custody service reads the wallet and appends an audit record while it
// signs; AssignNonces calls sign concurrently: no deadlock, nothing undone.
func testAssignNoncesSignUsesStore(t *testing.T, s coffer.Store) {
	ok(t, s.CreateWallet(ctx, &coffer.Wallet{Address: address(1), Backend: coffer.BackendLocal, KeyID: "k1"}))
	ids := queueN(t, s, 40, 1, address(1))
	sign := func(tx *coffer.Transaction, nonce uint64) (*coffer.TxAttempt, error) {
		w, err := s.Wallet(ctx, tx.From)
		if err != nil {
			return nil, err
		}
		if err := s.AppendAudit(ctx, &coffer.AuditRecord{Principal: "txm", Wallet: w.Address, KeyID: w.KeyID,
			Kind: "transaction", Digest: hashOf(tx.ID, nonce), ChainID: tx.ChainID, Outcome: "allowed"}); err != nil {
			return nil, err
		}
		return signer("nested")(tx, nonce)
	}
	done := make(chan error, 2)
	for _, part := range [][]string{ids[:20], ids[20:]} {
		go func() {
			_, err := s.AssignNonces(ctx, part, sign)
			done <- err
		}()
	}
	timeout := time.After(60 * time.Second)
	for range 2 {
		select {
		case err := <-done:
			ok(t, err)
		case <-timeout:
			t.Fatal("AssignNonces with a sign that uses the store did not finish: deadlock")
		}
	}
	next, err := s.NextNonce(ctx, 1, address(1))
	ok(t, err)
	if next != 40 {
		t.Fatalf("next nonce %d, want 40", next)
	}
	all := auditChain(t, s)
	if len(all) < 40 {
		t.Fatalf("%d audit records, want at least 40", len(all))
	}
	ok(t, coffer.VerifyAuditChain(all))
}

func testAssignNoncesConcurrent(t *testing.T, s coffer.Store) { AssignNoncesRace(t, 200, s) }

// AssignNoncesRace queues n transactions of one sender and assigns them
// from concurrent goroutines spread over stores (one store, or two pools on
// one database standing in for two processes): batches of 1 to 23, every
// transaction offered twice (in two batches on different stores), and some
// single AssignNonce calls between. Each transaction must get exactly one
// nonce, and the nonces must be exactly 0..n-1.
func AssignNoncesRace(t testing.TB, n int, stores ...coffer.Store) {
	from := address(78)
	ids := queueN(t, stores[0], n, 1, from)
	var batches [][]string
	for round := range 2 {
		for i, size := 0, 1; i < n; i, size = i+size, size%23+1+round {
			batches = append(batches, ids[i:min(i+size, n)])
		}
	}
	var mu sync.Mutex
	assigned := map[string]uint64{}
	record := func(tx *coffer.Transaction) {
		mu.Lock()
		defer mu.Unlock()
		if prev, dup := assigned[tx.ID]; dup {
			t.Errorf("%s assigned twice: nonces %d and %d", tx.ID, prev, *tx.Nonce)
		}
		assigned[tx.ID] = *tx.Nonce
	}
	errs := make(chan error, len(batches)+n)
	var wg sync.WaitGroup
	for i, b := range batches {
		st := stores[i%len(stores)]
		wg.Go(func() {
			if i%7 == 3 { // some single assignments in between
				for _, id := range b {
					got, err := st.AssignNonce(ctx, id, signer("race"))
					if coffer.ErrorCode(err) == coffer.ECONFLICT {
						continue // the other batch was first
					}
					if err != nil {
						errs <- err
						return
					}
					record(got)
				}
				return
			}
			got, err := st.AssignNonces(ctx, b, signer("race"))
			if err != nil {
				errs <- err
				return
			}
			for _, tx := range got {
				if tx != nil {
					record(tx)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(assigned) != n {
		t.Fatalf("%d of %d transactions assigned", len(assigned), n)
	}
	nonces := make([]uint64, 0, n)
	for _, v := range assigned {
		nonces = append(nonces, v)
	}
	contiguousNonces(t, stores[0], from, nonces)
	for _, id := range ids {
		tx, err := stores[len(stores)-1].Transaction(ctx, id)
		ok(t, err)
		if tx.Nonce == nil || *tx.Nonce != assigned[id] || tx.Status != coffer.TxPending ||
			*tx.Hash != hashOf(id, *tx.Nonce, "race") || len(tx.Attempts) != 1 {
			t.Fatalf("transaction %s after race: %+v", id, tx)
		}
	}
}

// BenchAssignNonces measures queue-and-sign in runs of 64 per AssignNonces
// call (per transaction), all for one sender. It closes s.
func BenchAssignNonces(b *testing.B, s coffer.Store) {
	defer s.Close()
	ids := queueN(b, s, b.N, 1, address(1))
	sign := signer("bench")
	b.ResetTimer()
	for start := 0; start < len(ids); start += 64 {
		if _, err := s.AssignNonces(ctx, ids[start:min(start+64, len(ids))], sign); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchOpenTransactions measures what the transaction manager reads each
// round: 2,000 pending transactions with their attempts (per call). It
// closes s.
func BenchOpenTransactions(b *testing.B, s coffer.Store) {
	defer s.Close()
	ids := queueN(b, s, 2000, 1, address(1))
	for start := 0; start < len(ids); start += 500 {
		_, err := s.AssignNonces(ctx, ids[start:min(start+500, len(ids))], signer("bench"))
		ok(b, err)
	}
	b.ResetTimer()
	for range b.N {
		open, err := s.TransactionsByStatus(ctx, 1, []string{coffer.TxPending, coffer.TxMined}, 2000)
		if err != nil || len(open) != 2000 || len(open[0].Attempts) != 1 {
			b.Fatalf("%d open, %v", len(open), err)
		}
	}
}

// The transaction manager follows up to 2,000 open transactions a round:
// TransactionsByStatus is not capped at an API page (500), and each comes
// with its attempts.
func testOpenTransactionsOverPage(t *testing.T, s coffer.Store) {
	const n = 600
	ids := queueN(t, s, n, 1, address(1))
	for start := 0; start < n; start += 200 {
		_, err := s.AssignNonces(ctx, ids[start:start+200], signer("r"))
		ok(t, err)
	}
	h := hashOf("second attempt")
	ok(t, s.AddAttempt(ctx, ids[n-1], &coffer.TxAttempt{Hash: h, Raw: []byte("r2"), FeeCap: big.NewInt(5e9), TipCap: big.NewInt(2e9)}))
	open, err := s.TransactionsByStatus(ctx, 1, []string{coffer.TxPending, coffer.TxMined}, 2000)
	ok(t, err)
	if len(open) != n {
		t.Fatalf("%d open transactions listed, want %d", len(open), n)
	}
	for i, tx := range open {
		want := 1
		if i == n-1 {
			want = 2
		}
		if tx.ID != ids[i] || len(tx.Attempts) != want || tx.Attempts[0].Hash != hashOf(ids[i], uint64(i), "r") {
			t.Fatalf("open %d: %s with %d attempts, want %s with %d", i, tx.ID, len(tx.Attempts), ids[i], want)
		}
	}
	if last := open[n-1]; last.Attempts[1].Hash != h || *last.Hash != h {
		t.Fatalf("attempts of the last: %+v", last.Attempts)
	}
}

// TransactionsByStatusKnown hands back the caller's copy of a transaction
// that has not changed since it was read, and reads the others again: one
// with a new attempt, one with a new status, one new; one no longer open
// is left out. The order is TransactionsByStatus's.
func testTransactionsByStatusKnown(t *testing.T, s coffer.Store) {
	open := []string{coffer.TxPending, coffer.TxMined}
	ids := queueN(t, s, 5, 1, address(1))
	_, err := s.AssignNonces(ctx, ids[:4], signer("r"))
	ok(t, err)
	first, err := s.TransactionsByStatusKnown(ctx, 1, open, 2000, nil)
	ok(t, err)
	if len(first) != 4 {
		t.Fatalf("%d open, want 4", len(first))
	}
	known := map[string]*coffer.Transaction{}
	for _, tx := range first {
		known[tx.ID] = tx
	}
	again, err := s.TransactionsByStatusKnown(ctx, 1, open, 2000, known)
	ok(t, err)
	for i, tx := range again {
		if tx != first[i] {
			t.Fatalf("unchanged %d (%s) read again", i, tx.ID)
		}
	}

	h := hashOf("bump")
	ok(t, s.AddAttempt(ctx, ids[0], &coffer.TxAttempt{Hash: h, Raw: []byte("r2"), FeeCap: big.NewInt(5e9), TipCap: big.NewInt(2e9)}))
	block := uint64(7)
	ok(t, s.UpdateTransaction(ctx, ids[1], coffer.TxUpdate{Status: coffer.TxMined, BlockNumber: &block}))
	ok(t, s.UpdateTransaction(ctx, ids[2], coffer.TxUpdate{Status: coffer.TxConfirmed}))
	_, err = s.AssignNonces(ctx, ids[4:], signer("r"))
	ok(t, err)
	got, err := s.TransactionsByStatusKnown(ctx, 1, open, 2000, known)
	ok(t, err)
	want, err := s.TransactionsByStatus(ctx, 1, open, 2000)
	ok(t, err)
	if len(got) != len(want) || len(got) != 4 {
		t.Fatalf("%d open after the changes, want %d (4)", len(got), len(want))
	}
	for i, tx := range got {
		if tx.ID != want[i].ID || tx.Status != want[i].Status || len(tx.Attempts) != len(want[i].Attempts) || !tx.UpdatedAt.Equal(want[i].UpdatedAt) {
			t.Fatalf("open %d: %s %s with %d attempts, want %s %s with %d", i, tx.ID, tx.Status, len(tx.Attempts), want[i].ID, want[i].Status, len(want[i].Attempts))
		}
		if cached := tx == known[tx.ID]; cached != (tx.ID == ids[3]) {
			t.Fatalf("open %d (%s): the known copy returned %v, want it only for the unchanged one", i, tx.ID, cached)
		}
	}
	if *got[0].Hash != h || len(got[0].Attempts) != 2 || got[1].Status != coffer.TxMined || got[3].ID != ids[4] {
		t.Fatalf("after the changes: %+v", got)
	}
}
