package txm

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
)

// readCounter counts the store reads of queued transactions (one per round)
// and of open ones (one per receipts pass).
type readCounter struct {
	coffer.Store
	queuedReads, openReads atomic.Int32
}

func (r *readCounter) TransactionsByStatus(ctx context.Context, chainID uint64, statuses []string, limit int) ([]*coffer.Transaction, error) {
	if slices.Contains(statuses, coffer.TxQueued) {
		r.queuedReads.Add(1)
	}
	if slices.Contains(statuses, coffer.TxPending) {
		r.openReads.Add(1)
	}
	return r.Store.TransactionsByStatus(ctx, chainID, statuses, limit)
}

// Rounds woken while no block comes skip the receipts pass; the next block
// brings it back, and the transaction is confirmed.
func TestTrackWaitsForABlock(t *testing.T) {
	e := newEnv(t, true, "") // blocks only on Commit
	rc := &readCounter{Store: e.store}
	e.store = rc
	e.cc.PollInterval = time.Hour // only wake-ups start rounds
	m, _ := e.run()
	round := func() {
		t.Helper()
		n := rc.queuedReads.Load()
		m.Notify(chainID)
		deadline := time.Now().Add(30 * time.Second)
		for rc.queuedReads.Load() == n {
			if time.Now().After(deadline) {
				t.Fatal("no round after Notify")
			}
			time.Sleep(time.Millisecond)
		}
	}
	tx := e.queue(common.HexToAddress("0x00000000000000000000000000000000000000bb"), 1)
	round()
	e.wait(tx.ID, "pending", status(coffer.TxPending))
	round() // the round that sent it may still have been tracking
	before := rc.openReads.Load()
	for range 10 {
		round()
	}
	round() // the tenth round's track has finished once the next round begins
	if n := rc.openReads.Load() - before; n != 0 {
		t.Fatalf("%d receipts passes in 11 rounds without a block, want 0", n)
	}
	e.dc.Commit()
	round()
	e.wait(tx.ID, "confirmed", status(coffer.TxConfirmed))
	if rc.openReads.Load() == before {
		t.Fatal("no receipts pass after the block")
	}
}
