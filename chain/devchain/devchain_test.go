package devchain

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

func TestMinesOnArrivalAndPersists(t *testing.T) {
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	dir := t.TempDir()
	cfg := Config{ChainID: 31337, Addr: "127.0.0.1:0", Dir: dir, Alloc: map[common.Address]*big.Int{from: big.NewInt(1e18)}}

	c, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Fresh {
		t.Fatal("first start should be fresh")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := ethclient.DialContext(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	id, err := cl.ChainID(ctx)
	if err != nil || id.Uint64() != 31337 {
		t.Fatalf("chain id %v, %v", id, err)
	}
	tip, err := cl.SuggestGasTipCap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head, err := cl.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(id), &types.DynamicFeeTx{
		ChainID: id, Nonce: 0, GasTipCap: tip, GasFeeCap: feeCap, Gas: 21000, To: &to, Value: big.NewInt(12345),
	})
	if err := cl.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	var rcpt *types.Receipt
	for rcpt == nil {
		rcpt, _ = cl.TransactionReceipt(ctx, tx.Hash())
		if ctx.Err() != nil {
			t.Fatal("transaction was never mined")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("receipt status %d", rcpt.Status)
	}
	cl.Close()

	// The same port speaks WebSocket, with subscriptions.
	ws, err := ethclient.DialContext(ctx, c.WSURL())
	if err != nil {
		t.Fatal(err)
	}
	heads := make(chan *types.Header, 1)
	sub, err := ws.SubscribeNewHead(ctx, heads)
	if err != nil {
		t.Fatalf("ws subscribe: %v", err)
	}
	c.Commit()
	select {
	case h := <-heads:
		if h.Number.Uint64() < 2 {
			t.Fatalf("ws head %d", h.Number)
		}
	case <-ctx.Done():
		t.Fatal("no new head over WebSocket")
	}
	sub.Unsubscribe()
	ws.Close()
	genesis := c.Genesis()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// Same directory, same genesis: the chain and its balances are kept.
	cfg.Addr = ""
	c2, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if c2.Fresh || c2.Genesis() != genesis {
		t.Fatalf("restart: fresh=%v genesis %s != %s", c2.Fresh, c2.Genesis(), genesis)
	}
	bal, err := c2.Client().BalanceAt(ctx, to, nil)
	if err != nil || bal.Int64() != 12345 {
		t.Fatalf("balance after restart %v, %v", bal, err)
	}
	c2.Close()

	// A different genesis in the same directory is reported, not silently used.
	cfg.Alloc = map[common.Address]*big.Int{to: big.NewInt(1)}
	if _, err := Start(cfg); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("want ErrGenesisMismatch, got %v", err)
	}
}

// A transaction sent the moment Start returns is mined without waiting for
// another. The pool is subscribed to before Start returns; go-ethereum's own
// mine-on-arrival loop subscribes from a goroutine of its own, a race that
// this test did not catch in ten starts, but that CI once lost (session 9,
// TestDirectSendOneBlock). Several starts, for that race.
func TestFirstTransactionMinedAtOnce(t *testing.T) {
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	id := big.NewInt(31337)
	fee := big.NewInt(100e9) // well above the genesis base fee and any minimum tip
	tx := types.MustSignNewTx(key, types.LatestSignerForChainID(id), &types.DynamicFeeTx{
		ChainID: id, Nonce: 0, GasTipCap: big.NewInt(2e9), GasFeeCap: fee, Gas: 21000, To: &to, Value: big.NewInt(1),
	})
	raw, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		c, err := Start(Config{ChainID: id.Uint64(), Alloc: map[common.Address]*big.Int{from: big.NewInt(1e18)}})
		if err != nil {
			t.Fatal(err)
		}
		if errs := c.Direct().SendRawTransactions(context.Background(), [][]byte{raw}); errs[0] != nil {
			c.Close()
			t.Fatal(errs[0])
		}
		deadline := time.Now().Add(10 * time.Second)
		for c.eth.BlockChain().CurrentBlock().Number.Uint64() == 0 {
			if time.Now().After(deadline) {
				c.Close()
				t.Fatalf("start %d: the first transaction was not mined within 10 s", i)
			}
			time.Sleep(time.Millisecond)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
