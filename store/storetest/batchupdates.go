package storetest

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/common"
)

// testTxBatchUpdates: UpdateTransactions applies every change as
// UpdateTransaction would (events on status changes only) and returns the
// rows as updated; a missing transaction fails the batch and changes nothing.
// TransactionsByID reads many at once, in the order asked.
func testTxBatchUpdates(t *testing.T, s coffer.Store) {
	var ids []string
	for i := range 3 {
		tx := newTx(1, address(1), "")
		tx.ID = fmt.Sprintf("tx_b%d", i)
		ok(t, s.CreateTransaction(ctx, tx))
		_, err := s.AssignNonce(ctx, tx.ID, signer(fmt.Sprintf("raw%d", i)))
		ok(t, err)
		ids = append(ids, tx.ID)
	}
	before := len(allEvents(t, s, coffer.EventFilter{}))
	bh := hashOf("block 7")
	got, err := s.UpdateTransactions(ctx, []coffer.TxChange{
		{ID: ids[2], Update: coffer.TxUpdate{Status: coffer.TxConfirmed, BlockNumber: ptr(uint64(7)), BlockHash: &bh, GasUsed: ptr(uint64(50000))}},
		{ID: ids[0], Update: coffer.TxUpdate{Status: coffer.TxFailed, Error: ptr("reverted: no")}},
		{ID: ids[1], Update: coffer.TxUpdate{Error: ptr("a note")}}, // no status change: no event
	})
	ok(t, err)
	if len(got) != 3 || got[0].ID != ids[2] || got[0].Status != coffer.TxConfirmed || *got[0].BlockNumber != 7 || *got[0].GasUsed != 50000 ||
		got[1].ID != ids[0] || got[1].Status != coffer.TxFailed || got[1].Error != "reverted: no" ||
		got[2].ID != ids[1] || got[2].Status != coffer.TxPending || got[2].Error != "a note" || got[2].Nonce == nil {
		t.Fatalf("UpdateTransactions returned %+v", got)
	}
	for _, want := range got {
		stored, err := s.Transaction(ctx, want.ID)
		ok(t, err)
		if stored.Status != want.Status || stored.Error != want.Error || len(stored.Attempts) != 1 {
			t.Fatalf("stored %+v, returned %+v", stored, want)
		}
	}
	if n := len(allEvents(t, s, coffer.EventFilter{})) - before; n != 2 {
		t.Fatalf("%d events for two status changes", n)
	}

	// All or nothing: a missing transaction fails the batch.
	_, err = s.UpdateTransactions(ctx, []coffer.TxChange{
		{ID: ids[1], Update: coffer.TxUpdate{Status: coffer.TxMined}},
		{ID: "tx_missing", Update: coffer.TxUpdate{Status: coffer.TxMined}},
	})
	wantCode(t, err, coffer.ENOTFOUND)
	if tx, _ := s.Transaction(ctx, ids[1]); tx.Status != coffer.TxPending {
		t.Fatalf("a failed batch changed %s to %s", ids[1], tx.Status)
	}
	if got, err := s.UpdateTransactions(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("empty batch: %v, %v", got, err)
	}

	byID, err := s.TransactionsByID(ctx, []string{ids[1], "tx_missing", ids[0], ids[1]})
	ok(t, err)
	if len(byID) != 2 || byID[0].ID != ids[1] || byID[1].ID != ids[0] || byID[1].Status != coffer.TxFailed {
		t.Fatalf("TransactionsByID: %+v", byID)
	}
	// More ids than one statement takes.
	many := make([]string, 1200)
	for i := range many {
		many[i] = fmt.Sprintf("tx_none%d", i)
	}
	many[1100] = ids[2]
	byID, err = s.TransactionsByID(ctx, many)
	ok(t, err)
	if len(byID) != 1 || byID[0].ID != ids[2] {
		t.Fatalf("TransactionsByID of 1200 ids: %+v", byID)
	}
}

// testMintBatchUpdates: MintsByTx finds mints by their transactions;
// UpdateMints applies every change as UpdateMint would (final statuses stay,
// events on status changes) and is all or nothing.
func testMintBatchUpdates(t *testing.T, s coffer.Store) {
	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	var mints []*coffer.Mint
	var txIDs []string
	for i := range 3 {
		m, tx := newMint(c.ID, fmt.Sprintf("batch:%d", i))
		ok(t, s.CreateMint(ctx, m, tx))
		mints, txIDs = append(mints, m), append(txIDs, tx.ID)
	}
	got, err := s.MintsByTx(ctx, []string{txIDs[2], "tx_missing", txIDs[0]})
	ok(t, err)
	if len(got) != 2 {
		t.Fatalf("MintsByTx: %d mints", len(got))
	}
	for _, m := range got {
		if (m.ID != mints[0].ID || m.TxID != txIDs[0]) && (m.ID != mints[2].ID || m.TxID != txIDs[2]) {
			t.Fatalf("MintsByTx returned %+v", m)
		}
		if m.Metadata != nil {
			t.Fatalf("MintsByTx read the metadata of %s", m.ID)
		}
	}

	ok(t, s.UpdateMint(ctx, mints[1].ID, coffer.MintUpdate{Status: coffer.MintConfirmed, TokenID: big.NewInt(2)}))
	before := len(allEvents(t, s, coffer.EventFilter{}))
	h := hashOf("mint batch")
	ok(t, s.UpdateMints(ctx, []coffer.MintChange{
		{ID: mints[0].ID, Update: coffer.MintUpdate{Status: coffer.MintConfirmed, TxHash: &h, TokenID: big.NewInt(1)}},
		{ID: mints[1].ID, Update: coffer.MintUpdate{Status: coffer.MintPending, TxHash: &h}}, // late: stays confirmed
		{ID: mints[2].ID, Update: coffer.MintUpdate{Status: coffer.MintFailed, Error: ptr("reverted")}},
	}))
	want := []struct {
		status string
		token  int64
	}{{coffer.MintConfirmed, 1}, {coffer.MintConfirmed, 2}, {coffer.MintFailed, -1}}
	for i, w := range want {
		m, err := s.Mint(ctx, mints[i].ID)
		ok(t, err)
		if m.Status != w.status || (w.token >= 0 && (m.TokenID == nil || m.TokenID.Int64() != w.token)) {
			t.Fatalf("mint %d after UpdateMints: %+v", i, m)
		}
	}
	if n := len(allEvents(t, s, coffer.EventFilter{})) - before; n != 2 {
		t.Fatalf("%d events for two status changes", n)
	}

	wantCode(t, s.UpdateMints(ctx, []coffer.MintChange{
		{ID: mints[2].ID, Update: coffer.MintUpdate{Error: ptr("changed")}},
		{ID: "mint_missing", Update: coffer.MintUpdate{Status: coffer.MintFailed}},
	}), coffer.ENOTFOUND)
	if m, _ := s.Mint(ctx, mints[2].ID); m.Error != "reverted" {
		t.Fatalf("a failed batch changed the mint: %+v", m)
	}
}

// testMintURIs: MintURIs finds a mint's token URI by any attempt's hash of
// its transaction, and leaves other hashes out.
func testMintURIs(t *testing.T, s coffer.Store) {
	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	m, tx := newMint(c.ID, "uris:1")
	m.TokenURI = "http://meta/1.json"
	ok(t, s.CreateMint(ctx, m, tx))
	sent, err := s.AssignNonce(ctx, tx.ID, signer("first"))
	ok(t, err)
	replacement := hashOf("replacement of the mint")
	ok(t, s.AddAttempt(ctx, tx.ID, &coffer.TxAttempt{Kind: coffer.AttemptSend, Hash: replacement, Raw: []byte("second")}))
	plain := newTx(1, address(1), "")
	ok(t, s.CreateTransaction(ctx, plain))
	other, err := s.AssignNonce(ctx, plain.ID, signer("other"))
	ok(t, err)

	got, err := s.MintURIs(ctx, []common.Hash{*sent.Hash, replacement, *other.Hash, hashOf("unknown")})
	ok(t, err)
	same(t, "mint uris", got, map[common.Hash]string{*sent.Hash: m.TokenURI, replacement: m.TokenURI})
	if got, err := s.MintURIs(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no hashes: %v, %v", got, err)
	}
}

// testConcurrentCreates: mints created at once (which a store may commit
// together) each succeed or fail alone: a taken idempotency key refuses that
// mint only, with nothing of it stored, and a cancelled caller stores
// nothing.
func testConcurrentCreates(t *testing.T, s coffer.Store) {
	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	const n = 48
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m, tx := newMint(c.ID, fmt.Sprintf("conc:%d", i%(n/2))) // each key twice
			tx.IdempotencyKey = fmt.Sprintf("conc-tx:%d", i)        // only the mints' keys clash
			errs[i] = s.CreateMint(ctx, m, tx)
		})
	}
	wg.Wait()
	won := map[string]int{}
	for i, err := range errs {
		key := fmt.Sprintf("conc:%d", i%(n/2))
		switch coffer.ErrorCode(err) {
		case "":
			won[key]++
		case coffer.ECONFLICT:
		default:
			t.Fatalf("create %d: %v", i, err)
		}
	}
	if len(won) != n/2 {
		t.Fatalf("%d of %d keys stored", len(won), n/2)
	}
	for k, w := range won {
		if w != 1 {
			t.Fatalf("key %s stored %d times", k, w)
		}
	}
	mints, _, err := s.Mints(ctx, coffer.MintFilter{CollectionID: c.ID, Limit: 500})
	ok(t, err)
	txs, _, err := s.Transactions(ctx, coffer.TxFilter{Kind: coffer.KindMint, Limit: 500})
	ok(t, err)
	if len(mints) != n/2 || len(txs) != n/2 {
		t.Fatalf("%d mints and %d mint transactions stored, want %d each (a refused mint left rows)", len(mints), len(txs), n/2)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	m, tx := newMint(c.ID, "conc:cancelled")
	if err := s.CreateMint(cancelled, m, tx); err == nil {
		t.Fatal("a cancelled create succeeded")
	}
	if _, err := s.MintByIdempotencyKey(ctx, "conc:cancelled"); coffer.ErrorCode(err) != coffer.ENOTFOUND {
		t.Fatalf("a cancelled create stored its mint: %v", err)
	}
}
