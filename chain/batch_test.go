package chain_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/cofferhq/coffer/chain"
)

// TestBatchesOverNodeLimit: geth refuses JSON-RPC batches of more than
// 1,000 calls; SendRawBatch and Receipts split theirs, and each element of a
// send batch gets its own, classified, answer.
func TestBatchesOverNodeLimit(t *testing.T) {
	ctx := context.Background()
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	dc := fundedChain(t, true, "127.0.0.1:0", key)
	c, err := chain.Dial(ctx, 1337, []string{dc.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	signer := types.LatestSignerForChainID(big.NewInt(1337))
	to := common.HexToAddress("0xaa")
	raw := func(nonce uint64, value int64) []byte {
		tx := types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: nonce, Gas: 21000,
			GasFeeCap: big.NewInt(10 * params.GWei), GasTipCap: big.NewInt(params.GWei), To: &to, Value: big.NewInt(value)})
		b, _ := tx.MarshalBinary()
		return b
	}
	const n = 250 // three requests of at most 100
	raws := make([][]byte, n)
	hashes := make([]common.Hash, 0, 2500)
	for i := range raws {
		raws[i] = raw(uint64(i), 1)
		var tx types.Transaction
		_ = tx.UnmarshalBinary(raws[i])
		hashes = append(hashes, tx.Hash())
	}
	for i, err := range c.SendRawBatch(ctx, raws) {
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	// The pool promotes what it accepted in the background: the pending
	// nonce reaches n soon after the answers, not always with them.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		next, err := c.PendingNonce(ctx, from)
		if err == nil && next == n {
			break
		}
		if err != nil || next > n || time.Now().After(deadline) {
			t.Fatalf("pending nonce %d, %v; want %d", next, err, n)
		}
	}
	// The same bytes again: already known.
	if errs := c.SendRawBatch(ctx, [][]byte{raws[n-1]}); chain.Classify(errs[0]) != chain.ErrAlreadyKnown {
		t.Fatalf("resent: %v", errs[0])
	}
	dc.Commit()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) { // the pool catches up with the block
		var st struct{ Pending hexutil.Uint64 }
		if err := c.RawCall(ctx, &st, "txpool_status"); err != nil {
			t.Fatal(err)
		}
		if st.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d still pending after the block", st.Pending)
		}
	}
	// Another transaction at a mined nonce, between two good ones: only it is refused.
	errs := c.SendRawBatch(ctx, [][]byte{raw(n, 1), raw(0, 2), raw(n+1, 1)})
	if errs[0] != nil || chain.Classify(errs[1]) != chain.ErrNonceTooLow || errs[2] != nil {
		t.Fatalf("answers %v, want nil, nonce too low, nil", errs)
	}
	for len(hashes) < cap(hashes) {
		hashes = append(hashes, common.BigToHash(big.NewInt(int64(len(hashes)+1))))
	}
	rcpts, err := c.Receipts(ctx, hashes)
	if err != nil {
		t.Fatalf("receipts of %d hashes: %v", len(hashes), err)
	}
	for i, r := range rcpts {
		if (r != nil) != (i < n) {
			t.Fatalf("receipt %d: %v", i, r)
		}
	}
}
