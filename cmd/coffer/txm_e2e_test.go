package main

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

type txResp struct {
	ID, Status, Error string
	Hash              *common.Hash `json:"hash"`
	Attempts          []struct {
		Kind string      `json:"kind"`
		Hash common.Hash `json:"hash"`
	} `json:"attempts"`
}

func waitTxStatus(t *testing.T, ctx context.Context, c *client, id string, statuses ...string) txResp {
	t.Helper()
	for {
		var tx txResp
		if err := c.do(ctx, "GET", "/v1/transactions/"+id, nil, &tx); err != nil {
			t.Fatal(err)
		}
		for _, s := range statuses {
			if tx.Status == s {
				return tx
			}
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			t.Fatalf("transaction %s still %s: %v", id, tx.Status, err)
		}
	}
}

// TestTransactionsRawAndCancelHTTP: a self-custody transaction through
// POST /v1/transactions/raw is tracked to confirmed; bad raw is 400, a
// custodial sender or a reused nonce 409; cancelling a confirmed
// transaction is 409.
func TestTransactionsRawAndCancelHTTP(t *testing.T) {
	cfg := devConfig(t, t.TempDir())
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := &client{base: cfg.HTTP.PublicURL, http: httpClient(), token: d.AdminKey}
	chainID := d.Chain.ChainID()

	user, _ := crypto.GenerateKey()
	userAddr := crypto.PubkeyToAddress(user.PublicKey)
	var fund txResp
	if err := c.do(ctx, "POST", "/v1/transactions", map[string]any{"chain_id": chainID, "from": d.Platform.Address.Hex(),
		"to": userAddr.Hex(), "value": new(big.Int).SetUint64(params.Ether).String()}, &fund); err != nil {
		t.Fatal(err)
	}
	waitTxStatus(t, ctx, c, fund.ID, "confirmed")
	time.Sleep(200 * time.Millisecond) // the node's pool catches up with the block

	to := common.HexToAddress("0x5555")
	signer := types.LatestSignerForChainID(new(big.Int).SetUint64(chainID))
	stx := types.MustSignNewTx(user, signer, &types.DynamicFeeTx{ChainID: new(big.Int).SetUint64(chainID), Nonce: 0,
		GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(50 * params.GWei), Gas: 21000, To: &to, Value: big.NewInt(42)})
	raw, _ := stx.MarshalBinary()
	var sub txResp
	if err := c.do(ctx, "POST", "/v1/transactions/raw", map[string]string{"raw": hexutil.Encode(raw)}, &sub); err != nil {
		t.Fatal(err)
	}
	if sub.Hash == nil || *sub.Hash != stx.Hash() {
		t.Fatalf("raw answer %+v", sub)
	}
	done := waitTxStatus(t, ctx, c, sub.ID, "confirmed", "failed")
	if done.Status != "confirmed" || *done.Hash != stx.Hash() {
		t.Fatalf("raw transaction %+v", done)
	}

	reused := types.MustSignNewTx(user, signer, &types.DynamicFeeTx{ChainID: new(big.Int).SetUint64(chainID), Nonce: 0,
		GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(50 * params.GWei), Gas: 21000, To: &to, Value: big.NewInt(43)})
	reusedRaw, _ := reused.MarshalBinary()
	for body, status := range map[string]string{
		`"0xzz"`:                              "400",
		`"0x02c0"`:                            "400",
		`"` + hexutil.Encode(reusedRaw) + `"`: "409",
	} {
		err := c.do(ctx, "POST", "/v1/transactions/raw", map[string]any{"raw": strings.Trim(body, `"`)}, nil)
		if err == nil || !strings.Contains(err.Error(), ": "+status+" ") {
			t.Errorf("raw %.20s…: %v, want %s", body, err, status)
		}
	}
	if err := c.do(ctx, "POST", "/v1/transactions/"+fund.ID+"/cancel", nil, nil); err == nil || !strings.Contains(err.Error(), ": 409 ") {
		t.Errorf("cancel of a confirmed transaction: %v", err)
	}
	if err := c.do(ctx, "POST", "/v1/transactions/tx_nope/cancel", nil, nil); err == nil || !strings.Contains(err.Error(), ": 404 ") {
		t.Errorf("cancel of a missing transaction: %v", err)
	}
}
