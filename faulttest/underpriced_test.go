package faulttest

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/internal/testenv"
)

type txView struct {
	ID       string       `json:"id"`
	Status   string       `json:"status"`
	Nonce    *uint64      `json:"nonce"`
	Hash     *common.Hash `json:"hash"`
	FeeCap   *string      `json:"max_fee_per_gas"`
	Attempts []struct {
		Kind   string      `json:"kind"`
		Hash   common.Hash `json:"hash"`
		FeeCap *string     `json:"max_fee_per_gas"`
		TipCap *string     `json:"max_priority_fee_per_gas"`
	} `json:"attempts"`
}

// TestUnderpricedReplaced: a mint is priced and broadcast at anvil's market
// (~1 gwei base fee); then the chain's base fee jumps to 50 gwei (anvil with
// automine off, anvil_setNextBlockBaseFeePerGas before every block), so the
// transaction is genuinely underpriced: blocks are mined without it, and the
// node refuses its bytes ("max fee per gas less than block base fee"). After resubmit_after (2 s) coffer
// re-signs it at the same nonce with both fees raised to the market; that
// attempt is mined, exactly one attempt is, and the record names it.
func TestUnderpricedReplaced(t *testing.T) {
	node := testenv.Anvil(t, chainID)
	cfg := newServerConfig(t, node)
	cfg.ResubmitAfter = 2 * time.Second
	srv := newServer(t, "coffer", cfg)
	srv.start()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	col := deployCollection(t, ctx, srv.api)
	ec, err := ethclient.DialContext(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()

	// From now on blocks come only when the test mines them.
	if err := ec.Client().CallContext(ctx, nil, "evm_setAutomine", false); err != nil {
		t.Fatal(err)
	}
	load := newMintLoad(t, col.ID, srv.api)
	load.run(ctx, 0, 1, 1)
	ids := load.ids()
	var m mintView
	if _, err := srv.api.call(ctx, "GET", "/v1/mints/"+ids[mintKey(0)], nil, "", &m); err != nil {
		t.Fatal(err)
	}

	// Wait for the first attempt to reach the node's pool.
	var tx txView
	for {
		if _, err := srv.api.call(ctx, "GET", "/v1/transactions/"+m.TransactionID, nil, "", &tx); err != nil {
			t.Fatal(err)
		}
		if tx.Status == "pending" && tx.Hash != nil {
			if _, isPending, err := ec.TransactionByHash(ctx, *tx.Hash); err == nil && isPending {
				break
			}
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			t.Fatalf("mint transaction never reached the pool: %+v", tx)
		}
	}
	first := *tx.Hash
	firstCap, _ := new(big.Int).SetString(deref(tx.FeeCap), 10)
	high := big.NewInt(50e9)
	if firstCap == nil || firstCap.Cmp(high) >= 0 {
		t.Fatalf("first attempt's max fee %v is not below the base fee to come (%s)", tx.FeeCap, high)
	}
	t.Logf("first attempt %s at nonce %d: max fee %s wei; the base fee goes to %s", first.Hex()[:10], *tx.Nonce, firstCap, high)

	mine := func() uint64 {
		t.Helper()
		if err := ec.Client().CallContext(ctx, nil, "anvil_setNextBlockBaseFeePerGas", hexutil.EncodeBig(high)); err != nil {
			t.Fatal(err)
		}
		if err := ec.Client().CallContext(ctx, nil, "evm_mine"); err != nil {
			t.Fatal(err)
		}
		h, err := ec.HeaderByNumber(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if h.BaseFee.Cmp(high) != 0 {
			t.Fatalf("block %d has base fee %s, want %s", h.Number, h.BaseFee, high)
		}
		return h.Number.Uint64()
	}
	// Blocks at the high base fee do not include the attempt. (anvil drops
	// it from its pool when it builds such a block; geth would keep it.)
	for range 3 {
		bn := mine()
		if _, err := ec.TransactionReceipt(ctx, first); err != ethereum.NotFound {
			t.Fatalf("the underpriced attempt was mined in block %d (%v)", bn, err)
		}
	}
	_, inPool, err := ec.TransactionByHash(ctx, first)
	t.Logf("after 3 blocks at %s wei: attempt in the node's pool %v (%v)", high, inPool, err)
	// The same bytes sent again are refused as underpriced, which coffer
	// answers with a bump, not as a rejection that would end in a no-op.
	st := openStore(t, cfg)
	stored, err := st.Transaction(ctx, tx.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Attempts) == 0 || stored.Attempts[0].Hash != first {
		t.Fatalf("stored attempts %+v, want the first to be %s", stored.Attempts, first)
	}
	var resent types.Transaction
	if err := resent.UnmarshalBinary(stored.Attempts[0].Raw); err != nil {
		t.Fatal(err)
	}
	err = ec.SendTransaction(ctx, &resent)
	if err == nil || chain.Classify(err) != chain.ErrUnderpriced {
		// Accepted only if coffer's replacement already took the nonce.
		if fresh, _ := st.Transaction(ctx, tx.ID); err != nil || fresh == nil || len(fresh.Attempts) < 2 {
			t.Fatalf("re-sending the underpriced attempt: %v (classified %v), want it refused as underpriced", err, chain.Classify(err))
		}
	} else {
		t.Logf("re-sent, the node answers: %v", err)
	}
	stuck := time.Now()

	// Keep mining at the high base fee until coffer's replacement is in.
	for tx.Status != "confirmed" {
		if tx.Status == "failed" || tx.Status == "cancelled" {
			t.Fatalf("transaction %s: %+v", tx.ID, tx)
		}
		mine()
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			t.Fatalf("transaction still %s with %d attempts", tx.Status, len(tx.Attempts))
		}
		if _, err := srv.api.call(ctx, "GET", "/v1/transactions/"+m.TransactionID, nil, "", &tx); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("confirmed %s after the base fee rose, with %d attempts", time.Since(stuck).Round(time.Millisecond), len(tx.Attempts))
	if len(tx.Attempts) < 2 {
		t.Fatalf("confirmed with %d attempt(s): the underpriced one cannot have been mined", len(tx.Attempts))
	}
	if tx.Attempts[0].Hash != first {
		t.Errorf("first attempt %s, the pooled one was %s", tx.Attempts[0].Hash, first)
	}
	if *tx.Hash == first {
		t.Fatalf("the record names the underpriced attempt %s as mined", first)
	}
	for i, a := range tx.Attempts {
		r, err := ec.TransactionReceipt(ctx, a.Hash)
		switch {
		case err == ethereum.NotFound:
			t.Logf("attempt %d %s (max fee %s): not mined", i+1, a.Hash.Hex()[:10], deref(a.FeeCap))
		case err != nil:
			t.Fatal(err)
		default:
			t.Logf("attempt %d %s (max fee %s): mined in block %d", i+1, a.Hash.Hex()[:10], deref(a.FeeCap), r.BlockNumber)
			fc, _ := new(big.Int).SetString(deref(a.FeeCap), 10)
			if fc == nil || fc.Cmp(high) < 0 {
				t.Errorf("mined attempt pays max fee %v, under the base fee %s", a.FeeCap, high)
			}
		}
	}
	srv.stop()
	// Exactly one attempt mined and the record's hash is it; the mint, its
	// token and the nonces as everywhere.
	verify(t, ctx, st, node, col, ids)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
