package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer/config"
)

// TestVoucherMintGasTank: a collection with mint_mode "voucher"; a new user
// (wallet with 0 ETH) mints three times through the API. Each mint is sent
// by the user's own wallet (mintWithVoucher), the tokens are the user's, the
// platform's voucher signatures are in the audit log as typed_data, and the
// wallet was topped up exactly once from the platform wallet. The dev
// platform's 1M ETH is below the configured platform_low_wei: the metric says
// so.
func TestVoucherMintGasTank(t *testing.T) {
	cfg := devConfig(t, t.TempDir())
	cfg.Dev.GasTank = config.GasTank{TopUpWei: "10000000000000000", MaxPerWalletPerDayWei: "10000000000000000",
		PlatformLowWei: "2000000000000000000000000"}
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	chainID := d.Chain.ChainID()
	admin := &client{base: cfg.HTTP.PublicURL, http: httpClient(), token: d.AdminKey}

	type collection struct {
		ID, Status string
		MintMode   string          `json:"mint_mode"`
		Address    *common.Address `json:"address"`
	}
	err := admin.do(ctx, "POST", "/v1/collections", map[string]any{"chain_id": chainID, "name": "Drops", "symbol": "DRP", "mint_mode": "sometimes"}, nil)
	if err == nil || !strings.Contains(err.Error(), ": 400 ") || !strings.Contains(err.Error(), "mint_mode") {
		t.Fatalf("bad mint_mode: %v", err)
	}
	var col collection
	if err := admin.do(ctx, "POST", "/v1/collections", map[string]any{"chain_id": chainID, "name": "Drops", "symbol": "DRP", "mint_mode": "voucher"}, &col); err != nil {
		t.Fatal(err)
	}
	for col.Status != "deployed" {
		if err := sleep(ctx, 50*time.Millisecond); err != nil || col.Status == "failed" {
			t.Fatalf("collection %+v: %v", col, err)
		}
		if err := admin.do(ctx, "GET", "/v1/collections/"+col.ID, nil, &col); err != nil {
			t.Fatal(err)
		}
	}
	if col.MintMode != "voucher" {
		t.Fatalf("collection %+v", col)
	}

	// A voucher is redeemed by its recipient's custodial wallet: an outside address cannot.
	outside := common.HexToAddress("0x00000000000000000000000000000000000000e1")
	err = admin.do(ctx, "POST", "/v1/collections/"+col.ID+"/mint", map[string]any{"to": outside.Hex(), "metadata": map[string]any{"name": "x"}}, nil)
	if err == nil || !strings.Contains(err.Error(), ": 400 ") || !strings.Contains(err.Error(), "not a coffer wallet") {
		t.Fatalf("voucher mint to an outside address: %v", err)
	}

	user, _, _ := signedIn(t, ctx, cfg.HTTP.PublicURL)
	var ids []string
	for i := range 3 {
		var m mintResp
		if err := user.do(ctx, "POST", "/v1/collections/"+col.ID+"/mint", map[string]any{"metadata": map[string]any{"name": fmt.Sprintf("Drop #%d", i)}}, &m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	var wallet common.Address
	for _, id := range ids {
		m := waitMint(t, ctx, user, id)
		if m.Status != "confirmed" || m.TokenID == nil {
			t.Fatalf("mint %+v", m)
		}
		wallet = m.To
		var tx struct {
			Kind  string         `json:"kind"`
			From  common.Address `json:"from"`
			Error string         `json:"error"`
		}
		if err := user.do(ctx, "GET", "/v1/transactions/"+m.TransactionID, nil, &tx); err != nil {
			t.Fatal(err)
		}
		if tx.Kind != "mint" || tx.From != m.To || tx.Error != "" {
			t.Fatalf("mint transaction %+v, want kind mint from the user's wallet %s", tx, m.To)
		}
		var tok struct {
			Owner common.Address `json:"owner"`
		}
		path := fmt.Sprintf("/v1/nfts/%d/%s/%s", chainID, col.Address.Hex(), *m.TokenID)
		for user.do(ctx, "GET", path, nil, &tok) != nil {
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				t.Fatalf("token %s never indexed", *m.TokenID)
			}
		}
		if tok.Owner != m.To {
			t.Fatalf("token %s owned by %s, want %s", *m.TokenID, tok.Owner, m.To)
		}
	}

	var tops struct {
		Items []struct {
			Status string         `json:"status"`
			From   common.Address `json:"from"`
			To     common.Address `json:"to"`
			Value  string         `json:"value"`
		} `json:"items"`
	}
	if err := admin.do(ctx, "GET", "/v1/transactions?kind=topup", nil, &tops); err != nil {
		t.Fatal(err)
	}
	if len(tops.Items) != 1 || tops.Items[0].To != wallet || tops.Items[0].From != d.Platform.Address ||
		tops.Items[0].Status != "confirmed" || tops.Items[0].Value != "10000000000000000" {
		t.Fatalf("top-ups %+v, want one of 0.01 ETH from the platform to %s", tops.Items, wallet)
	}

	var audit struct {
		Items []struct {
			Principal string `json:"principal"`
			Kind      string `json:"kind"`
			Outcome   string `json:"outcome"`
		} `json:"items"`
	}
	if err := admin.do(ctx, "GET", "/v1/audit?kind=typed_data&wallet="+d.Platform.Address.Hex(), nil, &audit); err != nil {
		t.Fatal(err)
	}
	if len(audit.Items) != 3 {
		t.Fatalf("%d typed_data audit records of the platform wallet, want 3 (one voucher per mint): %+v", len(audit.Items), audit.Items)
	}
	for _, r := range audit.Items {
		if !strings.HasPrefix(r.Principal, "platform:mint-voucher for user:") || r.Outcome != "allowed" {
			t.Fatalf("voucher audit record %+v", r)
		}
	}

	metrics, err := user.get(ctx, cfg.HTTP.PublicURL+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("coffer_platform_low_balance{chain_id=\"%d\"} 1", chainID),
		fmt.Sprintf("coffer_platform_balance_wei{address=%q,chain_id=\"%d\"}", d.Platform.Address.Hex(), chainID)} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}
}
