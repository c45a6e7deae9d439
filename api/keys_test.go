package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/keys/local"
	"github.com/cofferhq/coffer/policy"
	"github.com/cofferhq/coffer/store/sqlite"
	"github.com/cofferhq/coffer/store/sqlstore"
)

// custodyEnv is an API server over SQLite, the local backend and custody,
// with every log line and response body kept for scanning.
type custodyEnv struct {
	t       *testing.T
	st      *sqlstore.DB
	local   *local.Backend
	custody *custody.Service
	srv     *Server
	logs    *bytes.Buffer
	seen    bytes.Buffer // every response body
	admin   *coffer.Principal
	user    *coffer.Principal
	other   *coffer.Principal
	master  string // hex of the master key
}

func newCustodyEnv(t *testing.T, global coffer.Policy) *custodyEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "coffer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var mk [32]byte
	rand.Read(mk[:])
	e := &custodyEnv{t: t, st: st, logs: &bytes.Buffer{}, master: hex.EncodeToString(mk[:])}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.local = local.New(st, local.NewStaticMaster(mk))
	e.custody, err = custody.New(st, []coffer.KeyBackend{e.local}, coffer.BackendLocal, log)
	if err != nil {
		t.Fatal(err)
	}
	pe := policy.New(global, st)
	pe.SetCacheTTL(0)
	e.custody.SetPolicy(pe)
	e.srv = New(Deps{Store: st, Custody: e.custody, Log: log}, Config{})
	for _, id := range []string{"u1", "u2"} {
		if err := st.CreateUser(ctx, &coffer.User{ID: id, Issuer: "test", Subject: id, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	e.admin = &coffer.Principal{Issuer: "apikey", Subject: "ops", Roles: []string{coffer.RoleAdmin}}
	e.user = &coffer.Principal{UserID: "u1", Issuer: "test", Subject: "u1", Roles: []string{coffer.RoleUser}}
	e.other = &coffer.Principal{UserID: "u2", Issuer: "test", Subject: "u2", Roles: []string{coffer.RoleUser}}
	return e
}

// do sends a request as p and decodes the JSON answer into out (when not nil).
func (e *custodyEnv) do(p *coffer.Principal, method, path string, body any, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, path, rd)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if p != nil {
		r = r.WithContext(coffer.NewContext(r.Context(), p))
	}
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	e.seen.Write(w.Body.Bytes())
	for k, v := range w.Header() {
		fmt.Fprintln(&e.seen, k, v)
	}
	if out != nil {
		if err := json.Unmarshal(w.Body.Bytes(), out); err != nil {
			e.t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
	}
	return w.Code
}

type apiErr struct {
	Error struct{ Code, Message string } `json:"error"`
}

func (e *custodyEnv) wantErr(p *coffer.Principal, method, path string, body any, status int, msg string) {
	e.t.Helper()
	var ae apiErr
	if got := e.do(p, method, path, body, &ae); got != status || !strings.Contains(ae.Error.Message, msg) {
		e.t.Fatalf("%s %s: %d %q, want %d containing %q", method, path, got, ae.Error.Message, status, msg)
	}
}

func (e *custodyEnv) wallet(owner string) *coffer.Wallet {
	e.t.Helper()
	w, err := e.custody.CreateWallet(context.Background(), owner, "", "")
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

func (e *custodyEnv) audit(query string) []map[string]any {
	e.t.Helper()
	var pg struct {
		Items []map[string]any `json:"items"`
	}
	if code := e.do(e.admin, "GET", "/v1/audit"+query, nil, &pg); code != 200 {
		e.t.Fatalf("audit %s: %d", query, code)
	}
	return pg.Items
}

var aHash = map[string]string{"hash": "0x" + strings.Repeat("ab", 32)}

func TestDisableEnable(t *testing.T) {
	e := newCustodyEnv(t, coffer.Policy{})
	w := e.wallet("u1")
	base := "/v1/wallets/" + w.Address.Hex()
	msg := map[string]string{"message": "hi"}
	if code := e.do(e.user, "POST", base+"/sign-message", msg, nil); code != 200 {
		t.Fatalf("sign: %d", code)
	}
	e.wantErr(e.user, "POST", base+"/disable", nil, 403, "admin")
	var v walletView
	if code := e.do(e.admin, "POST", base+"/disable", nil, &v); code != 200 || !v.Disabled {
		t.Fatalf("disable: %d %+v", code, v)
	}
	e.wantErr(e.user, "POST", base+"/sign-message", msg, 403, "is disabled")
	e.wantErr(e.admin, "POST", base+"/sign-hash", aHash, 403, "is disabled")
	if code := e.do(e.admin, "POST", base+"/enable", nil, &v); code != 200 || v.Disabled {
		t.Fatalf("enable: %d %+v", code, v)
	}
	if code := e.do(e.user, "POST", base+"/sign-message", msg, nil); code != 200 {
		t.Fatalf("sign after enable: %d", code)
	}
	e.wantErr(e.admin, "POST", "/v1/wallets/0x00000000000000000000000000000000000000ff/disable", nil, 404, "not found")
	var kinds []string
	for _, r := range e.audit("?wallet=" + w.Address.Hex()) {
		kinds = append(kinds, fmt.Sprint(r["kind"], " ", r["outcome"]))
	}
	want := []string{"message allowed", "enable allowed", "hash refused: wallet " + w.Address.Hex() + " is disabled",
		"message refused: wallet " + w.Address.Hex() + " is disabled", "disable allowed", "message allowed"}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("audit:\n%q\nwant\n%q", kinds, want)
	}
}

func TestPolicyAPI(t *testing.T) {
	e := newCustodyEnv(t, coffer.Policy{ChainIDs: []uint64{1}})
	w := e.wallet("u1")
	base := "/v1/wallets/" + w.Address.Hex()
	e.wantErr(e.user, "POST", base+"/sign-hash", aHash, 403, "policy raw_hash: raw hash signing is reserved to admins for wallet "+w.Address.Hex())
	e.wantErr(e.user, "GET", base+"/policy", nil, 403, "admin")
	e.wantErr(e.user, "PUT", base+"/policy", map[string]any{"raw_hash": "owners"}, 403, "admin")

	var got struct {
		Wallet    string         `json:"wallet"`
		Policy    map[string]any `json:"policy"`
		Effective map[string]any `json:"effective"`
	}
	body := map[string]any{"raw_hash": "owners", "max_value_per_tx": "1000", "to": []string{}, "typed_data_domains": []map[string]any{{"name": "Ether Mail", "chain_id": 1}}}
	if code := e.do(e.admin, "PUT", base+"/policy", body, &got); code != 200 {
		t.Fatalf("put policy: %d", code)
	}
	if got.Wallet != w.Address.Hex() || got.Policy["raw_hash"] != "owners" || got.Policy["max_value_per_tx"] != "1000" ||
		fmt.Sprint(got.Policy["to"]) != "[]" || got.Policy["chain_ids"] != nil || fmt.Sprint(got.Effective["chain_ids"]) != "[1]" {
		t.Fatalf("policy answer %+v", got)
	}
	if code := e.do(e.user, "POST", base+"/sign-hash", aHash, nil); code != 200 {
		t.Fatalf("owner sign-hash under raw_hash owners: %d", code)
	}
	td := func(name string, chain int) map[string]any {
		return map[string]any{"typed_data": map[string]any{
			"types":       map[string]any{"EIP712Domain": []map[string]string{{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}}, "M": []map[string]string{{"name": "x", "type": "uint256"}}},
			"primaryType": "M", "domain": map[string]any{"name": name, "chainId": chain}, "message": map[string]any{"x": "1"},
		}}
	}
	if code := e.do(e.user, "POST", base+"/sign-typed-data", td("Ether Mail", 1), nil); code != 200 {
		t.Fatalf("allowed typed data: %d", code)
	}
	e.wantErr(e.user, "POST", base+"/sign-typed-data", td("Permit2", 1), 403, `policy typed_data_domains: domain {name="Permit2", chainId=1} is not allowed`)
	e.wantErr(e.user, "POST", base+"/sign-typed-data", td("Ether Mail", 5), 403, "policy chain_ids: typed data for chain 5 is not allowed (allowed: 1)")

	if code := e.do(e.admin, "PUT", base+"/policy", map[string]any{"raw_hash": "off"}, nil); code != 200 {
		t.Fatal("put raw_hash off")
	}
	e.wantErr(e.admin, "POST", base+"/sign-hash", aHash, 403, "policy raw_hash: raw hash signing is off")
	for _, bad := range []map[string]any{{"raw_hash": "maybe"}, {"max_value_per_day": "-5"}, {"to": []string{"0x12"}}, {"typed_data_domains": []map[string]any{{}}}, {"nope": 1}} {
		if code := e.do(e.admin, "PUT", base+"/policy", bad, nil); code != 400 {
			t.Errorf("policy %v: %d, want 400", bad, code)
		}
	}
	// {} removes the wallet's policy: back to the global one.
	got.Policy, got.Effective = nil, nil
	if code := e.do(e.admin, "PUT", base+"/policy", map[string]any{}, &got); code != 200 || len(got.Policy) != 0 || got.Effective["raw_hash"] != nil {
		t.Fatalf("remove policy: %+v", got)
	}
	refusals := e.audit("?outcome=refused&kind=typed_data")
	if len(refusals) != 2 || !strings.HasPrefix(refusals[0]["outcome"].(string), "refused: policy chain_ids: ") {
		t.Fatalf("audited refusals %v", refusals)
	}
	if n := len(e.audit("?kind=policy")); n != 3 {
		t.Fatalf("%d policy changes audited, want 3", n)
	}
}

func TestExport(t *testing.T) {
	e := newCustodyEnv(t, coffer.Policy{})
	w := e.wallet("u1")
	path := "/v1/wallets/" + w.Address.Hex() + "/export"
	e.wantErr(e.admin, "POST", path, nil, 403, "key export is disabled on this server (keys.allow_export)")
	e.custody.SetAllowExport(true)
	e.wantErr(e.user, "POST", path, nil, 403, "admin")
	var out struct {
		Address    string `json:"address"`
		PrivateKey string `json:"private_key"`
	}
	if code := e.do(e.admin, "POST", path, nil, &out); code != 200 {
		t.Fatalf("export: %d", code)
	}
	k, err := crypto.HexToECDSA(strings.TrimPrefix(out.PrivateKey, "0x"))
	if err != nil || crypto.PubkeyToAddress(k.PublicKey) != w.Address || out.Address != w.Address.Hex() {
		t.Fatalf("exported key does not belong to %s", w.Address.Hex())
	}
	var outcomes []string
	for _, r := range e.audit("?kind=export") {
		outcomes = append(outcomes, r["outcome"].(string))
	}
	if fmt.Sprint(outcomes) != fmt.Sprint([]string{"allowed", "refused: key export is disabled on this server (keys.allow_export)"}) {
		t.Fatalf("export audit %q", outcomes)
	}
}

func TestAuditFiltersAndPagination(t *testing.T) {
	e := newCustodyEnv(t, coffer.Policy{})
	w1, w2 := e.wallet("u1"), e.wallet("u2")
	start := time.Now().UTC().Add(-time.Second)
	for i := range 7 {
		e.do(e.user, "POST", "/v1/wallets/"+w1.Address.Hex()+"/sign-message", map[string]string{"message": fmt.Sprint(i)}, nil)
	}
	for range 3 {
		e.do(e.other, "POST", "/v1/wallets/"+w2.Address.Hex()+"/sign-hash", aHash, nil) // refused: admins only
	}
	e.do(e.admin, "POST", "/v1/wallets/"+w2.Address.Hex()+"/sign-hash", aHash, nil)
	var seqs []float64
	cursor := ""
	for page := 0; ; page++ {
		var pg struct {
			Items      []map[string]any `json:"items"`
			NextCursor string           `json:"next_cursor"`
		}
		if code := e.do(e.admin, "GET", "/v1/audit?limit=3&cursor="+cursor, nil, &pg); code != 200 || page > 10 {
			t.Fatalf("page %d: %d", page, code)
		}
		for _, r := range pg.Items {
			seqs = append(seqs, r["seq"].(float64))
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if fmt.Sprint(seqs) != "[11 10 9 8 7 6 5 4 3 2 1]" {
		t.Fatalf("pages: %v", seqs)
	}
	count := func(q string) int { return len(e.audit(q)) }
	for q, want := range map[string]int{
		"?wallet=" + w1.Address.Hex(): 7, "?principal=user:u2": 3, "?kind=hash": 4, "?kind=hash&outcome=allowed": 1,
		"?outcome=refused": 3, "?outcome=error": 0, "?since=" + start.Format(time.RFC3339): 11,
		"?until=" + start.Format(time.RFC3339): 0, "?until=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + "&principal=apikey:ops": 1,
	} {
		if got := count(q); got != want {
			t.Errorf("audit%s: %d records, want %d", q, got, want)
		}
	}
	for _, q := range []string{"?outcome=maybe", "?until=yesterday", "?limit=0", "?cursor=zz", "?wallet=0x12"} {
		if code := e.do(e.admin, "GET", "/v1/audit"+q, nil, nil); code != 400 {
			t.Errorf("audit%s: %d, want 400", q, code)
		}
	}
	e.wantErr(e.user, "GET", "/v1/audit", nil, 403, "")
}

// TestNoKeyMaterialInLogsErrorsOrResponses drives signing, refusals, import,
// export refusals and failures with every log line and response kept, then
// looks for the private keys (and the master key) anywhere in them.
func TestNoKeyMaterialInLogsErrorsOrResponses(t *testing.T) {
	e := newCustodyEnv(t, coffer.Policy{MaxValuePerTx: common.Big1})
	ctx := context.Background()
	var secrets []string
	var errs bytes.Buffer
	note := func(err error) {
		if err != nil {
			fmt.Fprintln(&errs, err.Error(), coffer.ErrorMessage(err))
		}
	}

	// An imported key (the hex an operator would paste) and created ones.
	imported, _ := crypto.GenerateKey()
	secrets = append(secrets, hex.EncodeToString(crypto.FromECDSA(imported)))
	rec, err := e.local.ImportKey(ctx, imported)
	note(err)
	wi, err := e.custody.AdoptKey(ctx, rec, "u1", "imported")
	note(err)
	_, err = e.custody.AdoptKey(ctx, rec, "u1", "again") // a duplicate: an error path
	note(err)
	w := e.wallet("u1")
	for _, wal := range []*coffer.Wallet{wi, w} {
		k, err := e.local.ExportKey(ctx, wal.KeyID) // the test's own knowledge, never logged
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, hex.EncodeToString(crypto.FromECDSA(k)))
	}
	secrets = append(secrets, e.master)

	for _, wal := range []*coffer.Wallet{wi, w} {
		base := "/v1/wallets/" + wal.Address.Hex()
		e.do(e.user, "POST", base+"/sign-message", map[string]string{"message": "hello"}, nil)
		e.do(e.user, "POST", base+"/sign-message", map[string]string{"message_hex": "0xzz"}, nil)
		e.do(e.user, "POST", base+"/sign-hash", aHash, nil)
		e.do(e.admin, "POST", base+"/sign-hash", aHash, nil)
		e.do(e.admin, "POST", base+"/sign-hash", map[string]string{"hash": "0x1234"}, nil)
		e.do(e.user, "POST", base+"/sign-typed-data", map[string]any{"typed_data": map[string]any{"types": 1}}, nil)
		e.do(e.admin, "POST", base+"/export", nil, nil) // refused: keys.allow_export is off
		e.do(e.user, "POST", base+"/export", nil, nil)
		e.do(e.other, "POST", base+"/sign-message", map[string]string{"message": "not mine"}, nil)
		e.do(e.admin, "POST", base+"/disable", nil, nil)
		e.do(e.user, "POST", base+"/sign-message", map[string]string{"message": "disabled"}, nil)
		e.do(e.admin, "POST", base+"/enable", nil, nil)
		e.do(e.admin, "PUT", base+"/policy", map[string]any{"raw_hash": "bogus"}, nil)
		e.do(e.admin, "GET", base+"/policy", nil, nil)
		_, err := e.custody.SignTransaction(ctx, e.user, wal.Address, txTo(wal.Address, 5), big1337)
		note(err) // refused by max_value_per_tx
	}
	// A backend that cannot open the keys (wrong master) fails internally.
	var other [32]byte
	rand.Read(other[:])
	broken, err := custody.New(e.st, []coffer.KeyBackend{local.New(e.st, local.NewStaticMaster(other))}, coffer.BackendLocal, slog.New(slog.NewTextHandler(e.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = broken.SignMessage(ctx, e.user, w.Address, []byte("x"))
	note(err)
	if err == nil {
		t.Fatal("signing with the wrong master key worked")
	}
	e.do(e.admin, "GET", "/v1/audit?limit=500", nil, nil)
	e.do(e.admin, "GET", "/v1/wallets", nil, nil)

	haystack := strings.ToLower(e.logs.String() + e.seen.String() + errs.String())
	if e.logs.Len() == 0 || e.seen.Len() == 0 || errs.Len() == 0 {
		t.Fatal("nothing was captured")
	}
	for i, s := range secrets {
		if strings.Contains(haystack, s) || strings.Contains(haystack, s[:16]) {
			t.Errorf("secret %d appears in logs, errors or responses", i)
		}
	}
}

var big1337 = new(big.Int).SetUint64(1337)

func txTo(to common.Address, value int64) *types.Transaction {
	return types.NewTx(&types.DynamicFeeTx{ChainID: big1337, Nonce: 0, GasTipCap: common.Big1, GasFeeCap: common.Big2, Gas: 21000, To: &to, Value: big.NewInt(value)})
}
