package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer/auth/siwe"
)

const demoSummary = `Acts as a client of a running coffer: makes a throwaway wallet, signs in with SIWE,
mints NFTs with metadata into a collection (default: the first deployed one), waits until
they are confirmed and indexed, and prints each token's owner, token URI and metadata.`

func runDemo(ctx context.Context, args []string) error {
	var apiURL, collection string
	var count int
	var timeout time.Duration
	if _, err := simpleFlags("demo", demoSummary, args, func(fs *flag.FlagSet) {
		fs.StringVar(&apiURL, "api", "http://127.0.0.1:8080", "base URL of the coffer API")
		fs.StringVar(&collection, "collection", "", "collection id to mint into (default: first deployed)")
		fs.IntVar(&count, "count", 3, "how many NFTs to mint")
		fs.DurationVar(&timeout, "timeout", 2*time.Minute, "give up after this long")
	}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &client{base: strings.TrimRight(apiURL, "/"), http: httpClient()}

	key, err := crypto.GenerateKey()
	if err != nil {
		return err
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	fmt.Printf("throwaway wallet   %s\n", addr.Hex())

	userID, err := c.signIn(ctx, key)
	if err != nil {
		return err
	}
	fmt.Printf("signed in as user  %s\n", userID)

	if collection == "" {
		var cols struct {
			Items []struct{ ID, Status string }
		}
		if err := c.do(ctx, "GET", "/v1/collections", nil, &cols); err != nil {
			return err
		}
		for _, col := range cols.Items {
			if col.Status == "deployed" {
				collection = col.ID
				break
			}
		}
		if collection == "" {
			return fmt.Errorf("no deployed collection; create one with POST /v1/collections (admin)")
		}
	}

	type mint struct {
		ID, Status, Error string
		TokenID           *string         `json:"token_id"`
		TokenURI          string          `json:"token_uri"`
		To                common.Address  `json:"to"`
		Metadata          json.RawMessage `json:"metadata"`
	}
	run := fmt.Sprint(time.Now().Unix())
	var mints []mint
	for i := 1; i <= count; i++ {
		meta := map[string]any{
			"name":        fmt.Sprintf("Coffer Demo #%d", i),
			"description": "Minted by `coffer demo` to a custodial wallet.",
			"image":       fmt.Sprintf("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'><rect width='64' height='64' fill='#%02x6040'/></svg>", i*60%256),
			"attributes":  []map[string]any{{"trait_type": "Number", "value": i}, {"trait_type": "Run", "value": run}},
		}
		var m mint
		if err := c.doIdem(ctx, "POST", "/v1/collections/"+collection+"/mint", map[string]any{"metadata": meta}, &m, "demo-"+run+"-"+fmt.Sprint(i)); err != nil {
			return fmt.Errorf("mint %d: %w", i, err)
		}
		fmt.Printf("mint %d queued      %s → %s\n", i, m.ID, m.To.Hex())
		mints = append(mints, m)
	}

	// Wait for every mint to be confirmed and indexed, then show what the chain says.
	for _, m := range mints {
		for m.Status != "confirmed" {
			if m.Status == "failed" {
				return fmt.Errorf("mint %s failed: %s", m.ID, m.Error)
			}
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return fmt.Errorf("waiting for mint %s (status %s): %w", m.ID, m.Status, err)
			}
			if err := c.do(ctx, "GET", "/v1/mints/"+m.ID, nil, &m); err != nil {
				return err
			}
		}
		var col struct {
			ChainID uint64 `json:"chain_id"`
			Address string
		}
		if err := c.do(ctx, "GET", "/v1/collections/"+collection, nil, &col); err != nil {
			return err
		}
		var tok struct {
			Owner    common.Address `json:"owner"`
			TokenURI string         `json:"token_uri"`
		}
		path := fmt.Sprintf("/v1/nfts/%d/%s/%s", col.ChainID, col.Address, *m.TokenID)
		for {
			err := c.do(ctx, "GET", path, nil, &tok)
			if err == nil {
				break
			}
			if !strings.Contains(err.Error(), "not_found") {
				return err
			}
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return fmt.Errorf("waiting for the indexer to see token %s: %w", *m.TokenID, err)
			}
		}
		meta, err := c.get(ctx, tok.TokenURI)
		if err != nil {
			return err
		}
		fmt.Printf("\ntoken %s of %s\n  owner     %s\n  token URI %s\n  metadata  %s\n", *m.TokenID, col.Address, tok.Owner.Hex(), tok.TokenURI, meta)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// client is a tiny JSON client for the coffer API.
type client struct {
	base, token string
	http        *http.Client
}

func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	return c.doIdem(ctx, method, path, in, out, "")
}

func (c *client) doIdem(ctx context.Context, method, path string, in, out any, idem string) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w (is coffer running? start it with `go run ./cmd/coffer dev`)", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (c *client) get(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), err
}

// signIn runs the SIWE flow with key and keeps the access token.
func (c *client) signIn(ctx context.Context, key *ecdsa.PrivateKey) (userID string, err error) {
	var nonce struct {
		Nonce, Domain, URI string
		ChainID            uint64 `json:"chain_id"`
	}
	if err := c.do(ctx, "POST", "/v1/auth/siwe/nonce", nil, &nonce); err != nil {
		return "", err
	}
	scheme, domain, _ := strings.Cut(nonce.URI, "://")
	if nonce.Domain != "" {
		domain = nonce.Domain
	}
	statement := "Sign in to coffer."
	msg := &siwe.Message{Scheme: scheme, Domain: domain, Address: crypto.PubkeyToAddress(key.PublicKey), Statement: &statement, URI: nonce.URI,
		Version: "1", ChainID: nonce.ChainID, Nonce: nonce.Nonce, IssuedAt: time.Now().UTC().Truncate(time.Second)}
	text := msg.String()
	sig, err := crypto.Sign(accounts.TextHash([]byte(text)), key)
	if err != nil {
		return "", err
	}
	sig[64] += 27
	var tokens struct {
		AccessToken string `json:"access_token"`
		User        struct{ ID string }
	}
	if err := c.do(ctx, "POST", "/v1/auth/siwe/verify", map[string]string{"message": text, "signature": hexutil.Encode(sig)}, &tokens); err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	c.token = tokens.AccessToken
	return tokens.User.ID, nil
}

func httpClient() *http.Client { return &http.Client{Timeout: 30 * time.Second} }
