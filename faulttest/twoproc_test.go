package faulttest

import (
	"context"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/testenv"
)

// TestTwoProcessesOnePostgres: two `coffer serve` processes share one
// PostgreSQL schema, one anvil and the platform wallet; 200 mints arrive
// split across both at once, so both transaction managers assign nonces
// and broadcast for the same sender. Every mint confirms once, the nonces
// are contiguous with no duplicate, and every key replayed on the other
// process answers the same mint.
func TestTwoProcessesOnePostgres(t *testing.T) {
	n, workers := 200, 32
	if short() {
		n = 60
	}
	dsn := testenv.PostgresDSN(t)
	node := testenv.Anvil(t, chainID)
	cfgA := newServerConfig(t, node)
	cfgA.StoreDriver, cfgA.StoreDSN = "postgres", dsn
	cfgB := newServerConfig(t, node)
	cfgB.StoreDriver, cfgB.StoreDSN = "postgres", dsn
	cfgB.MasterKeyFile, cfgB.AdminKey = cfgA.MasterKeyFile, cfgA.AdminKey // one deployment, two processes
	a, b := newServer(t, "coffer-a", cfgA), newServer(t, "coffer-b", cfgB)
	a.start()
	b.start()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	col := deployCollection(t, ctx, a.api)
	st := openStore(t, cfgA)

	began := time.Now()
	load := newMintLoad(t, col.ID, a.api, b.api)
	load.run(ctx, 0, n, workers)
	if t.Failed() {
		t.FailNow()
	}
	answered := time.Since(began)
	waitSettled(t, ctx, st)
	t.Logf("%d mints through two processes answered in %s (accept p50 %s p99 %s), all confirmed after %s",
		n, answered.Round(time.Millisecond), percentile(load.accept, 0.5).Round(time.Millisecond),
		percentile(load.accept, 0.99).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	load.shift = 1 // every key once more, on the other process
	load.replayAll(ctx, n, workers)
	ids := load.ids()
	if len(ids) != n {
		t.Fatalf("%d keys answered, want %d", len(ids), n)
	}
	a.stop()
	b.stop()
	verify(t, ctx, st, node, col, ids)
}
