package txm

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
)

// rpcProxy stands between the manager and the dev chain's HTTP endpoint:
// it counts the JSON-RPC methods called (batch elements one by one) and the
// requests calling them, and answers the refused ones "method not found",
// as a node without them does.
type rpcProxy struct {
	*httptest.Server
	mu       sync.Mutex
	calls    map[string]int
	requests map[string]int
	refuse   map[string]bool
}

func newRPCProxy(t *testing.T, target string, refuse ...string) *rpcProxy {
	t.Helper()
	p := &rpcProxy{calls: map[string]int{}, requests: map[string]int{}, refuse: map[string]bool{}}
	for _, m := range refuse {
		p.refuse[m] = true
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		batch := bytes.HasPrefix(bytes.TrimSpace(body), []byte("["))
		var msgs []json.RawMessage
		if !batch {
			msgs = []json.RawMessage{body}
		} else if err := json.Unmarshal(body, &msgs); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		answers := make([]json.RawMessage, len(msgs))
		var fwd []json.RawMessage
		var at []int
		seen := map[string]bool{}
		for i, m := range msgs {
			var c struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
			}
			if err := json.Unmarshal(m, &c); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			p.mu.Lock()
			p.calls[c.Method]++
			if !seen[c.Method] {
				seen[c.Method] = true
				p.requests[c.Method]++
			}
			p.mu.Unlock()
			if p.refuse[c.Method] {
				answers[i] = json.RawMessage(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"the method %s does not exist/is not available"}}`, c.ID, c.Method))
				continue
			}
			fwd, at = append(fwd, m), append(at, i)
		}
		if len(fwd) > 0 {
			req, _ := json.Marshal(fwd)
			resp, err := http.Post(target, "application/json", bytes.NewReader(req))
			if err != nil {
				http.Error(w, err.Error(), 502)
				return
			}
			defer resp.Body.Close()
			var got []json.RawMessage
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || len(got) != len(fwd) {
				http.Error(w, fmt.Sprintf("node answered %d of %d: %v", len(got), len(fwd), err), 502)
				return
			}
			for j, a := range got { // the node answers a batch in order
				answers[at[j]] = a
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if batch {
			json.NewEncoder(w).Encode(answers)
		} else {
			w.Write(answers[0])
		}
	}))
	t.Cleanup(p.Close)
	return p
}

// count returns how often method was called.
func (p *rpcProxy) count(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[method]
}

// requestsWith returns how many requests called method.
func (p *rpcProxy) requestsWith(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[method]
}

// client dials the proxy.
func (p *rpcProxy) client(t *testing.T) *chain.Client {
	t.Helper()
	c, err := chain.Dial(context.Background(), chainID, []string{p.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// rawTx signs a transfer of key's at nonce for SubmitRaw.
func (e *env) rawTx(key *ecdsa.PrivateKey, nonce uint64, wei int64) (common.Hash, []byte) {
	e.t.Helper()
	fees, err := e.client.SuggestFees(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000000c0")
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(big.NewInt(chainID)), &types.DynamicFeeTx{ChainID: big.NewInt(chainID), Nonce: nonce,
		GasTipCap: fees.TipCap, GasFeeCap: fees.FeeCap, Gas: 21000, To: &to, Value: big.NewInt(wei)})
	raw, _ := tx.MarshalBinary()
	return tx.Hash(), raw
}

// TestTrackByBlock: the pass after a new block reads that block's receipts
// and asks for no receipt by hash, though a transaction that block does not
// hold is open too.
func TestTrackByBlock(t *testing.T) {
	ctx := context.Background()
	user, _ := crypto.GenerateKey()
	e := newEnvAt(t, true, "", "127.0.0.1:0", crypto.PubkeyToAddress(user.PublicKey))
	p := newRPCProxy(t, e.dc.URL())
	e.cc.Client = p.client(t)
	e.cc.Rebroadcast = time.Hour // a re-send after the block would meet "nonce too low", which asks by hash
	m, _ := e.run()
	// Pending throughout: a nonce gap keeps it out of every block.
	_, raw := e.rawTx(user, 5, 1)
	stuck, _, err := m.SubmitRaw(ctx, "usr_1", raw)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		tx := e.queue(common.HexToAddress("0xbb"), int64(i+1))
		ids = append(ids, tx.ID)
	}
	for _, id := range ids {
		e.inPool(*e.wait(id, "pending", status(coffer.TxPending)).Hash)
	}
	byHash, byBlock := p.count("eth_getTransactionReceipt"), p.count("eth_getBlockReceipts")
	e.dc.Commit()
	for _, id := range ids {
		e.wait(id, "confirmed", status(coffer.TxConfirmed))
	}
	if n := p.count("eth_getTransactionReceipt") - byHash; n != 0 {
		t.Errorf("%d receipts asked for by hash after one block", n)
	}
	if p.count("eth_getBlockReceipts") == byBlock {
		t.Error("the block's receipts were not read")
	}
	if got, _ := e.store.Transaction(ctx, stuck.ID); got.Status != coffer.TxPending {
		t.Fatalf("the transaction with a nonce gap is %s", got.Status)
	}
}

// TestTrackReorgByBlock: the chain the last pass saw is replaced by a
// longer one. The next pass's new block does not follow the block that pass
// saw last, so it asks by hash: it finds a pending transaction mined in the
// new branch below that height, and moves a mined one the new branch left
// out back to pending.
func TestTrackReorgByBlock(t *testing.T) {
	ctx := context.Background()
	user, _ := crypto.GenerateKey()
	e := newEnvAt(t, true, "", "127.0.0.1:0", crypto.PubkeyToAddress(user.PublicKey))
	p := newRPCProxy(t, e.dc.URL())
	e.cc.Client = p.client(t)
	e.cc.Confirmations = 3
	// Only wake-ups start rounds and passes; nothing re-sent or replaced on a timer.
	e.cc.PollInterval, e.cc.Rebroadcast, e.cc.ResubmitAfter = time.Hour, time.Hour, time.Hour
	m, _ := e.run()
	w := m.chains[chainID]
	// pass wakes the tracker and returns once that pass is over (the next
	// wake-up's call has begun: the tracker is one goroutine).
	pass := func() {
		t.Helper()
		for range 2 {
			calls := w.trackCalls.Load()
			w.wakeTracker()
			for deadline := time.Now().Add(30 * time.Second); w.trackCalls.Load() == calls; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the tracker does not wake up")
				}
			}
		}
	}
	mined := e.queue(common.HexToAddress("0xbb"), 1)
	m.Notify(chainID)
	mined = e.wait(mined.ID, "pending", status(coffer.TxPending))
	e.inPool(*mined.Hash)
	e.dc.Commit() // block 1
	pass()
	mined = e.wait(mined.ID, "mined", status(coffer.TxMined))
	if p.count("eth_getBlockReceipts") == 0 {
		t.Fatal("the block's receipts were not read")
	}
	e.dc.Commit() // block 2, empty
	pass()        // the last pass's head: block 2

	// A new branch from genesis: another transaction takes the mined one's
	// nonce, and a self-custody one submitted meanwhile is mined in its
	// first block.
	if err := e.dc.Rewind(e.dc.BlockHash(0)); err != nil {
		t.Fatal(err)
	}
	outbid := types.MustSignNewTx(e.keys[e.from], types.LatestSignerForChainID(big.NewInt(chainID)), &types.DynamicFeeTx{
		ChainID: big.NewInt(chainID), Nonce: 0, GasTipCap: new(big.Int).Mul(mined.TipCap, big.NewInt(3)),
		GasFeeCap: new(big.Int).Mul(mined.FeeCap, big.NewInt(3)), Gas: 21000, To: &e.from, Value: big.NewInt(0)})
	// The pool catches up with the rewind in the background.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		err := e.client.Send(ctx, outbid)
		if err == nil {
			break
		}
		if chain.Classify(err) != chain.ErrNonceTooLow || time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	e.inPool(outbid.Hash())
	h, raw := e.rawTx(user, 0, 2)
	late, _, err := m.SubmitRaw(ctx, "usr_1", raw)
	if err != nil {
		t.Fatal(err)
	}
	e.inPool(h)
	for range 3 {
		e.dc.Commit() // blocks 1', 2', 3'
	}
	if r := e.receipt(h); r == nil || r.BlockNumber.Uint64() != 1 {
		t.Fatalf("the self-custody transaction is not in block 1': %v", r)
	}
	calls := w.trackCalls.Load()
	w.wakeTracker() // one pass, and no other: it must find both
	e.wait(late.ID, "confirmed", status(coffer.TxConfirmed))
	if n := w.trackCalls.Load() - calls; n != 1 {
		t.Fatalf("%d passes, want 1", n)
	}
	if got, _ := e.store.Transaction(ctx, mined.ID); got.Status != coffer.TxPending {
		t.Fatalf("the transaction the new branch left out is %s", got.Status)
	}
}

// TestTrackWithoutBlockReceipts: a node without eth_getBlockReceipts is
// asked once (one batch); receipts are then asked for by hash, and
// everything confirms.
func TestTrackWithoutBlockReceipts(t *testing.T) {
	e := newEnvAt(t, true, "", "127.0.0.1:0")
	p := newRPCProxy(t, e.dc.URL(), "eth_getBlockReceipts")
	e.cc.Client = p.client(t)
	e.miner(50 * time.Millisecond)
	e.run()
	var ids []string
	for i := range 5 {
		ids = append(ids, e.queue(common.HexToAddress("0xbb"), int64(i+1)).ID)
	}
	for _, id := range ids {
		e.wait(id, "confirmed", status(coffer.TxConfirmed))
	}
	e.wait(e.queue(common.HexToAddress("0xbb"), 9).ID, "confirmed", status(coffer.TxConfirmed))
	if n := p.requestsWith("eth_getBlockReceipts"); n != 1 {
		t.Errorf("eth_getBlockReceipts asked in %d requests, want one", n)
	}
	if p.count("eth_getTransactionReceipt") == 0 {
		t.Error("no receipt asked for by hash")
	}
}
