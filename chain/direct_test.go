package chain_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/chain/devchain"
	"github.com/cofferhq/coffer/nft/bindings"
)

// directEnv is a dev chain mining on arrival with CofferNFT deployed by
// from, and a client to it over JSON-RPC to compare Direct's answers with.
type directEnv struct {
	dc     *devchain.Chain
	viaRPC *chain.Client
	direct *chain.Client // the same node through Direct
	from   common.Address
	opts   *bind.TransactOpts // from's
	nft    *bindings.CofferNFT
	addr   common.Address // the deployed CofferNFT
}

func newDirectEnv(t *testing.T) *directEnv {
	t.Helper()
	key, _ := crypto.GenerateKey()
	e := &directEnv{from: crypto.PubkeyToAddress(key.PublicKey), opts: bind.NewKeyedTransactor(key, big.NewInt(1337)), nft: bindings.NewCofferNFT()}
	e.dc = fundedChain(t, false, "", key)
	e.viaRPC = chain.NewFromRPC(1337, e.dc.RPC())
	t.Cleanup(e.viaRPC.Close)
	e.direct = chain.NewFromRPC(1337, e.dc.RPC())
	e.direct.SetDirect(e.dc.Direct())
	t.Cleanup(e.direct.Close)
	addr, tx, err := bind.DeployContract(e.opts, common.FromHex(bindings.CofferNFTMetaData.Bin), e.dc.Client(), e.nft.PackConstructor("T", "T", e.from, e.from))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bind.WaitDeployed(context.Background(), e.dc.Client(), tx.Hash()); err != nil {
		t.Fatal(err)
	}
	e.addr = addr
	return e
}

// TestDirectEstimateGas: the dev chain's Direct estimates as its
// eth_estimateGas does — the same gas for a transfer, a deployment and a
// mint, the same revert (data and decoded reason) for a mint the contract
// refuses, the same errors for a cap too low, fees given, and a value above
// the balance.
func TestDirectEstimateGas(t *testing.T) {
	ctx := context.Background()
	e := newDirectEnv(t)
	from, addr, nft, viaRPC, direct := e.from, e.addr, e.nft, e.viaRPC, e.dc.Direct()
	deploy := nft.PackConstructor("T", "T", from, from)
	other := common.HexToAddress("0xbb")
	mint := nft.PackMint(other, "http://127.0.0.1/metadata/x.json")
	code := append(common.FromHex(bindings.CofferNFTMetaData.Bin), deploy...)
	balance := new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))

	cases := []struct {
		name   string
		msg    ethereum.CallMsg
		revert bool
	}{
		{"transfer", ethereum.CallMsg{From: from, To: &other, Value: big.NewInt(1)}, false},
		{"deployment", ethereum.CallMsg{From: from, Data: code}, false},
		{"mint", ethereum.CallMsg{From: from, To: &addr, Data: mint}, false},
		{"mint under a hint", ethereum.CallMsg{From: from, To: &addr, Data: mint, Gas: 1_000_000}, false},
		{"mint with fees", ethereum.CallMsg{From: from, To: &addr, Data: mint, GasFeeCap: big.NewInt(params.GWei), GasTipCap: big.NewInt(1)}, false},
		{"mint by another", ethereum.CallMsg{From: other, To: &addr, Data: mint}, true},
		{"cap too low", ethereum.CallMsg{From: from, To: &addr, Data: mint, Gas: 30_000}, false},
		{"both fee styles", ethereum.CallMsg{From: from, To: &other, GasPrice: big.NewInt(1), GasFeeCap: big.NewInt(1)}, false},
		{"value above the balance", ethereum.CallMsg{From: from, To: &other, Value: new(big.Int).Add(balance, big.NewInt(1))}, false},
	}
	for _, c := range cases {
		want, werr := viaRPC.EstimateGas(ctx, c.msg)
		got, gerr := direct.EstimateGas(ctx, c.msg)
		if c.revert {
			wr, gr := chain.AsRevert(werr), new(chain.RevertError)
			if wr == nil || !errors.As(gerr, &gr) || gr.Reason != wr.Reason || string(gr.Data) != string(wr.Data) || gr.Reason == "" {
				t.Errorf("%s: direct %v (%+v), json-rpc %v (%+v)", c.name, gerr, gr, werr, wr)
			}
			continue
		}
		if (werr == nil) != (gerr == nil) || werr != nil && gerr.Error() != werr.Error() || got != want {
			t.Errorf("%s: direct %d, %v; json-rpc %d, %v", c.name, got, gerr, want, werr)
		}
		if werr == nil && want < params.TxGas {
			t.Errorf("%s: estimate %d", c.name, want)
		}
	}
}

// TestDirectBlocks: the dev chain's Direct reads the head and blocks with
// receipts as the node's JSON-RPC answers decode — a deployment (contract
// address), a mint (logs), a transaction that reverted (status 0), a
// transfer, and blocks without transactions — and refuses a range the
// chain does not have.
func TestDirectBlocks(t *testing.T) {
	ctx := context.Background()
	e := newDirectEnv(t)
	dc, addr, nft, opts, viaRPC, direct := e.dc, e.addr, e.nft, e.opts, e.viaRPC, e.direct

	inst := nft.Instance(dc.Client(), addr)
	other := common.HexToAddress("0xbb")
	var hashes []common.Hash
	for i, data := range [][]byte{
		nft.PackMint(other, "http://127.0.0.1/metadata/a.json"),
		nft.PackMint(common.Address{}, "http://127.0.0.1/metadata/b.json"), // reverts: the zero address
	} {
		opts.GasLimit = 1_000_000 // no estimate: the second is sent to revert
		tx, err := bind.Transact(inst, opts, data)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		hashes = append(hashes, tx.Hash())
		waitMined(t, viaRPC, []common.Hash{tx.Hash()})
	}
	dc.Commit() // a block without transactions

	want, err := viaRPC.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := direct.Head(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("head: direct %+v, %v; json-rpc %+v", got, err, want)
	}
	for _, w := range []func(common.Hash) bool{nil, func(common.Hash) bool { return true }, func(h common.Hash) bool { return h == hashes[0] }} {
		want, err := viaRPC.Blocks(ctx, 1, want.Number, w)
		if err != nil {
			t.Fatal(err)
		}
		got, err := direct.Blocks(ctx, 1, want[len(want)-1].Number, w)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("block %d: direct %s\njson-rpc %s", want[i].Number, spew(got[i]), spew(want[i]))
				}
			}
		}
	}
	var statuses []uint64
	all, _ := direct.Blocks(ctx, 1, want.Number, func(common.Hash) bool { return true })
	for _, b := range all {
		for _, r := range b.Receipts {
			statuses = append(statuses, r.Status)
		}
	}
	if fmt.Sprint(statuses) != "[1 1 0]" {
		t.Fatalf("receipt statuses %v, want a deployment and a mint that succeeded and one that reverted", statuses)
	}
	if _, err := direct.Blocks(ctx, want.Number, want.Number+1, nil); !errors.Is(err, chain.ErrInconsistent) {
		t.Fatalf("a block past the head: %v", err)
	}
}

func spew(b chain.Block) string {
	s := fmt.Sprintf("%+v", b)
	for _, r := range b.Receipts {
		if r != nil {
			s += fmt.Sprintf("\n  %+v", *r)
			for _, l := range r.Logs {
				s += fmt.Sprintf("\n    %+v", *l)
			}
		}
	}
	return s
}

// TestDirectHeadersAndLogs: the dev chain's Direct answers the indexer's
// calls — the head's number, headers by number (and the latest, and one
// past the head), logs by range, address and topic, by block hash, and
// queries eth_getLogs refuses — as the node's JSON-RPC does.
func TestDirectHeadersAndLogs(t *testing.T) {
	ctx := context.Background()
	e := newDirectEnv(t)
	dc, addr, nft, opts, viaRPC, direct := e.dc, e.addr, e.nft, e.opts, e.viaRPC, e.direct

	inst := nft.Instance(dc.Client(), addr)
	for i := range 3 {
		tx, err := bind.Transact(inst, opts, nft.PackMint(common.HexToAddress(fmt.Sprintf("0x%x", 0xb0+i)), fmt.Sprintf("http://127.0.0.1/metadata/%d.json", i)))
		if err != nil {
			t.Fatalf("mint %d: %v", i, err)
		}
		waitMined(t, viaRPC, []common.Hash{tx.Hash()})
	}
	dc.Commit() // a block without transactions

	head, err := viaRPC.HeadNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := direct.HeadNumber(ctx); err != nil || got != head {
		t.Fatalf("head number: direct %d, %v; json-rpc %d", got, err, head)
	}
	for _, n := range []*big.Int{nil, big.NewInt(0), big.NewInt(1), new(big.Int).SetUint64(head), big.NewInt(int64(rpc.FinalizedBlockNumber))} {
		want, err := viaRPC.Header(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := direct.Header(ctx, n)
		if err != nil || got.Hash() != want.Hash() { // the hash covers every field
			t.Fatalf("header %v: direct %+v, %v; json-rpc %+v", n, got, err, want)
		}
	}
	past := new(big.Int).SetUint64(head + 1)
	if _, err := viaRPC.Header(ctx, past); !errors.Is(err, ethereum.NotFound) {
		t.Fatalf("json-rpc header past the head: %v", err)
	}
	if _, err := direct.Header(ctx, past); !errors.Is(err, ethereum.NotFound) {
		t.Fatalf("direct header past the head: %v", err)
	}

	transfer := crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))
	last, err := viaRPC.Header(ctx, new(big.Int).SetUint64(head-1)) // the last mint's block
	if err != nil {
		t.Fatal(err)
	}
	lastHash := last.Hash()
	queries := map[string]ethereum.FilterQuery{
		"all":                      {FromBlock: big.NewInt(0), ToBlock: new(big.Int).SetUint64(head)},
		"open range":               {FromBlock: big.NewInt(1)},
		"address and topic":        {FromBlock: big.NewInt(1), ToBlock: new(big.Int).SetUint64(head), Addresses: []common.Address{addr}, Topics: [][]common.Hash{{transfer}}},
		"another address":          {FromBlock: big.NewInt(1), ToBlock: new(big.Int).SetUint64(head), Addresses: []common.Address{common.HexToAddress("0xdead")}},
		"one block by hash":        {BlockHash: &lastHash},
		"to topic":                 {FromBlock: big.NewInt(1), Topics: [][]common.Hash{{transfer}, {}, {common.BytesToHash(common.HexToAddress("0xb1").Bytes())}}},
		"beyond the head":          {FromBlock: new(big.Int).SetUint64(head + 1), ToBlock: new(big.Int).SetUint64(head + 5)},
		"reversed (refused)":       {FromBlock: big.NewInt(3), ToBlock: big.NewInt(2)},
		"five topics (refused)":    {FromBlock: big.NewInt(1), Topics: [][]common.Hash{{}, {}, {}, {}, {}}},
		"hash and range (refused)": {BlockHash: &lastHash, FromBlock: big.NewInt(1)},
	}
	for name, q := range queries {
		want, werr := viaRPC.Logs(ctx, q)
		got, gerr := direct.Logs(ctx, q)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Errorf("%s: direct error %v; json-rpc %v", name, gerr, werr)
			continue
		}
		if len(got) != len(want) || len(want) > 0 && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: direct %d logs %+v\njson-rpc %d logs %+v", name, len(got), got, len(want), want)
		}
	}
	if all, _ := direct.Logs(ctx, queries["address and topic"]); len(all) != 3 {
		t.Fatalf("%d transfer logs of the collection, want the 3 mints'", len(all))
	}
	if one, _ := direct.Logs(ctx, queries["to topic"]); len(one) != 1 {
		t.Fatalf("%d transfer logs to 0xb1, want 1", len(one))
	}
}
