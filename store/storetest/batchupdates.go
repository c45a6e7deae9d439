package storetest

import (
	"context"
	"fmt"
	"math/big"
	"strings"
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
	// Nor did it leave its event for the next write to store.
	before = len(allEvents(t, s, coffer.EventFilter{}))
	next := newTx(1, address(1), "")
	ok(t, s.CreateTransaction(ctx, next))
	if es := allEvents(t, s, coffer.EventFilter{}); len(es) != before+1 || es[len(es)-1].Subject != next.ID {
		t.Fatalf("%d events after a failed batch and one new transaction, want %d, the last of %s", len(es), before+1, next.ID)
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

// testMintFollowsTransaction: whatever stores a mint transaction's status
// moves its mint too, in the same store transaction: signed (pending, with
// the hash), mined with the token its receipt shows, confirmed, failed with
// the transaction's error, cancelled while queued. Final mint statuses stay,
// each status change is one event, and a batch that fails moves no mint.
func testMintFollowsTransaction(t *testing.T, s coffer.Store) {
	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	var mints []*coffer.Mint
	var txIDs []string
	for i := range 4 {
		m, tx := newMint(c.ID, fmt.Sprintf("follow:%d", i))
		ok(t, s.CreateMint(ctx, m, tx))
		mints, txIDs = append(mints, m), append(txIDs, tx.ID)
	}
	mint := func(i int) *coffer.Mint {
		t.Helper()
		m, err := s.Mint(ctx, mints[i].ID)
		ok(t, err)
		return m
	}
	events := func() []string {
		var out []string
		for _, e := range allEvents(t, s, coffer.EventFilter{}) {
			if e.Subject == mints[0].ID || e.Subject == mints[1].ID || e.Subject == mints[2].ID || e.Subject == mints[3].ID {
				out = append(out, e.Subject+" "+e.Type)
			}
		}
		return out
	}
	before := len(events())

	// Signed: pending with the transaction's hash.
	sent, err := s.AssignNonces(ctx, txIDs[:3], signer("follow"))
	ok(t, err)
	for i := range 3 {
		if m := mint(i); m.Status != coffer.MintPending || m.TxHash == nil || *m.TxHash != *sent[i].Hash {
			t.Fatalf("mint %d after its transaction was signed: %+v", i, m)
		}
	}
	// Cancelled while queued: failed.
	ok(t, s.CancelQueued(ctx, txIDs[3]))
	if m := mint(3); m.Status != coffer.MintFailed {
		t.Fatalf("mint of a cancelled transaction: %+v", m)
	}

	// Mined with a token, confirmed; failed with the transaction's error.
	mined := hashOf("follow mined")
	_, err = s.UpdateTransactions(ctx, []coffer.TxChange{
		{ID: txIDs[0], Update: coffer.TxUpdate{Status: coffer.TxMined, Hash: sent[0].Hash, BlockHash: &mined, TokenID: big.NewInt(7)}},
		{ID: txIDs[1], Update: coffer.TxUpdate{Status: coffer.TxConfirmed, Hash: sent[1].Hash, BlockHash: &mined, TokenID: big.NewInt(8)}},
		{ID: txIDs[2], Update: coffer.TxUpdate{Status: coffer.TxFailed, Error: ptr("reverted: sold out")}},
	})
	ok(t, err)
	if m := mint(0); m.Status != coffer.MintMined || m.TokenID == nil || m.TokenID.Int64() != 7 || *m.TxHash != *sent[0].Hash {
		t.Fatalf("mint of a mined transaction: %+v", m)
	}
	if m := mint(1); m.Status != coffer.MintConfirmed || m.TokenID == nil || m.TokenID.Int64() != 8 {
		t.Fatalf("mint of a confirmed transaction: %+v", m)
	}
	if m := mint(2); m.Status != coffer.MintFailed || m.Error != "reverted: sold out" || m.TokenID != nil {
		t.Fatalf("mint of a failed transaction: %+v", m)
	}
	if got, _ := s.Collection(ctx, c.ID); got.TotalMinted != 2 {
		t.Fatalf("TotalMinted = %d, want 2", got.TotalMinted)
	}

	// A late report does not move a final mint back; a reorg moves a mined
	// one back to pending.
	_, err = s.UpdateTransactions(ctx, []coffer.TxChange{
		{ID: txIDs[1], Update: coffer.TxUpdate{Status: coffer.TxPending}},
		{ID: txIDs[0], Update: coffer.TxUpdate{Status: coffer.TxPending}},
	})
	ok(t, err)
	if m := mint(1); m.Status != coffer.MintConfirmed {
		t.Fatalf("a confirmed mint moved back: %+v", m)
	}
	if m := mint(0); m.Status != coffer.MintPending {
		t.Fatalf("mint of a transaction whose block left the chain: %+v", m)
	}

	got := events()[before:]
	same(t, "mint events", got, []string{
		mints[0].ID + " mint.pending", mints[1].ID + " mint.pending", mints[2].ID + " mint.pending",
		mints[3].ID + " mint.failed",
		mints[0].ID + " mint.mined", mints[1].ID + " mint.confirmed", mints[2].ID + " mint.failed",
		mints[0].ID + " mint.pending",
	})

	// All or nothing: a batch with a missing transaction moves no mint.
	wantCode(t, func() error {
		_, err := s.UpdateTransactions(ctx, []coffer.TxChange{
			{ID: txIDs[0], Update: coffer.TxUpdate{Status: coffer.TxConfirmed, TokenID: big.NewInt(7)}},
			{ID: "tx_missing", Update: coffer.TxUpdate{Status: coffer.TxFailed}},
		})
		return err
	}(), coffer.ENOTFOUND)
	if m := mint(0); m.Status != coffer.MintPending {
		t.Fatalf("a failed batch moved the mint: %+v", m)
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
// mint only, with nothing of it stored (its events neither), and a
// cancelled caller stores nothing.
func testConcurrentCreates(t *testing.T, s coffer.Store) {
	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	last := allEvents(t, s, coffer.EventFilter{Limit: 500})
	after := int64(0)
	if len(last) > 0 {
		after = last[len(last)-1].Seq
	}
	const n = 48
	errs := make([]error, n)
	mints := make([]*coffer.Mint, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m, tx := newMint(c.ID, fmt.Sprintf("conc:%d", i%(n/2))) // each key twice
			tx.IdempotencyKey = fmt.Sprintf("conc-tx:%d", i)        // only the mints' keys clash
			mints[i] = m
			errs[i] = s.CreateMint(ctx, m, tx)
		})
	}
	wg.Wait()
	events := map[string]int{} // by subject and type
	for _, e := range allEvents(t, s, coffer.EventFilter{After: after, Limit: 500}) {
		events[e.Subject+" "+e.Type]++
	}
	won := map[string]int{}
	for i, err := range errs {
		key := fmt.Sprintf("conc:%d", i%(n/2))
		want := 0 // events of the mint and of its transaction
		if err == nil {
			want = 1
		}
		if got, got2 := events[mints[i].ID+" mint.queued"], events[mints[i].TxID+" transaction.queued"]; got != want || got2 != want {
			t.Fatalf("create %d (%v): %d mint.queued and %d transaction.queued events, want %d each", i, err, got, got2, want)
		}
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

// testConcurrentWritesFailAlone: the transaction manager's, the indexer's
// and custody's writes made at once with new mints (which a store may
// commit together) fail alone: a batch naming a missing transaction, or a
// transfer without a token id, changes nothing and gets its error; the
// mints, a good batch, good transfers and audit records are stored.
func testConcurrentWritesFailAlone(t *testing.T, s coffer.Store) {
	c, ctx0 := newCollection("alone")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	pending := newTx(1, address(1), "")
	ok(t, s.CreateTransaction(ctx, pending))
	_, err := s.AssignNonce(ctx, pending.ID, signer("alone"))
	ok(t, err)
	contract, bh := address(78), hashOf("alone block")
	good := coffer.Transfer{ChainID: 1, Contract: contract, TokenID: big.NewInt(5), To: address(3), TxHash: hashOf("alone tx"),
		BlockNumber: 900, BlockHash: bh}
	audit, _ := s.(interface {
		AppendAuditBatch(ctx context.Context, rs []*coffer.AuditRecord) error
	})

	const mints = 24
	var wg sync.WaitGroup
	errs := make([]error, mints)
	for i := range mints {
		wg.Go(func() {
			m, tx := newMint(c.ID, fmt.Sprintf("alone:%d", i))
			errs[i] = s.CreateMint(ctx, m, tx)
		})
	}
	var missingErr, badTransferErr, goodErr, transferErr, auditErr error
	wg.Go(func() {
		_, missingErr = s.UpdateTransactions(ctx, []coffer.TxChange{
			{ID: pending.ID, Update: coffer.TxUpdate{Status: coffer.TxMined}},
			{ID: "tx_missing", Update: coffer.TxUpdate{Status: coffer.TxMined}},
		})
	})
	wg.Go(func() {
		badTransferErr = s.ApplyTransfers(ctx, 1, []coffer.Transfer{good, {ChainID: 1, Contract: contract, To: address(3)}}, 901, hashOf("bad"))
	})
	wg.Go(func() { transferErr = s.ApplyTransfers(ctx, 1, []coffer.Transfer{good}, 900, bh) })
	wg.Go(func() { _, goodErr = s.UpdateTransactions(ctx, nil) })
	if audit != nil {
		wg.Go(func() {
			auditErr = audit.AppendAuditBatch(ctx, []*coffer.AuditRecord{{Principal: "alone", Kind: "hash", Outcome: "allowed"}})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("mint %d beside failing writes: %v", i, err)
		}
	}
	wantCode(t, missingErr, coffer.ENOTFOUND)
	wantCode(t, badTransferErr, coffer.EINVALID)
	ok(t, goodErr)
	ok(t, transferErr)
	ok(t, auditErr)
	if tx, _ := s.Transaction(ctx, pending.ID); tx.Status != coffer.TxPending {
		t.Fatalf("a failed batch changed %s to %s", pending.ID, tx.Status)
	}
	if n, h, err := s.IndexCursor(ctx, 1); err != nil || n != 900 || h != bh {
		t.Fatalf("index cursor %d %s, %v: want the good transfer's block 900, not the failed one's", n, h.Hex(), err)
	}
	mintsStored, _, err := s.Mints(ctx, coffer.MintFilter{CollectionID: c.ID, Limit: 100})
	ok(t, err)
	if len(mintsStored) != mints {
		t.Fatalf("%d mints stored, want %d", len(mintsStored), mints)
	}
}

// MintChangedElsewhere: a mint that process b changes after process a
// created it (a may keep the row it wrote) is read again when a's
// transaction moves it: a failed mint stays failed, and no event comes
// from the row as a last wrote it.
func MintChangedElsewhere(t *testing.T, a, b coffer.Store) {
	c, ctx0 := newCollection("elsewhere")
	ok(t, a.CreateCollection(ctx, c, ctx0))
	m, tx := newMint(c.ID, "")
	ok(t, a.CreateMint(ctx, m, tx))
	ok(t, b.UpdateMint(ctx, m.ID, coffer.MintUpdate{Status: coffer.MintFailed, Error: ptr("stopped by b")}))
	h := hashOf("elsewhere")
	seq, err := a.LastEventSeq(ctx)
	ok(t, err)
	ok(t, a.UpdateTransaction(ctx, tx.ID, coffer.TxUpdate{Status: coffer.TxPending, Hash: &h}))
	got, err := a.Mint(ctx, m.ID)
	ok(t, err)
	if got.Status != coffer.MintFailed || got.Error != "stopped by b" || got.TxHash == nil || *got.TxHash != h {
		t.Fatalf("mint after b failed it and a's transaction went pending: %s %q %v, want failed, b's error and the hash", got.Status, got.Error, got.TxHash)
	}
	for _, e := range allEvents(t, a, coffer.EventFilter{After: seq}) {
		if e.Subject == m.ID && e.Type == coffer.EventMintPrefix+coffer.MintPending {
			t.Fatalf("a appended %s for a mint b had failed: %s", e.Type, e.Data)
		}
	}
}

// TxChangedElsewhere: a and b are two stores on one database (two
// processes). a signs a transaction; b records it mined in a block; then a
// records it confirmed. What a returns and its event are the row as it is,
// with b's block, not as a last wrote it.
func TxChangedElsewhere(t *testing.T, a, b coffer.Store) {
	tx := newTx(1, address(77), "")
	ok(t, a.CreateTransaction(ctx, tx))
	sent, err := a.AssignNonces(ctx, []string{tx.ID}, signer("elsewhere"))
	ok(t, err)
	block, gas, bh := uint64(41), uint64(21000), hashOf("elsewhere block")
	_, err = b.UpdateTransactions(ctx, []coffer.TxChange{{ID: tx.ID, Update: coffer.TxUpdate{
		Status: coffer.TxMined, Hash: sent[0].Hash, BlockNumber: &block, BlockHash: &bh, GasUsed: &gas}}})
	ok(t, err)
	seq, err := a.LastEventSeq(ctx)
	ok(t, err)
	got, err := a.UpdateTransactions(ctx, []coffer.TxChange{{ID: tx.ID, Update: coffer.TxUpdate{Status: coffer.TxConfirmed, Hash: sent[0].Hash}}})
	ok(t, err)
	if len(got) != 1 || got[0].Status != coffer.TxConfirmed || got[0].BlockNumber == nil || *got[0].BlockNumber != block ||
		got[0].GasUsed == nil || *got[0].GasUsed != gas {
		t.Fatalf("a's confirmation after b recorded the block: %+v, want confirmed in block %d with gas used %d", got, block, gas)
	}
	var confirmed *coffer.Event
	for _, e := range allEvents(t, a, coffer.EventFilter{After: seq}) {
		if e.Subject == tx.ID && e.Type == coffer.EventTxPrefix+coffer.TxConfirmed {
			confirmed = e
		}
	}
	if confirmed == nil || !strings.Contains(string(confirmed.Data), `"block_number":41`) {
		t.Fatalf("a's %s event: %v, want block 41 in it", coffer.EventTxPrefix+coffer.TxConfirmed, confirmed)
	}
}
