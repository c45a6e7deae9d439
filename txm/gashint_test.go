package txm

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/internal/testenv"
)

// deploy creates a contract whose code is runtime and waits for it.
func (e *env) deploy(nonce uint64, runtime []byte) common.Address {
	e.t.Helper()
	// Init code: CODECOPY the runtime (after these 12 bytes) to memory 0 and RETURN it.
	n := byte(len(runtime))
	initCode := append([]byte{0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xf3}, runtime...)
	tx, err := types.SignTx(types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(chainID), Nonce: nonce, GasTipCap: big.NewInt(1e9),
		GasFeeCap: big.NewInt(100e9), Gas: 200_000, Data: initCode}), types.LatestSignerForChainID(big.NewInt(chainID)), e.keys[e.from])
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.client.Send(context.Background(), tx); err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.receipt(tx.Hash()) == nil {
		if time.Now().After(deadline) {
			e.t.Fatal("deployment never mined")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return crypto.CreateAddress(e.from, nonce)
}

// TestEstimateHints: the last estimate of a call shape is offered to the
// node as the limit to start from; the answer is the same as without it, a
// hint too low is asked again without it, and a revert still surfaces.
func TestEstimateHints(t *testing.T) {
	e := newEnv(t, false, "")
	ctx := context.Background()
	m := New(e.store, e.keys, map[uint64]ChainConfig{chainID: e.cc}, testenv.Logger())
	w := m.chains[chainID]
	writes := e.deploy(0, []byte{0x60, 0x01, 0x60, 0x00, 0x55, 0x00}) // SSTORE(0, 1) STOP
	reverts := e.deploy(1, []byte{0x60, 0x00, 0x80, 0xfd})            // REVERT(0, 0)

	call := &coffer.Transaction{ChainID: chainID, From: e.from, To: &writes, Data: []byte{1, 2, 3, 4}}
	key, ok := hintOf(call)
	if !ok || w.hint(key) != 0 {
		t.Fatalf("hint before any estimate: %v %d", ok, w.hint(key))
	}
	g1, err := w.estimate(ctx, call)
	if err != nil {
		t.Fatal(err)
	}
	hint := w.hint(key)
	if hint < 43_000 || g1 != uint64(float64(hint)*w.cfg.GasBuffer) {
		t.Fatalf("estimate %d, hint %d", g1, hint)
	}
	// With the hint the node starts its search there and answers it.
	if g, err := w.estimate(ctx, call); err != nil || g != g1 || w.hint(key) != hint {
		t.Fatalf("hinted estimate %d (hint %d), %v; want %d", g, w.hint(key), err, g1)
	}
	// A hint a little above what the call needs is the answer as it is:
	// the node ran the call once at that limit and stopped there.
	w.hints.Put(key, hint+300)
	if _, err := w.estimate(ctx, call); err != nil || w.hint(key) != hint+300 {
		t.Fatalf("estimate from a hint 300 above: the node answered %d, %v", w.hint(key), err)
	}
	// Too low a hint fails at the node; the estimate is asked again without it.
	w.hints.Put(key, 21_500)
	if g, err := w.estimate(ctx, call); err != nil || g != g1 || w.hint(key) != hint {
		t.Fatalf("estimate after a low hint %d (hint %d), %v; want %d", g, w.hint(key), err, g1)
	}
	// A call that reverts reports the revert, hint or not.
	rcall := &coffer.Transaction{ChainID: chainID, From: e.from, To: &reverts, Data: []byte{1, 2, 3, 4}}
	rkey, _ := hintOf(rcall)
	w.hints.Put(rkey, 100_000)
	if _, err := w.estimate(ctx, rcall); chain.AsRevert(err) == nil {
		t.Fatalf("reverting call: %v", err)
	}
	// Plain transfers and deployments take no hint.
	if _, ok := hintOf(&coffer.Transaction{To: &writes}); ok {
		t.Fatal("a transfer has a hint key")
	}
	if _, ok := hintOf(&coffer.Transaction{Data: []byte{1, 2, 3, 4}}); ok {
		t.Fatal("a deployment has a hint key")
	}
}

// hint is the hint held for k (0: none).
func (w *worker) hint(k hintKey) uint64 {
	g, _ := w.hints.Get(k)
	return g
}
