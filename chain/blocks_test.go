package chain_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/internal/testenv"
)

// TestBlocks reads blocks with their transactions' hashes and, where asked
// for, receipts, from the dev chain.
func TestBlocks(t *testing.T) {
	ctx := context.Background()
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	dc := fundedChain(t, true, "", key)
	c := chain.NewFromRPC(1337, dc.RPC())
	signer := types.LatestSignerForChainID(big.NewInt(1337))
	send := func(nonce uint64) common.Hash {
		t.Helper()
		tx := types.MustSignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: nonce, Gas: 21000,
			GasFeeCap: big.NewInt(10 * params.GWei), GasTipCap: big.NewInt(params.GWei), To: &from, Value: big.NewInt(1)})
		if err := c.Send(ctx, tx); err != nil {
			t.Fatal(err)
		}
		return tx.Hash()
	}
	commit := func(pending uint64) {
		t.Helper()
		for n, _ := c.PendingNonce(ctx, from); n != pending; n, _ = c.PendingNonce(ctx, from) {
			time.Sleep(5 * time.Millisecond) // the pool promotes in the background
		}
		dc.Commit()
	}
	h0, h1, h2 := send(0), send(1), send(2)
	commit(3) // block 1: three transactions
	commit(3) // block 2: none
	h3 := send(3)
	commit(4) // block 3: one
	want := map[common.Hash]bool{h1: true, h3: true}
	bs, err := c.Blocks(ctx, 1, 3, func(h common.Hash) bool { return want[h] })
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 3 {
		t.Fatalf("%d blocks", len(bs))
	}
	for i, b := range bs {
		if b.Number != uint64(i+1) || b.Hash != dc.BlockHash(b.Number) || b.ParentHash != dc.BlockHash(b.Number-1) {
			t.Fatalf("block %d: %+v", i+1, b)
		}
	}
	if got := bs[0].TxHashes; len(got) != 3 || got[0] != h0 || got[1] != h1 || got[2] != h2 {
		t.Fatalf("block 1 transactions %v", got)
	}
	if r := bs[0].Receipts; len(r) != 3 || r[0] != nil || r[2] != nil || r[1] == nil || r[1].TxHash != h1 || r[1].BlockHash != bs[0].Hash || r[1].Status != 1 {
		t.Fatalf("block 1 receipts %v", r)
	}
	if len(bs[1].TxHashes) != 0 || bs[1].Receipts != nil {
		t.Fatalf("empty block 2: %+v", bs[1])
	}
	if r := bs[2].Receipts; len(r) != 1 || r[0] == nil || r[0].TxHash != h3 || r[0].BlockNumber.Uint64() != 3 {
		t.Fatalf("block 3 receipts %v", r)
	}
	// Headers only.
	bs, err = c.Blocks(ctx, 1, 1, nil)
	if err != nil || len(bs) != 1 || len(bs[0].TxHashes) != 3 || bs[0].Receipts != nil {
		t.Fatalf("headers only: %+v, %v", bs, err)
	}
	head, err := c.Head(ctx)
	if err != nil || head.Number != 3 || head.Hash != dc.BlockHash(3) || head.ParentHash != dc.BlockHash(2) {
		t.Fatalf("head %+v, %v", head, err)
	}
	// Past the head: not one chain as asked.
	if _, err := c.Blocks(ctx, 3, 4, func(common.Hash) bool { return true }); !errors.Is(err, chain.ErrInconsistent) || chain.Classify(err) != chain.ErrInconsistent {
		t.Fatalf("past the head: %v", err)
	}
}

// scriptedNode answers JSON-RPC batches with answer(method, params): a
// result, or an error object when the result starts with "error:".
func scriptedNode(t *testing.T, answer func(method string, params []json.RawMessage) string) (*httptest.Server, *atomic.Int32) {
	var receipts atomic.Int32 // eth_getBlockReceipts calls
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		type call struct {
			ID     json.RawMessage   `json:"id"`
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}
		var calls []call
		var body json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		batch := strings.HasPrefix(string(body), "[")
		if !batch {
			body = json.RawMessage("[" + string(body) + "]")
		}
		if err := json.Unmarshal(body, &calls); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var out []string
		for _, c := range calls {
			if c.Method == "eth_getBlockReceipts" {
				receipts.Add(1)
			}
			res := `"0x539"` // eth_chainId
			if c.Method != "eth_chainId" {
				res = answer(c.Method, c.Params)
			}
			if e, ok := strings.CutPrefix(res, "error:"); ok {
				out = append(out, fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":%s}`, c.ID, e))
			} else {
				out = append(out, fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, c.ID, res))
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if batch {
			fmt.Fprint(w, "["+strings.Join(out, ",")+"]")
		} else {
			fmt.Fprint(w, out[0])
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &receipts
}

// header renders block n (hash 0xn0…, parent 0x(n-1)0…) as
// eth_getBlockByNumber(n, false) does, with one transaction 0xn1….
func header(n int, parent string) string {
	return fmt.Sprintf(`{"number":"0x%x","hash":"%s","parentHash":"%s","transactions":["%s"]}`, n, hashOf(n, 0), parent, hashOf(n, 1))
}

func hashOf(n, i int) string { return common.BigToHash(big.NewInt(int64(n*16 + i))).Hex() }

func receipt(n int, blockHash string) string {
	return fmt.Sprintf(`{"transactionHash":"%s","blockHash":"%s","blockNumber":"0x%x","transactionIndex":"0x0","status":"0x1",`+
		`"cumulativeGasUsed":"0x5208","gasUsed":"0x5208","logs":[],"logsBloom":"0x%0512x","type":"0x2","effectiveGasPrice":"0x1"}`,
		hashOf(n, 1), blockHash, n, 0)
}

func blockNumber(p []json.RawMessage) int {
	var n string
	_ = json.Unmarshal(p[0], &n)
	var v int
	fmt.Sscanf(n, "0x%x", &v)
	return v
}

// TestBlocksUnsupported: a node without eth_getBlockReceipts answers
// ErrUnsupported, is not asked again, and still serves headers.
func TestBlocksUnsupported(t *testing.T) {
	ctx := context.Background()
	srv, receipts := scriptedNode(t, func(method string, p []json.RawMessage) string {
		if method == "eth_getBlockReceipts" {
			return `error:{"code":-32601,"message":"the method eth_getBlockReceipts does not exist/is not available"}`
		}
		n := blockNumber(p)
		return header(n, hashOf(n-1, 0))
	})
	c, err := chain.Dial(ctx, 1337, []string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	all := func(common.Hash) bool { return true }
	for range 2 {
		if _, err := c.Blocks(ctx, 1, 2, all); chain.Classify(err) != chain.ErrUnsupported {
			t.Fatalf("no eth_getBlockReceipts: %v", err)
		}
	}
	if n := receipts.Load(); n != 2 {
		t.Fatalf("eth_getBlockReceipts asked %d times, want 2 (one batch of two blocks, then never)", n)
	}
	if bs, err := c.Blocks(ctx, 1, 2, nil); err != nil || len(bs) != 2 {
		t.Fatalf("headers: %v, %v", bs, err)
	}
}

// TestBlocksInconsistent: blocks that do not chain, or receipts of another
// block than the header read with them, are ErrInconsistent.
func TestBlocksInconsistent(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func(method string, n int) string{
		"parent": func(method string, n int) string {
			if method == "eth_getBlockReceipts" {
				return "[" + receipt(n, hashOf(n, 0)) + "]"
			}
			if n == 2 {
				return header(n, hashOf(9, 0)) // not block 1
			}
			return header(n, hashOf(n-1, 0))
		},
		"receipts": func(method string, n int) string {
			if method == "eth_getBlockReceipts" {
				return "[" + receipt(n, hashOf(n+5, 0)) + "]" // a block replaced since its header was read
			}
			return header(n, hashOf(n-1, 0))
		},
		"count": func(method string, n int) string {
			if method == "eth_getBlockReceipts" {
				return "[]"
			}
			return header(n, hashOf(n-1, 0))
		},
		"missing": func(method string, n int) string {
			if n == 2 {
				return "null"
			}
			if method == "eth_getBlockReceipts" {
				return "[" + receipt(n, hashOf(n, 0)) + "]"
			}
			return header(n, hashOf(n-1, 0))
		},
	}
	for name, answer := range cases {
		srv, _ := scriptedNode(t, func(method string, p []json.RawMessage) string { return answer(method, blockNumber(p)) })
		c, err := chain.Dial(ctx, 1337, []string{srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Blocks(ctx, 1, 2, func(common.Hash) bool { return true })
		if chain.Classify(err) != chain.ErrInconsistent {
			t.Errorf("%s: %v, want ErrInconsistent", name, err)
		}
		c.Close()
	}
	// The same node, consistent: read as one chain.
	srv, _ := scriptedNode(t, func(method string, p []json.RawMessage) string {
		n := blockNumber(p)
		if method == "eth_getBlockReceipts" {
			return "[" + receipt(n, hashOf(n, 0)) + "]"
		}
		return header(n, hashOf(n-1, 0))
	})
	c, err := chain.Dial(ctx, 1337, []string{srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bs, err := c.Blocks(ctx, 1, 2, func(common.Hash) bool { return true })
	if err != nil || len(bs) != 2 || bs[1].Receipts[0] == nil || bs[1].Receipts[0].TxHash != common.HexToHash(hashOf(2, 1)) {
		t.Fatalf("consistent blocks: %+v, %v", bs, err)
	}
}

// TestReceiptsDecodedAsGeth: Receipts and Blocks decode a receipt as
// go-ethereum's types.Receipt does (ethclient), logs included.
func TestReceiptsDecodedAsGeth(t *testing.T) {
	ctx := context.Background()
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	dc := fundedChain(t, true, "", key)
	c := chain.NewFromRPC(1337, dc.RPC())
	signer := types.LatestSignerForChainID(big.NewInt(1337))
	// A contract creation whose init code logs one byte under a topic:
	// PUSH32 topic, PUSH1 1, PUSH1 0, LOG1, STOP.
	topic := crypto.Keccak256Hash([]byte("Logged()"))
	initCode := append(append([]byte{0x7f}, topic[:]...), 0x60, 0x01, 0x60, 0x00, 0xa1, 0x00)
	var hashes []common.Hash
	for nonce := range uint64(3) { // two creations (the second log's index is 1), a transfer
		inner := &types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: nonce, Gas: 100000,
			GasFeeCap: big.NewInt(10 * params.GWei), GasTipCap: big.NewInt(params.GWei), Data: initCode}
		if nonce == 2 {
			inner.To, inner.Data, inner.Value = &from, nil, big.NewInt(1)
		}
		tx := types.MustSignNewTx(key, signer, inner)
		if err := c.Send(ctx, tx); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, tx.Hash())
	}
	for n, _ := c.PendingNonce(ctx, from); n != 3; n, _ = c.PendingNonce(ctx, from) {
		time.Sleep(5 * time.Millisecond)
	}
	dc.Commit()
	ours, err := c.Receipts(ctx, hashes)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := c.Blocks(ctx, 1, 1, func(common.Hash) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hashes {
		geth, err := c.Eth().TransactionReceipt(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if i < 2 && (len(geth.Logs) != 1 || geth.ContractAddress == (common.Address{}) || geth.Logs[0].Topics[0] != topic || geth.Logs[0].Index != uint(i)) {
			t.Fatalf("creation %d: receipt %+v", i, geth)
		}
		g, _ := json.Marshal(geth)
		for what, r := range map[string]*types.Receipt{"Receipts": ours[i], "Blocks": bs[0].Receipts[i]} {
			if o, _ := json.Marshal(r); !reflect.DeepEqual(r, geth) {
				t.Errorf("%s decodes receipt %d as\n%s\nethclient as\n%s", what, i, o, g)
			}
		}
	}
}

// TestBlocksAnvil: anvil serves eth_getBlockReceipts, and its receipts
// decode as ethclient decodes them.
func TestBlocksAnvil(t *testing.T) {
	ctx := context.Background()
	c, err := chain.Dial(ctx, 31337, []string{testenv.Anvil(t, 31337)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key, _ := crypto.HexToECDSA(strings.TrimPrefix(testenv.AnvilKey0, "0x"))
	signer := types.LatestSignerForChainID(big.NewInt(31337))
	topic := crypto.Keccak256Hash([]byte("Logged()"))
	initCode := append(append([]byte{0x7f}, topic[:]...), 0x60, 0x01, 0x60, 0x00, 0xa1, 0x00) // LOG1 in the constructor
	var hashes []common.Hash
	for nonce := range uint64(2) { // anvil mines each in its own block
		inner := &types.DynamicFeeTx{ChainID: big.NewInt(31337), Nonce: nonce, Gas: 100000,
			GasFeeCap: big.NewInt(10 * params.GWei), GasTipCap: big.NewInt(params.GWei), Data: initCode}
		tx := types.MustSignNewTx(key, signer, inner)
		if err := c.Send(ctx, tx); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, tx.Hash())
	}
	var head chain.Block
	for deadline := time.Now().Add(10 * time.Second); head.Number < 2; time.Sleep(5 * time.Millisecond) {
		if head, err = c.Head(ctx); err != nil || time.Now().After(deadline) {
			t.Fatalf("head %+v, %v", head, err)
		}
	}
	bs, err := c.Blocks(ctx, 1, 2, func(common.Hash) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if bs[1].Hash != head.Hash || bs[1].ParentHash != bs[0].Hash {
		t.Fatalf("blocks %+v, head %+v", bs, head)
	}
	for i, h := range hashes {
		geth, err := c.Eth().TransactionReceipt(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if got := bs[i].Receipts; len(got) != 1 || !reflect.DeepEqual(got[0], geth) {
			o, _ := json.Marshal(got)
			g, _ := json.Marshal(geth)
			t.Errorf("block %d: receipts %s, ethclient %s", i+1, o, g)
		}
	}
}
