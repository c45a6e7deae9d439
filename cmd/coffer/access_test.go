package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/config"
)

// apiResp is a raw answer of the API.
type apiResp struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request as c (c.token, "" for a guest). body is sent as is
// when it is a string or []byte, else as JSON; hdr are header name/value pairs.
func call(t *testing.T, ctx context.Context, c *client, method, path string, body any, hdr ...string) apiResp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apiResp{status: resp.StatusCode, header: resp.Header, body: data}
}

// apiError is API.md's error body.
type apiError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// checkError asserts r is status with API.md's error body: code, a message,
// and request_id equal to the X-Request-Id header.
func checkError(t *testing.T, what string, r apiResp, status int, code string) apiError {
	t.Helper()
	var e apiError
	if r.status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
		return e
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Errorf("%s: error body is not JSON: %s", what, r.body)
		return e
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: error Content-Type %q", what, ct)
	}
	if e.Error.Code != code {
		t.Errorf("%s: code %q, want %q (%s)", what, e.Error.Code, code, r.body)
	}
	if len(e.Error.Message) < 10 {
		t.Errorf("%s: message %q is not one a person can act on", what, e.Error.Message)
	}
	if rid := r.header.Get("X-Request-Id"); rid == "" || e.Error.RequestID != rid {
		t.Errorf("%s: request_id %q, X-Request-Id %q", what, e.Error.RequestID, rid)
	}
	return e
}

func statusCode(status int) string {
	switch status {
	case 400, 413:
		return coffer.EINVALID
	case 401:
		return coffer.EUNAUTHORIZED
	case 403:
		return coffer.EFORBIDDEN
	case 404:
		return coffer.ENOTFOUND
	case 405:
		return coffer.EINVALID
	case 409:
		return coffer.ECONFLICT
	}
	return "?"
}

// signedIn is a fresh SIWE user.
func signedIn(t *testing.T, ctx context.Context, base string) (*client, string, *ecdsa.PrivateKey) {
	t.Helper()
	c := &client{base: base, http: httpClient()}
	key, _ := crypto.GenerateKey()
	id, err := c.signIn(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	return c, id, key
}

func waitTx(t *testing.T, ctx context.Context, c *client, id string, done ...string) map[string]any {
	t.Helper()
	for {
		var tx map[string]any
		if err := c.do(ctx, "GET", "/v1/transactions/"+id, nil, &tx); err != nil {
			t.Fatal(err)
		}
		for _, s := range done {
			if tx["status"] == s {
				return tx
			}
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			t.Fatalf("transaction %s still %v: %v", id, tx["status"], err)
		}
	}
}

const typedDataDoc = `{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"chainId","type":"uint256"}],` +
	`"Mail":[{"name":"contents","type":"string"}]},"primaryType":"Mail","domain":{"name":"coffer test","chainId":1337},"message":{"contents":"hello"}}`

// TestUsersSeeOnlyTheirOwn: user B gets 404 for everything of user A's (403
// where API.md says so), a guest gets 401, an admin sees everything.
func TestUsersSeeOnlyTheirOwn(t *testing.T) {
	cfg := devConfig(t, t.TempDir())
	cfg.Dev.GasTank = config.GasTank{} // no gas tank: A's unfunded transaction must fail (voucher_e2e_test.go has one)
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	chainID := d.Chain.ChainID()
	base := cfg.HTTP.PublicURL

	a, aID, _ := signedIn(t, ctx, base)
	b, bID, _ := signedIn(t, ctx, base)
	adm := &client{base: base, http: httpClient(), token: d.AdminKey}
	guest := &client{base: base, http: httpClient()}

	// A's things: a wallet, a mint, a managed transaction.
	var wa struct{ Address common.Address }
	if err := a.do(ctx, "POST", "/v1/wallets", nil, &wa); err != nil {
		t.Fatal(err)
	}
	var ma mintResp
	if err := a.do(ctx, "POST", "/v1/collections/"+d.Demo.ID+"/mint", map[string]any{"metadata": map[string]any{"name": "A's"}}, &ma); err != nil {
		t.Fatal(err)
	}
	if ma.To != wa.Address {
		t.Fatalf("A's mint goes to %s, not A's first wallet %s", ma.To, wa.Address)
	}
	elsewhere := common.HexToAddress("0x000000000000000000000000000000000000dEaD")
	txBody := map[string]any{"chain_id": chainID, "from": wa.Address.Hex(), "to": elsewhere.Hex(), "value": "0"}
	var txa struct{ ID, Status string }
	if err := a.doIdem(ctx, "POST", "/v1/transactions", txBody, &txa, "a-tx-1"); err != nil {
		t.Fatal(err)
	}
	// A's wallet holds no ETH, so the transaction cannot pay for gas: it
	// must fail cleanly with a reason, and without taking a nonce (a nonce
	// that is never mined would block every later transaction of A's).
	tx := waitTx(t, ctx, a, txa.ID, "failed", "confirmed")
	if tx["status"] != "failed" || !strings.Contains(fmt.Sprint(tx["error"]), "insufficient funds") || tx["nonce"] != nil {
		t.Fatalf("unfunded transaction: %v", tx)
	}
	if n, err := d.store.NextNonce(ctx, chainID, wa.Address); err != nil || n != 0 {
		t.Fatalf("unfunded transaction took nonce: next %d, %v", n, err)
	}
	if m := waitMint(t, ctx, a, ma.ID); m.Status != "confirmed" {
		t.Fatalf("A's mint %+v", m)
	}

	// B has a wallet and a mint of their own.
	var wb struct{ Address common.Address }
	if err := b.do(ctx, "POST", "/v1/wallets", nil, &wb); err != nil {
		t.Fatal(err)
	}
	var mb mintResp
	if err := b.do(ctx, "POST", "/v1/collections/"+d.Demo.ID+"/mint", map[string]any{"metadata": map[string]any{"name": "B's"}}, &mb); err != nil {
		t.Fatal(err)
	}

	auditOf := func(w common.Address) int {
		recs, _, err := d.store.AuditRecords(ctx, coffer.AuditFilter{Wallet: &w, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return len(recs)
	}
	auditA := auditOf(wa.Address)

	wA := "/v1/wallets/" + wa.Address.Hex()
	hash := "0x" + strings.Repeat("ab", 32)
	// What B tries on A's things (status for B), and what an admin gets (0: not tried).
	// Every endpoint here needs a token, so a guest gets 401 for each.
	cases := []struct {
		method, path string
		body         any
		b, admin     int
	}{
		{"GET", wA, nil, 404, 200},
		{"GET", strings.ToLower(wA), nil, 404, 200},
		{"GET", wA + "?chain_id=" + fmt.Sprint(chainID), nil, 404, 200},
		{"POST", wA + "/sign-message", map[string]any{"message": "hi"}, 404, 200},
		{"POST", wA + "/sign-message", map[string]any{"message_hex": "0x6869"}, 404, 0},
		{"POST", wA + "/sign-typed-data", `{"typed_data":` + typedDataDoc + `}`, 404, 200},
		{"POST", wA + "/sign-hash", map[string]any{"hash": hash}, 404, 200},
		{"POST", wA + "/sign-transaction", map[string]any{"chain_id": chainID, "to": elsewhere.Hex(), "value": "0", "nonce": 0, "gas": 21000,
			"max_fee_per_gas": "2000000000", "max_priority_fee_per_gas": "1"}, 404, 200},
		{"GET", "/v1/mints/" + ma.ID, nil, 404, 200},
		{"GET", "/v1/transactions/" + txa.ID, nil, 404, 200},
		{"POST", "/v1/transactions", txBody, 404, 0},
		{"POST", "/v1/collections/" + d.Demo.ID + "/mint", map[string]any{"to": wa.Address.Hex(), "metadata": map[string]any{"name": "to A"}}, 403, 0},
	}
	for _, tc := range cases {
		what := "B " + tc.method + " " + tc.path
		r := call(t, ctx, b, tc.method, tc.path, tc.body, "Idempotency-Key", "a-tx-1")
		checkError(t, what, r, tc.b, statusCode(tc.b))
		// Nothing of A's that B did not name in the request comes back.
		for _, secret := range []string{aID, wa.Address.Hex(), ma.ID, txa.ID, ma.TokenURI} {
			if !strings.Contains(strings.ToLower(tc.path+fmt.Sprint(tc.body)), strings.ToLower(secret)) && strings.Contains(strings.ToLower(string(r.body)), strings.ToLower(secret)) {
				t.Errorf("%s: answer reveals %s: %s", what, secret, r.body)
			}
		}
		checkError(t, "guest "+tc.method+" "+tc.path, call(t, ctx, guest, tc.method, tc.path, tc.body), 401, coffer.EUNAUTHORIZED)
	}
	if n := auditOf(wa.Address); n != auditA {
		t.Errorf("B's attempts on A's wallet wrote %d audit records", n-auditA)
	}

	// Lists show B only B's things.
	var ws struct {
		Items []struct{ Address common.Address }
	}
	if err := b.do(ctx, "GET", "/v1/wallets", nil, &ws); err != nil {
		t.Fatal(err)
	}
	if len(ws.Items) != 1 || ws.Items[0].Address != wb.Address {
		t.Errorf("B's wallet list: %+v, want only %s", ws.Items, wb.Address)
	}
	var txs struct {
		Items []struct {
			ID   string
			From common.Address
		}
	}
	for _, q := range []string{"", "?from=" + wa.Address.Hex(), "?status=failed", "?kind=transfer"} {
		if err := b.do(ctx, "GET", "/v1/transactions"+q, nil, &txs); err != nil {
			t.Fatal(err)
		}
		for _, it := range txs.Items {
			if it.ID == txa.ID || it.ID == ma.TransactionID || it.From == wa.Address {
				t.Errorf("B's transaction list %q shows A's %s", q, it.ID)
			}
		}
	}
	if err := b.do(ctx, "GET", "/v1/transactions", nil, &txs); err != nil {
		t.Fatal(err)
	}
	if len(txs.Items) != 1 || txs.Items[0].ID != mb.TransactionID {
		t.Errorf("B's transaction list %+v, want only B's mint %s", txs.Items, mb.TransactionID)
	}
	var mints struct {
		Items      []map[string]any
		NextCursor string `json:"next_cursor"`
	}
	waitMint(t, ctx, b, mb.ID)
	for _, q := range []string{"", "?owner=" + aID, "?collection_id=" + d.Demo.ID, "?status=confirmed", "?limit=1"} {
		if err := b.do(ctx, "GET", "/v1/mints"+q, nil, &mints); err != nil {
			t.Fatal(err)
		}
		if len(mints.Items) != 1 || mints.Items[0]["id"] != mb.ID {
			t.Errorf("B's mint list %q: %v, want only B's mint %s", q, mints.Items, mb.ID)
		}
		if strings.Contains(fmt.Sprint(mints.Items), ma.ID) {
			t.Errorf("B's mint list %q shows A's %s", q, ma.ID)
		}
	}
	var me struct {
		ID      string
		Wallets []struct{ Address common.Address }
	}
	if err := b.do(ctx, "GET", "/v1/me", nil, &me); err != nil {
		t.Fatal(err)
	}
	if me.ID != bID || len(me.Wallets) != 1 || me.Wallets[0].Address != wb.Address {
		t.Errorf("B's /v1/me: %+v", me)
	}
	// Admin-only endpoints are 403 for a user, 401 for a guest.
	for _, ep := range [][2]string{{"GET", "/v1/audit"}, {"POST", "/v1/collections"}} {
		body := any(nil)
		if ep[0] == "POST" {
			body = map[string]any{"chain_id": chainID, "name": "B's", "symbol": "B"}
		}
		checkError(t, "B "+ep[1], call(t, ctx, b, ep[0], ep[1], body), 403, coffer.EFORBIDDEN)
		checkError(t, "guest "+ep[1], call(t, ctx, guest, ep[0], ep[1], body), 401, coffer.EUNAUTHORIZED)
	}
	// The rest of the user endpoints, for a guest.
	for _, ep := range [][2]string{{"GET", "/v1/me"}, {"GET", "/v1/wallets"}, {"POST", "/v1/wallets"}, {"GET", "/v1/transactions"},
		{"GET", "/v1/mints"}, {"POST", "/v1/auth/logout"}, {"POST", "/v1/media"}} {
		checkError(t, "guest "+ep[0]+" "+ep[1], call(t, ctx, guest, ep[0], ep[1], nil), 401, coffer.EUNAUTHORIZED)
	}

	// An admin sees and may use everything.
	for _, tc := range cases {
		if tc.admin == 0 {
			continue
		}
		if r := call(t, ctx, adm, tc.method, tc.path, tc.body); r.status != tc.admin {
			t.Errorf("admin %s %s: %d, want %d: %s", tc.method, tc.path, r.status, tc.admin, r.body)
		}
	}
	if err := adm.do(ctx, "GET", "/v1/wallets?limit=500", nil, &ws); err != nil {
		t.Fatal(err)
	}
	seen := map[common.Address]bool{}
	for _, w := range ws.Items {
		seen[w.Address] = true
	}
	if !seen[wa.Address] || !seen[wb.Address] {
		t.Errorf("admin's wallet list lacks A's or B's wallet")
	}
	if err := adm.do(ctx, "GET", "/v1/transactions?limit=500", nil, &txs); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, it := range txs.Items {
		ids[it.ID] = true
	}
	if !ids[txa.ID] || !ids[ma.TransactionID] || !ids[mb.TransactionID] {
		t.Errorf("admin's transaction list lacks A's or B's transactions")
	}
	if err := adm.do(ctx, "GET", "/v1/mints?limit=500", nil, &mints); err != nil {
		t.Fatal(err)
	}
	ids = map[string]bool{}
	for _, it := range mints.Items {
		ids[fmt.Sprint(it["id"])] = true
	}
	if !ids[ma.ID] || !ids[mb.ID] {
		t.Errorf("admin's mint list lacks A's or B's mint")
	}
	if err := adm.do(ctx, "GET", "/v1/mints?owner="+aID, nil, &mints); err != nil {
		t.Fatal(err)
	}
	if len(mints.Items) != 1 || mints.Items[0]["id"] != ma.ID {
		t.Errorf("admin's mint list of A: %v, want only %s", mints.Items, ma.ID)
	}
}

// TestMintListPages: a user's GET /v1/mints is exactly their mints, newest
// first, over pages, without the metadata; status and collection filter.
func TestMintListPages(t *testing.T) {
	cfg := devConfig(t, t.TempDir())
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := cfg.HTTP.PublicURL
	a, _, _ := signedIn(t, ctx, base)
	b, _, _ := signedIn(t, ctx, base)

	var mine []string // newest first
	for i := range 5 {
		var m mintResp
		if err := a.do(ctx, "POST", "/v1/collections/"+d.Demo.ID+"/mint", map[string]any{"metadata": map[string]any{"name": fmt.Sprint("A ", i)}}, &m); err != nil {
			t.Fatal(err)
		}
		mine = append([]string{m.ID}, mine...)
		if i == 1 { // someone else's mint in between
			if err := b.do(ctx, "POST", "/v1/collections/"+d.Demo.ID+"/mint", map[string]any{"metadata": map[string]any{"name": "B"}}, &m); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, id := range mine {
		waitMint(t, ctx, a, id)
	}
	type page struct {
		Items      []map[string]any
		NextCursor string `json:"next_cursor"`
	}
	list := func(q string) []string {
		t.Helper()
		var got []string
		cursor := ""
		for range 10 {
			var p page
			if err := a.do(ctx, "GET", "/v1/mints?limit=2"+q+"&cursor="+cursor, nil, &p); err != nil {
				t.Fatal(err)
			}
			if len(p.Items) > 2 {
				t.Fatalf("page of %d", len(p.Items))
			}
			for _, it := range p.Items {
				if _, ok := it["metadata"]; ok {
					t.Errorf("list item carries metadata: %v", it)
				}
				got = append(got, fmt.Sprint(it["id"]))
			}
			if p.NextCursor == "" {
				return got
			}
			cursor = p.NextCursor
		}
		t.Fatal("no last page")
		return nil
	}
	if got := list(""); fmt.Sprint(got) != fmt.Sprint(mine) {
		t.Errorf("A's mints %v, want %v", got, mine)
	}
	if got := list("&collection_id=" + d.Demo.ID + "&status=confirmed"); fmt.Sprint(got) != fmt.Sprint(mine) {
		t.Errorf("A's confirmed mints %v, want %v", got, mine)
	}
	if got := list("&status=failed"); len(got) != 0 {
		t.Errorf("A's failed mints %v, want none", got)
	}
	if got := list("&collection_id=col_missing"); len(got) != 0 {
		t.Errorf("A's mints of another collection %v, want none", got)
	}
}
