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

func (r *readCounter) TransactionsByStatusKnown(ctx context.Context, chainID uint64, statuses []string, limit int, known map[string]*coffer.Transaction) ([]*coffer.Transaction, error) {
	if slices.Contains(statuses, coffer.TxPending) {
		r.openReads.Add(1)
	}
	return r.Store.TransactionsByStatusKnown(ctx, chainID, statuses, limit, known)
}

// Tracker passes woken while no block comes skip the receipts read; the
// next block brings it back, and the transaction is confirmed.
func TestTrackWaitsForABlock(t *testing.T) {
	e := newEnv(t, true, "") // blocks only on Commit
	rc := &readCounter{Store: e.store}
	e.store = rc
	e.cc.PollInterval = time.Hour // only wake-ups start sends and passes
	m, _ := e.run()
	w := m.chains[chainID]
	// wake notifies the sender and wakes the tracker, and waits until the
	// sender has read the queue and the tracker has begun a look at the
	// head (the previous look is then over: it is one goroutine).
	wake := func() {
		t.Helper()
		sends, looks := rc.queuedReads.Load(), w.trackCalls.Load()
		m.Notify(chainID)
		w.wakeTracker() // as a broadcast does
		deadline := time.Now().Add(30 * time.Second)
		for rc.queuedReads.Load() == sends || w.trackCalls.Load() == looks {
			if time.Now().After(deadline) {
				t.Fatal("no send and tracker pass after Notify")
			}
			time.Sleep(time.Millisecond)
		}
	}
	tx := e.queue(common.HexToAddress("0x00000000000000000000000000000000000000bb"), 1)
	wake()
	e.wait(tx.ID, "pending", status(coffer.TxPending))
	wake() // the first passes (at start, after the broadcast) are over
	before := rc.openReads.Load()
	for range 10 {
		wake()
	}
	wake() // the tenth wake-up's look has finished once the next one begins
	if n := rc.openReads.Load() - before; n != 0 {
		t.Fatalf("%d receipts passes in 10 wake-ups without a block, want 0", n)
	}
	e.dc.Commit()
	wake()
	e.wait(tx.ID, "confirmed", status(coffer.TxConfirmed))
	if rc.openReads.Load() == before {
		t.Fatal("no receipts pass after the block")
	}
}

// A block wakes the tracker: with no poll due and no broadcast since, a
// transaction mined by a new block is confirmed (the node announces heads;
// see chain.Client.WatchHeads).
func TestTrackFollowsHeads(t *testing.T) {
	e := newEnv(t, true, "") // blocks only on Commit
	e.cc.PollInterval = time.Hour
	m, _ := e.run()
	w := m.chains[chainID]
	tx := e.queue(common.HexToAddress("0x00000000000000000000000000000000000000bb"), 1)
	m.Notify(chainID)
	e.wait(tx.ID, "pending", status(coffer.TxPending))
	// Let the passes woken by the broadcast end: one looks at the head at
	// once, before this test's block.
	for looks := w.trackCalls.Load(); ; looks = w.trackCalls.Load() {
		time.Sleep(100 * time.Millisecond)
		if w.trackCalls.Load() == looks {
			break
		}
	}
	got, deadline := e.wait(tx.ID, "pending", status(coffer.TxPending)), time.Now().Add(30*time.Second)
	for !e.dc.Executable(*got.Hash) { // the pool promotes it in the background
		if time.Now().After(deadline) {
			t.Fatal("the transaction is not executable in the pool")
		}
		time.Sleep(time.Millisecond)
	}
	e.dc.Commit()
	e.wait(tx.ID, "confirmed", status(coffer.TxConfirmed))
}
