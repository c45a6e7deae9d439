package txm

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/chain/devchain"
	"github.com/cofferhq/coffer/internal/testenv"
	"github.com/cofferhq/coffer/store"
)

const chainID = 1337

type keySigner map[common.Address]*ecdsa.PrivateKey

func (k keySigner) SignTx(_ context.Context, from common.Address, tx *types.Transaction, id *big.Int) (*types.Transaction, error) {
	return types.SignTx(tx, types.LatestSignerForChainID(id), k[from])
}

type env struct {
	t      *testing.T
	dc     *devchain.Chain
	client *chain.Client
	store  coffer.Store
	keys   keySigner
	from   common.Address // a funded custodial sender
	cc     ChainConfig
	addr   string           // the chain's JSON-RPC over HTTP ("": in-process only)
	funded []common.Address // funded at genesis besides from
}

func newEnv(t *testing.T, manual bool, dir string) *env {
	t.Helper()
	return newEnvAt(t, manual, dir, "")
}

// newEnvAt is newEnv with the chain also served over HTTP at addr, and
// the addresses funded given ether at genesis.
func newEnvAt(t *testing.T, manual bool, dir, addr string, funded ...common.Address) *env {
	t.Helper()
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	e := &env{t: t, keys: keySigner{from: key}, from: from, addr: addr, funded: funded}
	e.startChain(manual, dir)
	st, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store = st
	e.cc = ChainConfig{Client: e.client, PollInterval: 30 * time.Millisecond, Rebroadcast: 200 * time.Millisecond, ResubmitAfter: time.Minute}
	return e
}

func (e *env) startChain(manual bool, dir string) {
	e.t.Helper()
	alloc := map[common.Address]*big.Int{e.from: new(big.Int).Mul(big.NewInt(100), big.NewInt(params.Ether))}
	for _, a := range e.funded {
		alloc[a] = new(big.Int).Mul(big.NewInt(100), big.NewInt(params.Ether))
	}
	dc, err := devchain.Start(devchain.Config{ChainID: chainID, Alloc: alloc, Manual: manual, Dir: dir, Addr: e.addr, Logger: testenv.Logger()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { dc.Close() })
	e.dc = dc
	e.client = chain.NewFromRPC(chainID, dc.RPC())
	e.cc.Client = e.client
}

// run starts a manager; the returned func stops it and waits.
func (e *env) run() (*Manager, func()) {
	m := New(e.store, e.keys, map[uint64]ChainConfig{chainID: e.cc}, testenv.Logger())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { m.Run(ctx) })
	stop := func() { cancel(); wg.Wait() }
	e.t.Cleanup(stop)
	return m, stop
}

// miner commits a block every period until the test ends.
func (e *env) miner(period time.Duration) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				e.dc.Commit()
			}
		}
	})
	var once sync.Once
	stop := func() { once.Do(func() { close(done); wg.Wait() }) }
	e.t.Cleanup(stop)
	return stop
}

func (e *env) queue(to common.Address, wei int64) *coffer.Transaction {
	e.t.Helper()
	tx := &coffer.Transaction{ID: coffer.NewID("tx"), Kind: coffer.KindTransfer, ChainID: chainID, From: e.from, To: &to,
		Value: big.NewInt(wei), Status: coffer.TxQueued}
	if err := e.store.CreateTransaction(context.Background(), tx); err != nil {
		e.t.Fatal(err)
	}
	return tx
}

// wait polls tx until cond holds.
func (e *env) wait(id string, what string, cond func(*coffer.Transaction) bool) *coffer.Transaction {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tx, err := e.store.Transaction(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		if cond(tx) {
			return tx
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("transaction %s never %s: status %s, %d attempts, error %q", id, what, tx.Status, len(tx.Attempts), tx.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func status(s ...string) func(*coffer.Transaction) bool {
	return func(tx *coffer.Transaction) bool {
		for _, st := range s {
			if tx.Status == st {
				return true
			}
		}
		return false
	}
}

// inPool waits until the node holds h unmined.
func (e *env) inPool(h common.Hash) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, pending, err := e.client.Eth().TransactionByHash(context.Background(), h); err == nil && pending {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s never reached the pool", h)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) receipt(h common.Hash) *types.Receipt {
	rs, err := e.client.Receipts(context.Background(), []common.Hash{h})
	if err != nil {
		e.t.Fatal(err)
	}
	return rs[0]
}

func TestSendConfirm(t *testing.T) {
	e := newEnv(t, false, "")
	e.cc.Confirmations = 1
	e.run()
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	var ids []string
	for i := range 5 {
		ids = append(ids, e.queue(to, int64(i+1)).ID)
	}
	for i, id := range ids {
		tx := e.wait(id, "confirmed", status(coffer.TxConfirmed))
		if *tx.Nonce != uint64(i) || tx.Gas == 0 || tx.FeeCap == nil || e.receipt(*tx.Hash) == nil {
			t.Fatalf("confirmed tx %+v", tx)
		}
	}
}

// TestStuckReplaced: nothing is mined while the manager waits, so it re-signs
// at the same nonce with higher fees; the replacement is what gets mined and
// the record says so.
func TestStuckReplaced(t *testing.T) {
	e := newEnv(t, true, "")
	e.cc.ResubmitAfter = 300 * time.Millisecond
	e.run()
	tx := e.queue(common.HexToAddress("0xbb"), 7)
	tx = e.wait(tx.ID, "replaced", func(tx *coffer.Transaction) bool { return len(tx.Attempts) >= 2 })
	e.inPool(tx.Attempts[1].Hash)
	e.dc.Commit()
	e.miner(100 * time.Millisecond)
	tx = e.wait(tx.ID, "confirmed", status(coffer.TxConfirmed))
	r := e.receipt(*tx.Hash)
	if r == nil || r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("recorded hash %s has no receipt", tx.Hash)
	}
	if *tx.Hash == tx.Attempts[0].Hash || e.receipt(tx.Attempts[0].Hash) != nil {
		t.Fatal("the first, replaced attempt is recorded as mined")
	}
	for i := 1; i < len(tx.Attempts); i++ {
		prev, cur := tx.Attempts[i-1], tx.Attempts[i]
		if cur.Kind != coffer.AttemptSend || cur.FeeCap.Cmp(minRaise(prev.FeeCap)) < 0 || cur.TipCap.Cmp(minRaise(prev.TipCap)) < 0 {
			t.Fatalf("attempt %d not bumped by 10%%: %+v after %+v", i, cur, prev)
		}
	}
	if tx.FeeCap.Cmp(tx.Attempts[len(tx.Attempts)-1].FeeCap) > 0 && *tx.Hash == tx.Attempts[len(tx.Attempts)-1].Hash {
		t.Fatal("fees of the record are not the mined attempt's")
	}
	bal, _ := e.client.Balance(context.Background(), common.HexToAddress("0xbb"))
	if bal.Int64() != 7 {
		t.Fatalf("recipient got %s, want exactly 7 (one transfer)", bal)
	}
}

func TestCancel(t *testing.T) {
	e := newEnv(t, true, "")
	ctx := context.Background()
	m, _ := e.run()
	to := common.HexToAddress("0xcc")

	// Pending: replaced by a 0-value self-transfer, which wins.
	tx := e.queue(to, 5)
	tx = e.wait(tx.ID, "pending", status(coffer.TxPending))
	e.inPool(*tx.Hash)
	got, err := m.Cancel(ctx, tx.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != coffer.TxPending || lastKind(got) != coffer.AttemptCancel {
		t.Fatalf("after cancel: %+v", got)
	}
	if again, err := m.Cancel(ctx, tx.ID); err != nil || len(again.Attempts) != len(got.Attempts) {
		t.Fatalf("second cancel: %v, %d attempts", err, len(again.Attempts))
	}
	e.inPool(*got.Hash)
	e.dc.Commit()
	tx = e.wait(tx.ID, "cancelled", status(coffer.TxCancelled))
	r := e.receipt(*tx.Hash)
	if r == nil || tx.BlockNumber == nil {
		t.Fatal("cancelled without a mined cancel")
	}
	mined, _, _ := e.client.Eth().TransactionByHash(ctx, *tx.Hash)
	if *mined.To() != e.from || mined.Value().Sign() != 0 || mined.Nonce() != 0 {
		t.Fatalf("cancel mined as %+v", mined)
	}
	if bal, _ := e.client.Balance(ctx, to); bal.Sign() != 0 {
		t.Fatal("the cancelled transfer was paid")
	}

	// Mined first: the cancel is too late.
	tx2 := e.queue(to, 6)
	tx2 = e.wait(tx2.ID, "pending", status(coffer.TxPending))
	if *tx2.Nonce != 1 {
		t.Fatalf("nonce %d after a cancelled nonce 0", *tx2.Nonce)
	}
	e.inPool(*tx2.Hash)
	e.dc.Commit()
	if _, err := m.Cancel(ctx, tx2.ID); coffer.ErrorCode(err) != coffer.ECONFLICT {
		t.Fatalf("cancel of a mined transaction: %v", err)
	}
	tx2 = e.wait(tx2.ID, "confirmed", status(coffer.TxConfirmed))
	if lastKind(tx2) != coffer.AttemptSend {
		t.Fatal("a cancel was sent for a mined transaction")
	}
}

// TestFeeCapHoldsAndCancelQueued: fees above the chain's cap keep a
// transaction queued (no nonce taken); cancelling it then just marks it.
func TestFeeCapHoldsAndCancelQueued(t *testing.T) {
	e := newEnv(t, false, "")
	e.cc.MaxFeePerGas = big.NewInt(1) // 1 wei: below any base fee
	m, _ := e.run()
	tx := e.queue(common.HexToAddress("0xdd"), 1)
	time.Sleep(300 * time.Millisecond)
	got, _ := e.store.Transaction(context.Background(), tx.ID)
	if got.Status != coffer.TxQueued || got.Nonce != nil {
		t.Fatalf("sent above the fee cap: %+v", got)
	}
	got, err := m.Cancel(context.Background(), tx.ID)
	if err != nil || got.Status != coffer.TxCancelled {
		t.Fatalf("cancel queued: %+v, %v", got, err)
	}
	if _, err := m.Cancel(context.Background(), tx.ID); err != nil {
		t.Fatalf("cancel twice: %v", err)
	}
}

// TestReorg: a mined transaction whose block leaves the chain goes back to
// pending, is sent again and confirmed in the new chain.
func TestReorg(t *testing.T) {
	e := newEnv(t, true, "")
	e.cc.Confirmations = 3
	e.run()
	tx := e.queue(common.HexToAddress("0xee"), 3)
	tx = e.wait(tx.ID, "pending", status(coffer.TxPending))
	e.inPool(*tx.Hash)
	e.dc.Commit()
	tx = e.wait(tx.ID, "mined", status(coffer.TxMined))
	first := *tx.BlockHash
	if err := e.dc.Rewind(e.dc.BlockHash(0)); err != nil {
		t.Fatal(err)
	}
	e.wait(tx.ID, "pending again", status(coffer.TxPending))
	e.inPool(*tx.Hash)
	e.miner(50 * time.Millisecond)
	tx = e.wait(tx.ID, "confirmed", status(coffer.TxConfirmed))
	if *tx.BlockHash == first || e.dc.BlockHash(*tx.BlockNumber) != *tx.BlockHash {
		t.Fatalf("confirmed in block %s (first %s)", tx.BlockHash, first)
	}
}

// TestOutsideNonceUse: the key sends at coffer's nonce from elsewhere. coffer's
// transaction fails as replaced and the next one continues after the node's
// nonce — no gap, no duplicate.
func TestOutsideNonceUse(t *testing.T) {
	e := newEnv(t, true, "")
	ctx := context.Background()
	e.run()
	tx := e.queue(common.HexToAddress("0xff"), 1)
	tx = e.wait(tx.ID, "pending", status(coffer.TxPending))
	e.inPool(*tx.Hash)
	// The same key, elsewhere, outbids it at nonce 0.
	outside := types.MustSignNewTx(e.keys[e.from], types.LatestSignerForChainID(big.NewInt(chainID)), &types.DynamicFeeTx{
		ChainID: big.NewInt(chainID), Nonce: 0, GasTipCap: new(big.Int).Mul(tx.TipCap, big.NewInt(3)),
		GasFeeCap: new(big.Int).Mul(tx.FeeCap, big.NewInt(3)), Gas: 21000, To: &e.from, Value: big.NewInt(0)})
	if err := e.client.Send(ctx, outside); err != nil {
		t.Fatal(err)
	}
	e.dc.Commit()
	if e.receipt(outside.Hash()) == nil {
		t.Fatal("outside transaction not mined")
	}
	tx = e.wait(tx.ID, "failed as replaced", status(coffer.TxFailed))
	if tx.Error == "" {
		t.Fatal("no reason recorded")
	}
	e.miner(50 * time.Millisecond)
	next := e.queue(common.HexToAddress("0xff"), 2)
	next = e.wait(next.ID, "confirmed", status(coffer.TxConfirmed))
	if *next.Nonce != 1 {
		t.Fatalf("next nonce %d, want 1", *next.Nonce)
	}
}

// TestRestart: a manager stops with transactions pending and the node loses
// its pool; a new manager on the same store re-broadcasts them (same hashes)
// and all confirm.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, true, dir)
	_, stop := e.run()
	var txs []*coffer.Transaction
	for i := range 5 {
		txs = append(txs, e.queue(common.HexToAddress("0xab"), int64(i+1)))
	}
	hashes := map[string]common.Hash{}
	for _, tx := range txs {
		got := e.wait(tx.ID, "pending", status(coffer.TxPending))
		hashes[tx.ID] = *got.Hash
	}
	stop()
	e.dc.Close()
	e.startChain(true, dir) // the pool is gone; the store remembers
	if n, _ := e.client.PendingNonce(context.Background(), e.from); n != 0 {
		t.Fatalf("restarted node still knows %d transactions", n)
	}
	e.miner(50 * time.Millisecond)
	e.run()
	for i, tx := range txs {
		got := e.wait(tx.ID, "confirmed", status(coffer.TxConfirmed))
		if *got.Hash != hashes[tx.ID] || *got.Nonce != uint64(i) || len(got.Attempts) != 1 {
			t.Fatalf("after restart %s: hash %s (was %s), nonce %d, %d attempts", tx.ID, got.Hash, hashes[tx.ID], *got.Nonce, len(got.Attempts))
		}
	}
}

func TestSubmitRaw(t *testing.T) {
	e := newEnv(t, false, "")
	ctx := context.Background()
	m, _ := e.run()
	// A self-custody sender, funded by the custodial one.
	user, _ := crypto.GenerateKey()
	userAddr := crypto.PubkeyToAddress(user.PublicKey)
	fund := e.queue(userAddr, params.Ether)
	e.wait(fund.ID, "confirmed", status(coffer.TxConfirmed))
	time.Sleep(200 * time.Millisecond) // the node's pool catches up with the new block in the background

	signer := types.LatestSignerForChainID(big.NewInt(chainID))
	fees, err := e.client.SuggestFees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0x1234")
	mk := func(key *ecdsa.PrivateKey, nonce uint64, value int64) []byte {
		tx := types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(chainID), Nonce: nonce, GasTipCap: fees.TipCap,
			GasFeeCap: fees.FeeCap, Gas: 21000, To: &to, Value: big.NewInt(value)})
		raw, _ := tx.MarshalBinary()
		return raw
	}
	raw := mk(user, 0, 9)
	tx, created, err := m.SubmitRaw(ctx, "usr_1", raw)
	if err != nil || !created || tx.Status != coffer.TxPending || tx.From != userAddr || *tx.Nonce != 0 {
		t.Fatalf("submit: %+v, %v", tx, err)
	}
	again, created, err := m.SubmitRaw(ctx, "usr_1", raw)
	if err != nil || created || again.ID != tx.ID {
		t.Fatalf("same bytes again: %+v, %v", again, err)
	}
	if _, _, err := m.SubmitRaw(ctx, "usr_2", raw); coffer.ErrorCode(err) != coffer.ECONFLICT {
		t.Fatalf("same bytes from someone else: %v", err)
	}
	got := e.wait(tx.ID, "confirmed", status(coffer.TxConfirmed))
	if *got.Hash != *tx.Hash || got.Kind != coffer.KindRaw {
		t.Fatalf("raw confirmed as %+v", got)
	}

	other, _ := crypto.GenerateKey() // no funds
	legacy := types.MustSignNewTx(user, types.HomesteadSigner{}, &types.LegacyTx{Nonce: 1, GasPrice: fees.FeeCap, Gas: 21000, To: &to})
	unprotected, _ := legacy.MarshalBinary()
	wrongChain := types.MustSignNewTx(user, types.LatestSignerForChainID(big.NewInt(5)), &types.DynamicFeeTx{ChainID: big.NewInt(5), Nonce: 1,
		GasTipCap: fees.TipCap, GasFeeCap: fees.FeeCap, Gas: 21000, To: &to})
	wrong, _ := wrongChain.MarshalBinary()
	custodial := mk(e.keys[e.from], 5, 1)
	if err := e.store.CreateWallet(ctx, &coffer.Wallet{Address: e.from, OwnerID: "usr_1", Backend: "local", KeyID: "k1"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		raw  []byte
		code string
	}{
		{"malformed", []byte{0x02, 0xc0, 0x01}, coffer.EINVALID},
		{"empty", nil, coffer.EINVALID},
		{"unprotected legacy", unprotected, coffer.EINVALID},
		{"unconfigured chain", wrong, coffer.EINVALID},
		{"custodial sender", custodial, coffer.ECONFLICT},
		{"nonce too low", mk(user, 0, 10), coffer.ECONFLICT},
		{"insufficient funds", mk(other, 0, 1), coffer.EINVALID},
	}
	for _, c := range cases {
		if _, _, err := m.SubmitRaw(ctx, "usr_1", c.raw); coffer.ErrorCode(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func TestPreflight(t *testing.T) {
	e := newEnv(t, false, "")
	m, _ := e.run()
	ctx := context.Background()
	// Init code that reverts at once: PUSH1 0 PUSH1 0 REVERT.
	deploy := &coffer.Transaction{ChainID: chainID, From: e.from, Data: []byte{0x60, 0x00, 0x60, 0x00, 0xfd}}
	if err := m.Preflight(ctx, deploy); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Fatalf("reverting deploy: %v", err)
	}
	to := common.HexToAddress("0x99")
	ok := &coffer.Transaction{ChainID: chainID, From: e.from, To: &to, Value: big.NewInt(1)}
	if err := m.Preflight(ctx, ok); err != nil || ok.Gas < 21000 {
		t.Fatalf("transfer: gas %d, %v", ok.Gas, err)
	}
	if err := m.Preflight(ctx, &coffer.Transaction{ChainID: 5, From: e.from, To: &to}); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Fatalf("unknown chain: %v", err)
	}
}

func TestBumpFees(t *testing.T) {
	g := func(n int64) *big.Int { return big.NewInt(n) }
	prev := types.NewTx(&types.DynamicFeeTx{GasTipCap: g(1000), GasFeeCap: g(10000)})
	_, fc, tc, err := bumpFees(prev, chain.Fees{TipCap: g(1), FeeCap: g(2)}, 12.5, nil)
	if err != nil || fc.Int64() != 11250 || tc.Int64() != 1125 {
		t.Fatalf("bump: %v %v %v", fc, tc, err)
	}
	// The market above the bump wins.
	_, fc, tc, _ = bumpFees(prev, chain.Fees{TipCap: g(5000), FeeCap: g(50000)}, 12.5, nil)
	if fc.Int64() != 50000 || tc.Int64() != 5000 {
		t.Fatalf("market: %v %v", fc, tc)
	}
	// Capped, but still 10% above: allowed at the cap.
	_, fc, _, err = bumpFees(prev, chain.Fees{TipCap: g(1), FeeCap: g(2)}, 12.5, g(11000))
	if err != nil || fc.Int64() != 11000 {
		t.Fatalf("cap: %v %v", fc, err)
	}
	// The cap leaves less than the node's 10%: refused.
	if _, _, _, err := bumpFees(prev, chain.Fees{TipCap: g(1), FeeCap: g(2)}, 12.5, g(10500)); err != errAtCap {
		t.Fatalf("over cap: %v", err)
	}
	legacy := types.NewTx(&types.LegacyTx{GasPrice: g(100)})
	gp, _, _, err := bumpFees(legacy, chain.Fees{GasPrice: g(50)}, 12.5, nil)
	if err != nil || gp.Int64() != 113 {
		t.Fatalf("legacy: %v %v", gp, err)
	}
}

func TestCapFees(t *testing.T) {
	g := func(n int64) *big.Int { return big.NewInt(n) }
	f := chain.Fees{FeeCap: g(250), TipCap: g(50), BaseFee: g(100)}
	if got, ok := capFees(f, nil); !ok || got.FeeCap.Int64() != 250 {
		t.Fatal("no cap")
	}
	if got, ok := capFees(f, g(200)); !ok || got.FeeCap.Int64() != 200 {
		t.Fatalf("lowered to the cap: %v %v", got.FeeCap, ok)
	}
	if _, ok := capFees(f, g(120)); ok {
		t.Fatal("a cap below base fee + tip must hold")
	}
	if _, ok := capFees(chain.Fees{GasPrice: g(10)}, g(9)); ok {
		t.Fatal("legacy price above the cap must hold")
	}
}
