package txm

import (
	"context"
	"math/big"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/testenv"
)

// countingStore counts how the manager takes nonces.
type countingStore struct {
	coffer.Store
	batches, batched, singles atomic.Int64
}

func (s *countingStore) AssignNonces(ctx context.Context, ids []string, sign func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error)) ([]*coffer.Transaction, error) {
	s.batches.Add(1)
	s.batched.Add(int64(len(ids)))
	return s.Store.AssignNonces(ctx, ids, sign)
}

func (s *countingStore) AssignNonce(ctx context.Context, id string, sign func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error)) (*coffer.Transaction, error) {
	s.singles.Add(1)
	return s.Store.AssignNonce(ctx, id, sign)
}

// TestBatchedSend: 200 transactions queued for one sender go out in few
// store transactions and few blocks, with contiguous nonces in queue order.
func TestBatchedSend(t *testing.T) {
	e := newEnv(t, false, "")
	cs := &countingStore{Store: e.store}
	e.store = cs
	const n = 200
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.queue(to, int64(i+1)).ID
	}
	e.run()
	blocks := map[uint64]bool{}
	for i, id := range ids {
		tx := e.wait(id, "confirmed", status(coffer.TxConfirmed))
		if *tx.Nonce != uint64(i) || len(tx.Attempts) != 1 {
			t.Fatalf("transaction %d: nonce %d, %d attempts", i, *tx.Nonce, len(tx.Attempts))
		}
		blocks[*tx.BlockNumber] = true
	}
	// 200 queued at once: runs of at most maxAssign (plus a run cut where a
	// round's queue read ended), nothing one by one.
	if b := cs.batches.Load(); b > 2*(n/maxAssign+1) || cs.singles.Load() != 0 || cs.batched.Load() != n {
		t.Fatalf("%d AssignNonces calls for %d transactions, %d single AssignNonce calls", b, cs.batched.Load(), cs.singles.Load())
	}
	// One at a time, the dev chain (mining on arrival) seals a block for
	// almost every transaction; sent as batches they share blocks.
	if len(blocks) > n/5 {
		t.Fatalf("%d transactions mined in %d blocks", n, len(blocks))
	}
	t.Logf("%d transactions: %d AssignNonces calls, %d blocks", n, cs.batches.Load(), len(blocks))
}

// refusingSigner refuses transactions of one value, as a policy would.
type refusingSigner struct {
	keySigner
	value *big.Int
}

func (r refusingSigner) SignTx(ctx context.Context, from common.Address, tx *types.Transaction, id *big.Int) (*types.Transaction, error) {
	if tx.Value().Cmp(r.value) == 0 {
		return nil, coffer.Errorf(coffer.EFORBIDDEN, "policy: value %s refused", r.value)
	}
	return r.keySigner.SignTx(ctx, from, tx, id)
}

// TestBatchSignRefused: a transaction the signer refuses in the middle of a
// run fails without a nonce; the ones before and after it go out, with no
// gap.
func TestBatchSignRefused(t *testing.T) {
	e := newEnv(t, false, "")
	to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	var ids []string
	for i := range 10 {
		ids = append(ids, e.queue(to, int64(i+1)).ID)
	}
	m := New(e.store, refusingSigner{e.keys, big.NewInt(4)}, map[uint64]ChainConfig{chainID: e.cc}, testenv.Logger())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	var nonces []uint64
	for i, id := range ids {
		if i == 3 {
			tx := e.wait(id, "failed", status(coffer.TxFailed))
			if tx.Nonce != nil || !strings.Contains(tx.Error, "signing refused") {
				t.Fatalf("refused transaction: nonce %v, error %q", tx.Nonce, tx.Error)
			}
			continue
		}
		tx := e.wait(id, "confirmed", status(coffer.TxConfirmed))
		nonces = append(nonces, *tx.Nonce)
	}
	if !slices.Equal(nonces, []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Fatalf("nonces %v, want 0..8 in queue order", nonces)
	}
}
