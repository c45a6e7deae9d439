package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/internal/testenv"
)

// devConfig is `coffer dev` in a temp directory with no network RPC port.
func devConfig(t *testing.T, dataDir string) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.HTTP.Addr = testenv.FreeAddr(t)
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	cfg.Dev.RPCAddr = "" // in-process only: tests run side by side
	return cfg
}

func startTestDev(t *testing.T, cfg config.Config) *devInstance {
	t.Helper()
	// The instance lives until Close, not until a start-up deadline.
	d, err := startDev(context.Background(), cfg, testenv.Logger())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type mintResp struct {
	ID, Status, Error string
	CollectionID      string         `json:"collection_id"`
	TokenID           *string        `json:"token_id"`
	TokenURI          string         `json:"token_uri"`
	To                common.Address `json:"to"`
	TransactionID     string         `json:"transaction_id"`
}

func waitMint(t *testing.T, ctx context.Context, c *client, id string) mintResp {
	t.Helper()
	var m mintResp
	for {
		if err := c.do(ctx, "GET", "/v1/mints/"+id, nil, &m); err != nil {
			t.Fatal(err)
		}
		if m.Status == "confirmed" || m.Status == "failed" {
			return m
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			t.Fatalf("mint %s still %s: %v", id, m.Status, err)
		}
	}
}

// TestDevEndToEnd runs the README's flow on the embedded stack: SIWE sign-in,
// three mints with metadata, tokens indexed, token URIs serving the metadata.
func TestDevEndToEnd(t *testing.T) {
	cfg := devConfig(t, t.TempDir())
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The demo command is a client like any other.
	if err := runDemo(ctx, []string{"--api", cfg.HTTP.PublicURL, "--timeout", "90s"}); err != nil {
		t.Fatalf("demo: %v", err)
	}

	c, _, _ := signedIn(t, ctx, cfg.HTTP.PublicURL)
	var ids []string
	for i := range 3 {
		var m mintResp
		meta := map[string]any{"name": fmt.Sprintf("E2E #%d", i), "attributes": []map[string]any{{"trait_type": "i", "value": i}}}
		if err := c.do(ctx, "POST", "/v1/collections/"+d.Demo.ID+"/mint", map[string]any{"metadata": meta}, &m); err != nil {
			t.Fatal(err)
		}
		if m.Status != "queued" || m.TokenURI == "" {
			t.Fatalf("mint answer %+v", m)
		}
		ids = append(ids, m.ID)
	}
	var owner common.Address
	seen := map[string]bool{}
	for i, id := range ids {
		m := waitMint(t, ctx, c, id)
		if m.Status != "confirmed" || m.TokenID == nil {
			t.Fatalf("mint %s: %+v", id, m)
		}
		if seen[*m.TokenID] {
			t.Fatalf("token id %s minted twice", *m.TokenID)
		}
		seen[*m.TokenID] = true
		owner = m.To
		var tok struct {
			Owner    common.Address  `json:"owner"`
			TokenURI string          `json:"token_uri"`
			Metadata json.RawMessage `json:"metadata"`
		}
		path := fmt.Sprintf("/v1/nfts/%d/%s/%s", d.Chain.ChainID(), d.Demo.Address.Hex(), *m.TokenID)
		for c.do(ctx, "GET", path, nil, &tok) != nil {
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				t.Fatalf("token %s never indexed", *m.TokenID)
			}
		}
		if tok.Owner != m.To || tok.TokenURI != m.TokenURI {
			t.Fatalf("indexed token %+v does not match mint %+v", tok, m)
		}
		served, err := c.get(ctx, tok.TokenURI)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(served, fmt.Sprintf(`"name":"E2E #%d"`, i)) || !json.Valid([]byte(served)) {
			t.Fatalf("token URI served %s", served)
		}
	}
	var list struct {
		Items []struct {
			TokenID string `json:"token_id"`
		}
	}
	if err := c.do(ctx, "GET", "/v1/nfts?owner="+owner.Hex(), nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 3 {
		t.Fatalf("owner has %d tokens, want 3", len(list.Items))
	}
}

// TestDevRestart checks the database and a persisted dev chain stay in
// agreement across restarts, and are made to agree when the chain is lost.
func TestDevRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := devConfig(t, dir)
	d := startTestDev(t, cfg)
	first := d.Demo
	adminKey := d.AdminKey
	d.Close()

	d = startTestDev(t, devConfig(t, dir))
	if d.Demo.ID != first.ID || *d.Demo.Address != *first.Address {
		t.Fatalf("restart made a new demo collection: %s %s, was %s %s", d.Demo.ID, d.Demo.Address, first.ID, first.Address)
	}
	if d.AdminKey != adminKey {
		t.Fatal("restart printed a different admin key")
	}
	d.Close()

	// Lose the chain: the database must not keep pointing at its contracts.
	if err := os.RemoveAll(filepath.Join(cfg.Dev.ChainDir)); err != nil {
		t.Fatal(err)
	}
	d = startTestDev(t, devConfig(t, dir))
	defer d.Close()
	if d.Demo.ID == first.ID {
		t.Fatal("demo collection of the lost chain is still in the database")
	}
	code, err := d.clients[d.Chain.ChainID()].Code(context.Background(), *d.Demo.Address)
	if err != nil || len(code) == 0 {
		t.Fatalf("demo collection has no code on the new chain: %v", err)
	}
}
