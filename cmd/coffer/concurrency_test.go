package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
)

// TestConcurrentMints: 50 mints by 5 users at once through the API all
// confirm with distinct token ids; each user gets exactly one wallet (made
// on first need, by ten requests at once); the platform wallet's nonces are
// 0..N-1 with no gap and no duplicate.
func TestConcurrentMints(t *testing.T) {
	const users, perUser = 5, 10
	cfg := devConfig(t, t.TempDir())
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	chainID := d.Chain.ChainID()

	clients := make([]*client, users)
	ids := make([]string, users)
	for i := range clients {
		clients[i], ids[i], _ = signedIn(t, ctx, cfg.HTTP.PublicURL)
	}
	type result struct {
		user int
		m    mintResp
		err  error
	}
	results := make(chan result, users*perUser)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for u := range users {
		for j := range perUser {
			wg.Go(func() {
				<-start
				var m mintResp
				meta := map[string]any{"name": fmt.Sprintf("user %d #%d", u, j)}
				err := clients[u].doIdem(ctx, "POST", "/v1/collections/"+d.Demo.ID+"/mint", map[string]any{"metadata": meta}, &m, fmt.Sprintf("c-%d-%d", u, j))
				results <- result{u, m, err}
			})
		}
	}
	close(start)
	wg.Wait()
	close(results)

	var mints []result
	for r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		mints = append(mints, r)
	}
	// One wallet per user, however many requests wanted it first.
	wallets := make([]common.Address, users)
	for u, id := range ids {
		ws, _, err := d.store.Wallets(ctx, id, 500, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 1 {
			t.Fatalf("user %d has %d wallets after concurrent first mints, want 1", u, len(ws))
		}
		wallets[u] = ws[0].Address
	}

	tokens := map[string]string{}
	for _, r := range mints {
		m := waitMint(t, ctx, clients[r.user], r.m.ID)
		if m.Status != "confirmed" || m.TokenID == nil {
			t.Fatalf("mint %s: %+v", r.m.ID, m)
		}
		if m.To != wallets[r.user] {
			t.Errorf("mint %s went to %s, not user %d's wallet %s", m.ID, m.To, r.user, wallets[r.user])
		}
		if other, dup := tokens[*m.TokenID]; dup {
			t.Errorf("token id %s minted by %s and %s", *m.TokenID, other, m.ID)
		}
		tokens[*m.TokenID] = m.ID
	}
	if len(tokens) != users*perUser {
		t.Fatalf("%d distinct tokens, want %d", len(tokens), users*perUser)
	}

	// The platform wallet's nonces: contiguous from 0, each used once, and
	// the node agrees on the next one.
	from := d.Platform.Address
	txs, _, err := d.store.Transactions(ctx, coffer.TxFilter{From: &from, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) < users*perUser+1 { // the mints and the demo deployment
		t.Fatalf("platform wallet has %d transactions, want at least %d", len(txs), users*perUser+1)
	}
	used := make([]string, len(txs))
	for _, tx := range txs {
		if tx.Nonce == nil {
			t.Fatalf("transaction %s (%s) has no nonce", tx.ID, tx.Status)
		}
		n := *tx.Nonce
		if n >= uint64(len(txs)) {
			t.Fatalf("nonce %d of %s beyond 0..%d: a gap", n, tx.ID, len(txs)-1)
		}
		if used[n] != "" {
			t.Fatalf("nonce %d used by %s and %s", n, used[n], tx.ID)
		}
		used[n] = tx.ID
		if tx.Status != coffer.TxConfirmed {
			t.Errorf("platform transaction %s is %s", tx.ID, tx.Status)
		}
	}
	next, err := d.clients[chainID].PendingNonce(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	if next != uint64(len(txs)) {
		t.Errorf("node's next nonce for the platform wallet is %d, store has %d transactions", next, len(txs))
	}
	if n, err := d.store.NextNonce(ctx, chainID, from); err != nil || n != uint64(len(txs)) {
		t.Errorf("store's next nonce %d (%v), want %d", n, err, len(txs))
	}
}
