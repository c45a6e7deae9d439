package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/auth/siwe"
)

// storeCounts is what bad input must not change.
type storeCounts struct{ wallets, txs, mints, collections, audit int }

func countStore(t *testing.T, ctx context.Context, st coffer.Store) storeCounts {
	t.Helper()
	var c storeCounts
	ws, _, err := st.Wallets(ctx, "", 500, "")
	if err != nil {
		t.Fatal(err)
	}
	c.wallets = len(ws)
	txs, _, err := st.Transactions(ctx, coffer.TxFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	c.txs = len(txs)
	for _, tx := range txs {
		if tx.Kind == coffer.KindMint {
			c.mints++ // a mint and its transaction are created together
		}
	}
	cols, _, err := st.Collections(ctx, 500, "")
	if err != nil {
		t.Fatal(err)
	}
	c.collections = len(cols)
	recs, _, err := st.AuditRecords(ctx, coffer.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	c.audit = len(recs)
	return c
}

// siweSigned returns a SIWE message for key with a fresh nonce from the
// server, and its signature by signer.
func siweSigned(t *testing.T, ctx context.Context, c *client, key, signer *ecdsa.PrivateKey) (string, string) {
	t.Helper()
	var nonce struct {
		Nonce, Domain, URI string
		ChainID            uint64 `json:"chain_id"`
	}
	if err := c.do(ctx, "POST", "/v1/auth/siwe/nonce", nil, &nonce); err != nil {
		t.Fatal(err)
	}
	scheme, _, _ := strings.Cut(nonce.URI, "://")
	msg := (&siwe.Message{Scheme: scheme, Domain: nonce.Domain, Address: crypto.PubkeyToAddress(key.PublicKey), URI: nonce.URI,
		Version: "1", ChainID: nonce.ChainID, Nonce: nonce.Nonce, IssuedAt: time.Now().UTC().Truncate(time.Second)}).String()
	sig, err := crypto.Sign(accounts.TextHash([]byte(msg)), signer)
	if err != nil {
		t.Fatal(err)
	}
	sig[64] += 27
	return msg, hexutil.Encode(sig)
}

// jwtParts decodes an access token's header and claims.
func jwtParts(t *testing.T, tok string) (parts []string, hdr, claims map[string]any) {
	t.Helper()
	parts = strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWT: %q", tok)
	}
	for i, out := range []*map[string]any{&hdr, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
	return parts, hdr, claims
}

// resign signs tok's claims, changed by edit, with key under tok's kid.
func resign(t *testing.T, tok string, key *ecdsa.PrivateKey, edit func(map[string]any)) string {
	t.Helper()
	_, hdr, claims := jwtParts(t, tok)
	edit(claims)
	j := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims(claims))
	j.Header["kid"] = hdr["kid"]
	s, err := j.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBadInput: every kind of bad request is a 4xx with API.md's error body
// (code, a message a person can act on, request_id = X-Request-Id) and
// changes nothing in the store.
func TestBadInput(t *testing.T) {
	cfg := devConfig(t, t.TempDir())
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	chainID := d.Chain.ChainID()
	base := cfg.HTTP.PublicURL

	u, _, _ := signedIn(t, ctx, base)
	adm := &client{base: base, http: httpClient(), token: d.AdminKey}
	guest := &client{base: base, http: httpClient()}
	var wu struct{ Address common.Address }
	if err := u.do(ctx, "POST", "/v1/wallets", nil, &wu); err != nil {
		t.Fatal(err)
	}
	wallet := "/v1/wallets/" + wu.Address.Hex()
	mint := "/v1/collections/" + d.Demo.ID + "/mint"
	dead := common.HexToAddress("0x000000000000000000000000000000000000dEaD").Hex()
	// A checksummed address with the case of one letter flipped.
	badSum := []byte(wu.Address.Hex())
	for i := 2; i < len(badSum); i++ {
		if c := badSum[i]; c >= 'a' && c <= 'f' {
			badSum[i] = c - 32
			break
		} else if c >= 'A' && c <= 'F' {
			badSum[i] = c + 32
			break
		}
	}

	// A collection whose deployment is not mined: seeded on a chain no
	// worker drives, so it stays pending.
	now := time.Now().UTC()
	ptx := &coffer.Transaction{ID: coffer.NewID("tx"), Kind: coffer.KindDeploy, ChainID: 999_999, From: d.Platform.Address, Value: new(big.Int),
		Data: []byte{0x60}, Status: coffer.TxQueued, CreatedAt: now, UpdatedAt: now}
	pending := &coffer.Collection{ID: coffer.NewID("col"), ChainID: 999_999, Name: "Pending", Symbol: "PEND", Status: coffer.CollectionPending,
		TxID: ptx.ID, Minter: d.Platform.Address, CreatedAt: now}
	if err := d.store.CreateCollection(ctx, pending, ptx); err != nil {
		t.Fatal(err)
	}

	// SIWE: a message signed by another key, and one already used.
	k1, _ := crypto.GenerateKey()
	k2, _ := crypto.GenerateKey()
	otherMsg, otherSig := siweSigned(t, ctx, guest, k1, k2)
	usedMsg, usedSig := siweSigned(t, ctx, guest, k1, k1)
	if r := call(t, ctx, guest, "POST", "/v1/auth/siwe/verify", map[string]string{"message": usedMsg, "signature": usedSig}); r.status != 200 {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	futureMsg, futureSig := siweSigned(t, ctx, guest, k1, k1)
	futureMsg = strings.Replace(futureMsg, "Chain ID: "+fmt.Sprint(chainID), "Chain ID: 1", 1)

	// Access tokens: expired, tampered, signed by another key.
	pemBytes, err := os.ReadFile(d.cfg.Auth.SigningKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(pemBytes)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	realKey := k.(*ecdsa.PrivateKey)
	expired := resign(t, u.token, realKey, func(c map[string]any) {
		c["iat"], c["nbf"], c["exp"] = now.Add(-3*time.Hour).Unix(), now.Add(-3*time.Hour).Unix(), now.Add(-2*time.Hour).Unix()
	})
	parts, _, claims := jwtParts(t, u.token)
	claims["roles"] = []string{"admin"}
	forgedPayload, _ := json.Marshal(claims)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(forgedPayload) + "." + parts[2]
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	foreign := resign(t, u.token, otherKey, func(map[string]any) {})
	asToken := func(tok string) *client { return &client{base: base, http: httpClient(), token: tok} }

	huge := `{"metadata":{"name":"big","description":"` + strings.Repeat("x", int(cfg.HTTP.MaxBodyBytes)) + `"}}`
	meta := map[string]any{"name": "fine"}
	cases := []struct {
		name         string
		c            *client
		method, path string
		body         any
		hdr          []string
		status       int
		msg          string // the message names this
	}{
		{"malformed JSON", u, "POST", wallet + "/sign-message", `{"message":`, nil, 400, "malformed JSON"},
		{"malformed JSON, trailing comma", u, "POST", mint, `{"metadata":{"name":"x",}}`, nil, 400, "malformed JSON"},
		{"data after the object", u, "POST", wallet + "/sign-message", `{"message":"a"} {}`, nil, 400, "after the JSON object"},
		{"array, not object", u, "POST", mint, `[]`, nil, 400, "JSON object"},
		{"chain_id a string", u, "POST", "/v1/transactions", `{"chain_id":"abc","from":"` + wu.Address.Hex() + `","to":"` + dead + `"}`, nil, 400, "chain_id"},
		{"metadata a string", u, "POST", mint, `{"metadata":"just a name"}`, nil, 400, "metadata"},
		{"chain_id negative", u, "POST", "/v1/transactions", `{"chain_id":-1,"from":"` + wu.Address.Hex() + `","to":"` + dead + `"}`, nil, 400, "whole number"},
		{"chain_id fractional", u, "POST", "/v1/transactions", `{"chain_id":1.5,"from":"` + wu.Address.Hex() + `","to":"` + dead + `"}`, nil, 400, "whole number"},
		{"wrong method", u, "DELETE", "/v1/me", nil, nil, 405, "GET"},
		// 405 comes before the credentials are looked at, whoever asks.
		{"wrong method, garbage bearer", asToken("not-a-token"), "DELETE", "/v1/me", nil, nil, 405, "GET"},
		{"wrong method, not Bearer", u, "DELETE", "/v1/me", nil, []string{"Authorization", "Basic dTpw"}, 405, "GET"},
		{"wrong method, guest", guest, "PUT", "/v1/wallets", nil, nil, 405, "POST"},
		{"no route", u, "GET", "/v1/no-such-thing", nil, nil, 404, "no route"},
		{"Idempotency-Key too long", u, "POST", mint, map[string]any{"metadata": meta}, []string{"Idempotency-Key", strings.Repeat("k", 201)}, 400, "Idempotency-Key"},
		{"Content-Type application/jsonp", u, "POST", mint, map[string]any{"metadata": meta}, []string{"Content-Type", "application/jsonp"}, 400, "Content-Type"},
		{"nonce a string", u, "POST", wallet + "/sign-transaction", `{"chain_id":1337,"to":"` + dead + `","nonce":"1"}`, nil, 400, "nonce"},
		{"unknown field", u, "POST", mint, map[string]any{"metadata": meta, "colour": "red"}, nil, 400, "colour"},
		{"unknown field in transaction", u, "POST", "/v1/transactions", map[string]any{"chain_id": chainID, "from": wu.Address.Hex(), "to": dead, "gas_limit": "1"}, nil, 400, "gas_limit"},
		{"unknown collection", u, "POST", "/v1/collections/col_doesnotexist/mint", map[string]any{"metadata": meta}, nil, 404, "col_doesnotexist"},
		{"unknown collection, GET", guest, "GET", "/v1/collections/col_doesnotexist", nil, nil, 404, "col_doesnotexist"},
		{"unknown route", guest, "GET", "/v1/nothing-here", nil, nil, 404, "/v1/nothing-here"},
		{"from not hex", u, "POST", "/v1/transactions", map[string]any{"chain_id": chainID, "from": "0xZZ" + strings.Repeat("0", 38), "to": dead}, nil, 400, "not an address"},
		{"to bad checksum", u, "POST", "/v1/transactions", map[string]any{"chain_id": chainID, "from": wu.Address.Hex(), "to": string(badSum)}, nil, 400, "checksum"},
		{"mint to bad checksum", u, "POST", mint, map[string]any{"to": string(badSum), "metadata": meta}, nil, 400, "checksum"},
		{"mint to short hex", u, "POST", mint, map[string]any{"to": "0x1234", "metadata": meta}, nil, 400, "not an address"},
		{"wallet path not an address", u, "GET", "/v1/wallets/0x1234", nil, nil, 400, "not an address"},
		{"chain not configured", u, "POST", "/v1/transactions", map[string]any{"chain_id": 999_999, "from": wu.Address.Hex(), "to": dead}, nil, 400, "999999"},
		{"negative value", u, "POST", "/v1/transactions", map[string]any{"chain_id": chainID, "from": wu.Address.Hex(), "to": dead, "value": "-1"}, nil, 400, "value"},
		{"value not decimal", u, "POST", "/v1/transactions", map[string]any{"chain_id": chainID, "from": wu.Address.Hex(), "to": dead, "value": "0x10"}, nil, 400, "value"},
		{"limit out of range", u, "GET", "/v1/transactions?limit=0", nil, nil, 400, "limit"},
		{"mint status unknown", u, "GET", "/v1/mints?status=cancelled", nil, nil, 400, "status"},
		{"mint list limit out of range", u, "GET", "/v1/mints?limit=501", nil, nil, 400, "limit"},
		{"mint list cursor garbage", u, "GET", "/v1/mints?cursor=%25%25%25", nil, nil, 400, "cursor"},
		{"body over max_body_bytes", u, "POST", mint, huge, nil, 413, "larger than"},
		{"SIWE message not EIP-4361", guest, "POST", "/v1/auth/siwe/verify", map[string]string{"message": "hello", "signature": "0x" + strings.Repeat("11", 65)}, nil, 401, "SIWE"},
		{"SIWE signature by another key", guest, "POST", "/v1/auth/siwe/verify", map[string]string{"message": otherMsg, "signature": otherSig}, nil, 401, "signature"},
		{"SIWE nonce reused", guest, "POST", "/v1/auth/siwe/verify", map[string]string{"message": usedMsg, "signature": usedSig}, nil, 401, "nonce"},
		{"SIWE wrong chain id", guest, "POST", "/v1/auth/siwe/verify", map[string]string{"message": futureMsg, "signature": futureSig}, nil, 401, "chain"},
		{"SIWE signature not hex", guest, "POST", "/v1/auth/siwe/verify", map[string]string{"message": usedMsg, "signature": "zz"}, nil, 400, "signature"},
		{"expired access token", asToken(expired), "GET", "/v1/me", nil, nil, 401, "expired"},
		{"tampered access token", asToken(tampered), "GET", "/v1/audit", nil, nil, 401, "token"},
		{"access token by another key", asToken(foreign), "GET", "/v1/me", nil, nil, 401, "token"},
		{"garbage bearer", asToken("not-a-token"), "GET", "/v1/me", nil, nil, 401, "token"},
		{"not Bearer", u, "GET", "/v1/me", nil, []string{"Authorization", "Basic dTpw"}, 401, "Bearer"},
		{"Content-Type text/plain", u, "POST", mint, map[string]any{"metadata": meta}, []string{"Content-Type", "text/plain"}, 400, "Content-Type"},
		{"empty body", u, "POST", "/v1/transactions", "", nil, 400, "empty"},
		{"metadata without name", u, "POST", mint, map[string]any{"metadata": map[string]any{"description": "no name"}}, nil, 400, "name"},
		{"metadata image not a URI", u, "POST", mint, map[string]any{"metadata": map[string]any{"name": "x", "image": "not a uri"}}, nil, 400, "image"},
		{"metadata image javascript:", u, "POST", mint, map[string]any{"metadata": map[string]any{"name": "x", "image": "javascript:alert(1)"}}, nil, 400, "image"},
		{"metadata attributes not a list", u, "POST", mint, map[string]any{"metadata": map[string]any{"name": "x", "attributes": "rare"}}, nil, 400, "attributes"},
		{"mint into a pending collection", u, "POST", "/v1/collections/" + pending.ID + "/mint", map[string]any{"metadata": meta}, nil, 409, "pending"},
		{"collection without name", adm, "POST", "/v1/collections", map[string]any{"chain_id": chainID, "name": "", "symbol": "X"}, nil, 400, "name"},
		{"collection on unknown chain", adm, "POST", "/v1/collections", map[string]any{"chain_id": 999_999, "name": "X", "symbol": "X"}, nil, 400, "999999"},
		{"sign-hash of 31 bytes", adm, "POST", wallet + "/sign-hash", map[string]any{"hash": "0x" + strings.Repeat("ab", 31)}, nil, 400, "32 bytes"},
		{"typed data without types", u, "POST", wallet + "/sign-typed-data", `{"typed_data":{"primaryType":"Mail","domain":{},"message":{}}}`, nil, 400, "typ"},
	}
	before := countStore(t, ctx, d.store)
	for i, tc := range cases {
		rid := fmt.Sprintf("bad-input-%d", i)
		r := call(t, ctx, tc.c, tc.method, tc.path, tc.body, append([]string{"X-Request-Id", rid}, tc.hdr...)...)
		e := checkError(t, tc.name, r, tc.status, statusCode(tc.status))
		if r.header.Get("X-Request-Id") != rid {
			t.Errorf("%s: X-Request-Id %q, sent %q", tc.name, r.header.Get("X-Request-Id"), rid)
		}
		if r.status == tc.status && !strings.Contains(strings.ToLower(e.Error.Message), strings.ToLower(tc.msg)) {
			t.Errorf("%s: message %q does not mention %q", tc.name, e.Error.Message, tc.msg)
		}
	}
	if after := countStore(t, ctx, d.store); after != before {
		t.Errorf("bad input changed the store: before %+v, after %+v", before, after)
	}

	// Idempotency-Key: the same body answers the original mint, another body is 409.
	body := map[string]any{"metadata": map[string]any{"name": "once"}}
	var m1, m2 mintResp
	if err := u.doIdem(ctx, "POST", mint, body, &m1, "idem-1"); err != nil {
		t.Fatal(err)
	}
	waitMint(t, ctx, u, m1.ID) // the first mint's signing and audit record are done
	before = countStore(t, ctx, d.store)
	if err := u.doIdem(ctx, "POST", mint, body, &m2, "idem-1"); err != nil {
		t.Fatal(err)
	}
	if m2.ID != m1.ID || m2.TransactionID != m1.TransactionID {
		t.Errorf("same Idempotency-Key and body made mint %s, want the original %s", m2.ID, m1.ID)
	}
	r := call(t, ctx, u, "POST", mint, map[string]any{"metadata": map[string]any{"name": "twice"}}, "Idempotency-Key", "idem-1")
	checkError(t, "Idempotency-Key with another body", r, 409, coffer.ECONFLICT)
	// Another principal's key of the same name is theirs alone.
	other, _, _ := signedIn(t, ctx, base)
	if r := call(t, ctx, other, "GET", "/v1/mints/"+m1.ID, nil); r.status != 404 {
		t.Errorf("another user sees the mint: %d", r.status)
	}
	if after := countStore(t, ctx, d.store); after != before {
		t.Errorf("a replayed Idempotency-Key changed the store: before %+v, after %+v", before, after)
	}
}
