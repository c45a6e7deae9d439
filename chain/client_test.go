package chain_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/chain/devchain"
)

// fakeNode answers eth_chainId and eth_blockNumber; the first `limited`
// eth_blockNumber calls get HTTP 429.
func fakeNode(t *testing.T, limited int32) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		result := `"0x539"`
		if req.Method == "eth_blockNumber" {
			if calls.Add(1) <= limited {
				http.Error(w, "rate limited", http.StatusTooManyRequests)
				return
			}
			result = `"0x2a"`
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, result)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestRetryWithBackoff(t *testing.T) {
	ctx := context.Background()
	srv, calls := fakeNode(t, 2)
	c, err := chain.Dial(ctx, 1337, []string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetRetry(3, 10*time.Millisecond)
	start := time.Now()
	n, err := c.HeadNumber(ctx)
	if err != nil || n != 42 {
		t.Fatalf("head %d, %v", n, err)
	}
	if calls.Load() != 3 || time.Since(start) < 30*time.Millisecond {
		t.Fatalf("%d calls in %s; want 3 with 10+20ms backoff", calls.Load(), time.Since(start))
	}
	// Out of retries: the rate limit is reported as such.
	srv2, _ := fakeNode(t, 100)
	c2, err := chain.Dial(ctx, 1337, []string{srv2.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetRetry(1, time.Millisecond)
	if _, err := c2.HeadNumber(ctx); chain.Classify(err) != chain.ErrRateLimited {
		t.Fatalf("after retries: %v", err)
	}
}

func TestDialChecksChainID(t *testing.T) {
	srv, _ := fakeNode(t, 0)
	if _, err := chain.Dial(context.Background(), 1, []string{srv.URL}); err == nil {
		t.Fatal("a node of chain 1337 accepted for chain 1")
	}
	if _, err := chain.Dial(context.Background(), 1337, []string{"http://127.0.0.1:1"}); err == nil {
		t.Fatal("dialled with no node answering")
	}
}

func fundedChain(t *testing.T, manual bool, addr string, keys ...*ecdsa.PrivateKey) *devchain.Chain {
	t.Helper()
	alloc := map[common.Address]*big.Int{}
	for _, k := range keys {
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))
	}
	dc, err := devchain.Start(devchain.Config{ChainID: 1337, Addr: addr, Alloc: alloc, Manual: manual})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	return dc
}

// TestFailover: the first URL is dead; calls go to the live one and stay there.
func TestFailover(t *testing.T) {
	ctx := context.Background()
	dc := fundedChain(t, false, "127.0.0.1:0")
	c, err := chain.Dial(ctx, 1337, []string{"http://127.0.0.1:1", dc.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetRetry(0, time.Millisecond)
	for range 3 {
		if _, err := c.HeadNumber(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Both dead: a transport error, classified.
	dead, err := chain.Dial(ctx, 1337, []string{dc.URL(), "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	dead.SetRetry(1, time.Millisecond)
	dc.Close()
	if _, err := dead.HeadNumber(ctx); chain.Classify(err) != chain.ErrTransport {
		t.Fatalf("with no node: %v (%v)", err, chain.Classify(err))
	}
}

// TestSuggestFeesFromHistory fills a block with tips of 1..9 gwei and checks
// that slow/normal/fast pick the 10th/50th/90th percentile and the fee cap is
// 2 × next base fee + tip.
func TestSuggestFeesFromHistory(t *testing.T) {
	ctx := context.Background()
	key, _ := crypto.GenerateKey()
	dc := fundedChain(t, true, "", key)
	c := chain.NewFromRPC(1337, dc.RPC())
	from := crypto.PubkeyToAddress(key.PublicKey)
	signer := types.LatestSignerForChainID(big.NewInt(1337))
	gwei := big.NewInt(params.GWei)
	for i := range 9 {
		tip := new(big.Int).Mul(big.NewInt(int64(i+1)), gwei)
		tx := types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: uint64(i), GasTipCap: tip,
			GasFeeCap: new(big.Int).Mul(big.NewInt(100), gwei), Gas: 21000, To: &from, Value: big.NewInt(1)})
		if err := c.Send(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	// The pool promotes in the background: mine once all nine are pending.
	for n, _ := c.PendingNonce(ctx, from); n != 9; n, _ = c.PendingNonce(ctx, from) {
		time.Sleep(5 * time.Millisecond)
	}
	dc.Commit()
	if b, _ := c.Eth().BlockByNumber(ctx, nil); len(b.Transactions()) != 9 {
		t.Fatalf("block with %d transactions", len(b.Transactions()))
	}
	want := map[string]int64{chain.SpeedSlow: 1, chain.SpeedNormal: 5, chain.SpeedFast: 9}
	for speed, g := range want {
		f, err := c.SuggestFeesFor(ctx, chain.FeeOptions{Percentile: chain.SpeedPercentile(speed), Blocks: 4})
		if err != nil {
			t.Fatal(err)
		}
		if f.GasPrice != nil || f.BaseFee == nil || f.BaseFee.Sign() <= 0 {
			t.Fatalf("%s: %+v", speed, f)
		}
		// Tips are paid in full only above the base fee; all of these are.
		if f.TipCap.Cmp(new(big.Int).Mul(big.NewInt(g), gwei)) != 0 {
			t.Errorf("%s: tip %s, want %d gwei", speed, f.TipCap, g)
		}
		wantCap := new(big.Int).Add(new(big.Int).Mul(f.BaseFee, big.NewInt(2)), f.TipCap)
		if f.FeeCap.Cmp(wantCap) != 0 {
			t.Errorf("%s: fee cap %s, want %s", speed, f.FeeCap, wantCap)
		}
	}
}

func TestTipFromHistory(t *testing.T) {
	g := func(n int64) *big.Int { return big.NewInt(n) }
	h := &ethereum.FeeHistory{
		Reward:       [][]*big.Int{{g(5)}, {g(0)}, {g(1)}, {g(9)}},
		BaseFee:      []*big.Int{g(10), g(11), g(12), g(13), g(14)},
		GasUsedRatio: []float64{0.5, 0, 0.2, 0.9},
	}
	tip, next := chain.TipFromHistory(h)
	if tip.Int64() != 5 || next.Int64() != 14 {
		t.Fatalf("tip %v next %v (empty block skipped, median of 1,5,9)", tip, next)
	}
	empty := &ethereum.FeeHistory{Reward: [][]*big.Int{{g(0)}}, BaseFee: []*big.Int{g(7), g(8)}, GasUsedRatio: []float64{0}}
	if tip, next := chain.TipFromHistory(empty); tip != nil || next.Int64() != 8 {
		t.Fatalf("empty history: %v %v", tip, next)
	}
	if tip, next := chain.TipFromHistory(nil); tip != nil || next != nil {
		t.Fatal("nil history")
	}
}
