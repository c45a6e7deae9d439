package faulttest

import (
	"context"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/testenv"
)

// TestKillMidFlight: 1,000 mints by 32 concurrent clients, each with its own
// Idempotency-Key; `coffer serve` is killed with SIGKILL once 300 were
// accepted, while the rest are arriving and the accepted ones are queued,
// signed or pending, and restarted on the same data directory. Clients send
// every unanswered request again with the same key. In the end every key
// names one mint, answered the same on a replay; every mint is confirmed
// once with a unique token id; the chain's totalMinted() and Transfer logs
// count exactly the accepted mints; the platform wallet's nonces are
// contiguous and the node agrees.
func TestKillMidFlight(t *testing.T) {
	n, killAt, workers := 1000, 300, 32
	if short() {
		n, killAt = 200, 60
	}
	node := testenv.Anvil(t, chainID)
	cfg := newServerConfig(t, node)
	srv := newServer(t, "coffer", cfg)
	srv.start()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	col := deployCollection(t, ctx, srv.api)

	began := time.Now()
	load := newMintLoad(t, col.ID, srv.api)
	done := make(chan struct{})
	go func() { load.run(ctx, 0, n, workers); close(done) }()
	for load.accepted.Load() < int64(killAt) {
		select {
		case <-done:
			t.Fatalf("all %d mints answered before the kill", n)
		case <-time.After(time.Millisecond):
		}
	}
	srv.kill()
	atKill := load.accepted.Load()
	killedAfter := time.Since(began)

	// What the killed process left behind, read from its database.
	st := openStore(t, cfg)
	counts := map[string]int{}
	for _, status := range []string{coffer.TxQueued, coffer.TxPending, coffer.TxConfirmed} {
		txs, err := st.TransactionsByStatus(ctx, chainID, []string{status}, 5000)
		if err != nil {
			t.Fatal(err)
		}
		counts[status] = len(txs)
	}
	t.Logf("killed after %s with %d mints answered: store has %d queued, %d pending, %d confirmed transactions",
		killedAfter.Round(time.Millisecond), atKill, counts[coffer.TxQueued], counts[coffer.TxPending], counts[coffer.TxConfirmed])

	time.Sleep(500 * time.Millisecond) // clients meet a closed port meanwhile
	srv.start()
	<-done
	if t.Failed() {
		t.FailNow()
	}
	accepted := time.Since(began)
	waitSettled(t, ctx, st)
	settled := time.Since(began)
	t.Logf("%d mints answered in %s (%d requests sent again after no answer; accept p50 %s p99 %s); all settled after %s",
		load.accepted.Load(), accepted.Round(time.Millisecond), load.retries.Load(),
		percentile(load.accept, 0.5).Round(time.Millisecond), percentile(load.accept, 0.99).Round(time.Millisecond), settled.Round(time.Millisecond))

	// Every key once more: the same mint, nothing new.
	load.replayAll(ctx, n, workers)
	ids := load.ids()
	if len(ids) != n {
		t.Fatalf("%d keys answered, want %d", len(ids), n)
	}
	srv.stop()
	verify(t, ctx, st, node, col, ids)
}
