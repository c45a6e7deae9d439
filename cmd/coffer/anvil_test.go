package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer/auth"
	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/internal/testenv"
	"github.com/cofferhq/coffer/keys/local"
)

// serveConfig is `coffer serve` in dataDir against one node, with the anvil
// dev account 0 as the platform key (from a file) and a bootstrap admin key.
func serveConfig(t *testing.T, dataDir, rpcURL string, chainID uint64) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.HTTP.Addr = testenv.FreeAddr(t)
	cfg.Keys.MasterKeyEnv = "" // only the file below, whatever the environment says
	cfg.Platform.PrivateKeyEnv = ""
	cfg.Platform.PrivateKeyFile = filepath.Join(dataDir, "platform.key")
	cfg.Auth.BootstrapAdminKey, _ = auth.GenerateAPIKey()
	cfg.Chains = []config.Chain{{ID: chainID, Name: "anvil", RPCURLs: []string{rpcURL}, Confirmations: 1, PollInterval: 100 * time.Millisecond}}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.Platform.PrivateKeyFile, []byte(testenv.AnvilKey0+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// serve never creates a master key (dev does); an operator provides one.
	if _, _, err := local.LoadOrCreateMasterFile(cfg.Keys.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestServeAnvil runs `coffer serve` against a real anvil node: the chain id
// check, a collection deployed through the API by an admin, a SIWE user's
// mint confirmed on chain and indexed.
//
// What anvil does differently from geth's dev chain (both work with coffer):
//   - it mines every transaction at once in its own block (automine), so a
//     burst of N transactions is N blocks, not one;
//   - EIP-1559 from genesis with a 1 gwei base fee that drops by about 1/8
//     per block, as automined blocks hold one transaction each, far under
//     the gas target; eth_maxPriorityFeePerGas answers 1 gwei and
//     eth_gasPrice 2 gwei, so coffer's fee cap (2 × base fee + tip) is ~3 gwei;
//   - eth_estimateGas does not check the sender's balance for the value or
//     fees (an unfunded sender gets 21000 for a 1 wei transfer, where geth
//     says "insufficient funds for transfer"); the balance is first checked
//     at eth_sendRawTransaction, "Insufficient funds for gas * price + value"
//     (capitalised; geth: "insufficient funds for gas * price + value: …").
//     coffer classifies both by the lower-cased phrase.
func TestServeAnvil(t *testing.T) {
	const chainID = 31337
	url := testenv.Anvil(t, chainID)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A node serving another chain than configured is refused at start-up,
	// and the error names both ids.
	wrong := serveConfig(t, t.TempDir(), url, 4242)
	if s, err := startServe(ctx, wrong, testenv.Logger()); err == nil {
		s.Close()
		t.Fatal("serve started against a node of another chain")
	} else if !strings.Contains(err.Error(), "31337") || !strings.Contains(err.Error(), "4242") {
		t.Fatalf("chain id mismatch error does not name both ids: %v", err)
	}

	cfg := serveConfig(t, t.TempDir(), url, chainID)
	s, err := startServe(ctx, cfg, testenv.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	platform, err := s.custody.PlatformWallet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if platform.Address != common.HexToAddress(testenv.AnvilAddr0) {
		t.Fatalf("platform wallet %s, want anvil account 0 %s", platform.Address, testenv.AnvilAddr0)
	}

	adm := &client{base: cfg.HTTP.PublicURL, http: httpClient(), token: cfg.Auth.BootstrapAdminKey}
	var col struct {
		ID, Status, Address string
		ChainID             uint64 `json:"chain_id"`
		TransactionID       string `json:"transaction_id"`
	}
	if err := adm.do(ctx, "POST", "/v1/collections", map[string]any{"chain_id": chainID, "name": "Anvil Test", "symbol": "ANV"}, &col); err != nil {
		t.Fatal(err)
	}
	if col.Status != "pending" || col.ChainID != chainID || col.TransactionID == "" {
		t.Fatalf("create collection answered %+v", col)
	}
	for col.Status != "deployed" {
		if col.Status == "failed" {
			t.Fatalf("collection failed to deploy: %+v", col)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			t.Fatalf("collection still %s: %v", col.Status, err)
		}
		if err := adm.do(ctx, "GET", "/v1/collections/"+col.ID, nil, &col); err != nil {
			t.Fatal(err)
		}
	}
	if !common.IsHexAddress(col.Address) || common.HexToAddress(col.Address).Hex() != col.Address {
		t.Fatalf("deployed collection address %q is not EIP-55", col.Address)
	}
	if code, err := s.clients[chainID].Code(ctx, common.HexToAddress(col.Address)); err != nil || len(code) == 0 {
		t.Fatalf("no contract code at %s: %v", col.Address, err)
	}

	user, _, _ := signedIn(t, ctx, cfg.HTTP.PublicURL)
	var m mintResp
	meta := map[string]any{"name": "Anvil #1", "description": "minted on anvil", "attributes": []map[string]any{{"trait_type": "node", "value": "anvil"}}}
	if err := user.doIdem(ctx, "POST", "/v1/collections/"+col.ID+"/mint", map[string]any{"metadata": meta}, &m, "anvil-1"); err != nil {
		t.Fatal(err)
	}
	m = waitMint(t, ctx, user, m.ID)
	if m.Status != "confirmed" || m.TokenID == nil {
		t.Fatalf("mint: %+v", m)
	}
	var tok struct {
		Owner    common.Address  `json:"owner"`
		TokenURI string          `json:"token_uri"`
		Metadata json.RawMessage `json:"metadata"`
	}
	path := fmt.Sprintf("/v1/nfts/%d/%s/%s", chainID, col.Address, *m.TokenID)
	for {
		err := user.do(ctx, "GET", path, nil, &tok)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "not_found") {
			t.Fatal(err)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			t.Fatalf("token %s never indexed", *m.TokenID)
		}
	}
	if tok.Owner != m.To || tok.TokenURI != m.TokenURI {
		t.Fatalf("indexed token %+v does not match mint %+v", tok, m)
	}
	var got map[string]any
	if err := json.Unmarshal(tok.Metadata, &got); err != nil || got["name"] != "Anvil #1" || got["description"] != "minted on anvil" {
		t.Fatalf("token metadata %s (%v)", tok.Metadata, err)
	}
	served, err := user.get(ctx, tok.TokenURI)
	if err != nil || !json.Valid([]byte(served)) || !strings.Contains(served, `"name":"Anvil #1"`) {
		t.Fatalf("token URI %s served %q: %v", tok.TokenURI, served, err)
	}

	// Close stops cleanly; the context of the caller is not needed for it.
	s.Close()
	if err := s.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("serve stopped with %v", err)
	}
}
