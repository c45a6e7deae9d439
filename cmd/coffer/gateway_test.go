package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/ethsign"
)

const proxySecret = "sk_test_gateway_0123456789"

// TestGatewayRPC drives POST /v1/rpc/{chain_id} with go-ethereum's own
// rpc/ethclient clients (and ethers v6, below) on the full dev stack.
func TestGatewayRPC(t *testing.T) {
	cfg := devConfig(t, t.TempDir())
	cfg.RPC.GuestRateLimit = 40
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	chainID := d.Chain.ChainID()
	url := cfg.HTTP.PublicURL + "/v1/rpc/" + big.NewInt(int64(chainID)).String()

	user, _, _ := signedIn(t, ctx, cfg.HTTP.PublicURL)
	rc, err := rpc.DialOptions(ctx, url, rpc.WithHeader("Authorization", "Bearer "+user.token))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ec := ethclient.NewClient(rc)

	id, err := ec.ChainID(ctx)
	if err != nil || id.Uint64() != chainID {
		t.Fatalf("eth_chainId: %v %v", id, err)
	}
	if _, err := ec.BlockNumber(ctx); err != nil {
		t.Fatalf("eth_blockNumber: %v", err)
	}

	// eth_accounts: the user's custodial wallet, default first.
	var accts []common.Address
	if err := rc.CallContext(ctx, &accts, "eth_accounts"); err != nil || len(accts) != 1 {
		t.Fatalf("eth_accounts: %v %v", accts, err)
	}
	var me struct {
		Wallets []struct{ Address common.Address }
	}
	if err := user.do(ctx, "GET", "/v1/me", nil, &me); err != nil || len(me.Wallets) != 1 || me.Wallets[0].Address != accts[0] {
		t.Fatalf("eth_accounts %v, /v1/me %+v %v", accts, me, err)
	}
	addr := accts[0]

	// personal_sign recovers to the wallet.
	var sig hexutil.Bytes
	msg := []byte("hello from the gateway")
	if err := rc.CallContext(ctx, &sig, "personal_sign", hexutil.Encode(msg), addr); err != nil {
		t.Fatalf("personal_sign: %v", err)
	}
	if !recovers(accounts.TextHash(msg), sig, addr) {
		t.Fatal("personal_sign signature does not recover to the wallet")
	}
	// eth_signTypedData_v4, as a JSON string like ethers and MetaMask send it.
	if err := rc.CallContext(ctx, &sig, "eth_signTypedData_v4", addr, typedDataDoc); err != nil {
		t.Fatalf("eth_signTypedData_v4: %v", err)
	}
	td, err := ethsign.ParseTypedData([]byte(typedDataDoc))
	if err != nil {
		t.Fatal(err)
	}
	digest, _, err := apitypes.TypedDataAndHash(td)
	if err != nil || !recovers(digest, sig, addr) {
		t.Fatalf("typed data signature does not recover to the wallet: %v", err)
	}
	// eth_sign signs raw hashes: refused for users by policy.raw_hash (admins).
	err = rc.CallContext(ctx, &sig, "eth_sign", addr, common.Hash{1}.Hex())
	wantCode(t, "eth_sign as a user", err, 4001)
	// Another user's wallet is not an account of this one.
	err = rc.CallContext(ctx, &sig, "personal_sign", "0x01", d.Platform.Address)
	wantCode(t, "personal_sign with the platform wallet", err, 4100)
	// Node internals are not available; unknown methods neither.
	err = rc.CallContext(ctx, nil, "debug_traceTransaction", common.Hash{}.Hex())
	wantCode(t, "debug_traceTransaction", err, -32601)
	err = rc.CallContext(ctx, nil, "admin_peers")
	wantCode(t, "admin_peers", err, -32601)
	// eth_getLogs over more than rpc.max_log_blocks.
	err = rc.CallContext(ctx, nil, "eth_getLogs", map[string]any{"fromBlock": "0x0", "toBlock": "0x100000"})
	wantCode(t, "eth_getLogs over 1M blocks", err, -32005)

	// Fund the wallet from the platform wallet through the admin API.
	admin := &client{base: cfg.HTTP.PublicURL, token: d.AdminKey, http: httpClient()}
	var queued struct{ ID string }
	if err := admin.do(ctx, "POST", "/v1/transactions", map[string]any{"chain_id": chainID, "from": d.Platform.Address.Hex(),
		"to": addr.Hex(), "value": "100000000000000000"}, &queued); err != nil {
		t.Fatal(err)
	}
	waitTx(t, ctx, admin, queued.ID, "confirmed")

	// eth_sendTransaction: a 0-value self-transfer, answered with its hash, mined.
	var hash common.Hash
	if err := rc.CallContext(ctx, &hash, "eth_sendTransaction", map[string]any{"from": addr, "to": addr, "value": "0x0"}); err != nil {
		t.Fatalf("eth_sendTransaction: %v", err)
	}
	rcpt := waitReceipt(t, ctx, ec, hash)
	if rcpt.Status != 1 {
		t.Fatalf("self-transfer receipt %+v", rcpt)
	}
	if tx, _, err := ec.TransactionByHash(ctx, hash); err != nil || *tx.To() != addr || tx.Value().Sign() != 0 {
		t.Fatalf("mined transaction %v %v", tx, err)
	}
	// eth_signTransaction: signed by the wallet, not sent.
	var raw hexutil.Bytes
	if err := rc.CallContext(ctx, &raw, "eth_signTransaction", map[string]any{"from": addr, "to": addr, "value": "0x1"}); err != nil {
		t.Fatalf("eth_signTransaction: %v", err)
	}
	if from, err := senderOf(raw, chainID); err != nil || from != addr {
		t.Fatalf("eth_signTransaction signed by %v (%v)", from, err)
	}

	// A batch of 3 goes out as one upstream batch.
	var bn, gp hexutil.Big
	var bal hexutil.Big
	batch := []rpc.BatchElem{
		{Method: "eth_blockNumber", Result: &bn},
		{Method: "eth_gasPrice", Result: &gp},
		{Method: "eth_getBalance", Args: []any{addr, "latest"}, Result: &bal},
	}
	if err := rc.BatchCallContext(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, e := range batch {
		if e.Error != nil {
			t.Fatalf("batch %s: %v", e.Method, e.Error)
		}
	}
	if bal.ToInt().Sign() <= 0 || bn.ToInt().Sign() <= 0 {
		t.Fatalf("batch answers: block %v balance %v", bn.ToInt(), bal.ToInt())
	}

	// A guest reads, but has no accounts (4100).
	guest, err := rpc.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer guest.Close()
	if _, err := ethclient.NewClient(guest).BalanceAt(ctx, addr, nil); err != nil {
		t.Fatalf("guest eth_getBalance: %v", err)
	}
	err = guest.CallContext(ctx, &accts, "eth_accounts")
	wantCode(t, "guest eth_accounts", err, 4100)
	err = guest.CallContext(ctx, &hash, "eth_sendTransaction", map[string]any{"to": addr})
	wantCode(t, "guest eth_sendTransaction", err, 4100)

	// Bad JSON-RPC is answered in JSON-RPC.
	for body, code := range map[string]int{
		`{`: -32700, `[]`: -32600, `{"jsonrpc":"1.0","id":1,"method":"eth_chainId"}`: -32600,
		`{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":{"a":1}}`: -32602,
	} {
		resp := postRPC(t, ctx, url, "", body)
		var e struct {
			Error struct{ Code int }
		}
		if json.Unmarshal(resp.body, &e) != nil || e.Error.Code != code || resp.status != 200 {
			t.Errorf("%s: %d %s, want code %d", body, resp.status, resp.body, code)
		}
	}
	// An unknown chain is an API 404.
	if resp := postRPC(t, ctx, cfg.HTTP.PublicURL+"/v1/rpc/999999", "", `{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`); resp.status != 404 {
		t.Errorf("unknown chain: %d %s", resp.status, resp.body)
	}

	// ethers v6 against the same endpoint.
	t.Run("ethers", func(t *testing.T) { runEthers(t, ctx, url, user.token, chainID, addr) })

	// The guest rate limit: HTTP 429, Retry-After, JSON-RPC -32005.
	var limited apiResp
	for i := 0; i < 100 && limited.status == 0; i++ {
		if r := postRPC(t, ctx, url, "", `{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber"}`); r.status != 200 {
			limited = r
		}
	}
	var e struct {
		ID    int
		Error struct{ Code int }
	}
	if limited.status != 429 || limited.header.Get("Retry-After") == "" || json.Unmarshal(limited.body, &e) != nil || e.Error.Code != -32005 || e.ID != 7 {
		t.Fatalf("rate limit answer: %d %v %s", limited.status, limited.header, limited.body)
	}
	// A signed-in caller has a bucket of their own.
	if _, err := ec.BlockNumber(ctx); err != nil {
		t.Fatalf("user limited by the guests' bucket: %v", err)
	}
}

// TestGatewayProxy: a configured proxy route on the full stack, its secret
// from the environment.
func TestGatewayProxy(t *testing.T) {
	var mu sync.Mutex
	var seen []*http.Request
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(context.Background()))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"echo":"`+r.Header.Get("X-Api-Key")+`"}`)
	}))
	defer up.Close()
	t.Setenv("COFFER_TEST_PROXY_KEY", proxySecret)
	cfg := devConfig(t, t.TempDir())
	cfg.Proxy.Routes = []config.ProxyRoute{{Name: "nfts", Upstream: up.URL + "/api", AllowPaths: []string{"/v3/nfts/**"},
		Headers: map[string]string{"x-api-key": "env:COFFER_TEST_PROXY_KEY"}, Roles: []string{"user"}}}
	d := startTestDev(t, cfg)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	user, _, _ := signedIn(t, ctx, cfg.HTTP.PublicURL)
	r := call(t, ctx, user, "GET", "/v1/proxy/nfts/v3/nfts/0xabc?limit=2", nil)
	if r.status != 200 || strings.Contains(string(r.body), proxySecret) || !strings.Contains(string(r.body), `"echo":"***"`) {
		t.Fatalf("proxied answer: %d %s", r.status, r.body)
	}
	mu.Lock()
	got := seen[len(seen)-1]
	mu.Unlock()
	if got.URL.Path != "/api/v3/nfts/0xabc" || got.URL.Query().Get("limit") != "2" || got.Header.Get("X-Api-Key") != proxySecret ||
		got.Header.Get("Authorization") != "" {
		t.Fatalf("upstream got %s %v", got.URL, got.Header)
	}
	n := len(seen)
	for _, c := range []struct {
		who    *client
		path   string
		status int
	}{
		{user, "/v1/proxy/nfts/v3/keys", 403},
		{user, "/v1/proxy/nfts/v3/nfts/%2e%2e/%2e%2e/keys", 400},
		{&client{base: cfg.HTTP.PublicURL, http: httpClient()}, "/v1/proxy/nfts/v3/nfts/0xabc", 401},
		{&client{base: cfg.HTTP.PublicURL, token: d.AdminKey, http: httpClient()}, "/v1/proxy/nfts/v3/nfts/0xabc", 403},
		{user, "/v1/proxy/other/x", 404},
	} {
		if r := call(t, ctx, c.who, "GET", c.path, nil); r.status != c.status || strings.Contains(string(r.body), proxySecret) {
			t.Errorf("GET %s: %d %s, want %d", c.path, r.status, r.body, c.status)
		}
	}
	if len(seen) != n {
		t.Fatal("a refused request reached the upstream")
	}
}

func recovers(digest, sig []byte, addr common.Address) bool {
	if len(sig) != 65 {
		return false
	}
	s := append([]byte(nil), sig...)
	if s[64] >= 27 {
		s[64] -= 27
	}
	pub, err := crypto.SigToPub(digest, s)
	return err == nil && crypto.PubkeyToAddress(*pub) == addr
}

func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	var re rpc.Error
	if !errors.As(err, &re) || re.ErrorCode() != code {
		t.Errorf("%s: %v, want JSON-RPC error %d", what, err, code)
	}
}

func postRPC(t *testing.T, ctx context.Context, url, token, body string) apiResp {
	t.Helper()
	c := &client{base: url, token: token, http: httpClient()}
	return call(t, ctx, c, "POST", "", body)
}

func waitReceipt(t *testing.T, ctx context.Context, ec *ethclient.Client, h common.Hash) *types.Receipt {
	t.Helper()
	for {
		r, err := ec.TransactionReceipt(ctx, h)
		if err == nil {
			return r
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			t.Fatalf("transaction %s never mined: %v", h, err)
		}
	}
}

// runEthers runs a script with ethers v6 (npm) against the endpoint. Without
// node or the package it is skipped, unless CI=true.
func runEthers(t *testing.T, ctx context.Context, url, token string, chainID uint64, addr common.Address) {
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	if _, err := exec.LookPath("node"); err != nil {
		skip("node not installed: %v", err)
	}
	dir := os.Getenv("COFFER_TEST_ETHERS_DIR") // a directory with node_modules/ethers, to skip the install
	if dir == "" {
		dir = t.TempDir()
		cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--silent", "ethers@6.17.0")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			skip("npm install ethers@6.17.0: %v\n%s", err, out)
		}
	}
	script := filepath.Join(dir, "gateway.mjs")
	if err := os.WriteFile(script, []byte(ethersScript), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "node", script, url, token, big.NewInt(int64(chainID)).String())
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ethers script: %v\n%s%s", err, out, ee.Stderr)
		}
		t.Fatal(err)
	}
	var res struct {
		ChainID        string `json:"chainId"`
		BlockNumber    int64  `json:"blockNumber"`
		Address        common.Address
		Recovered      common.Address
		TypedRecovered common.Address `json:"typedRecovered"`
		TxHash         common.Hash    `json:"txHash"`
		Status         int
		GuestError     string `json:"guestError"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("ethers script printed %s: %v", out, err)
	}
	if res.ChainID != hexutil.EncodeUint64(chainID) || res.BlockNumber <= 0 || res.Address != addr || res.Recovered != addr ||
		res.TypedRecovered != addr || res.Status != 1 || res.TxHash == (common.Hash{}) {
		t.Fatalf("ethers: %s", out)
	}
	if !strings.Contains(res.GuestError, "4100") {
		t.Errorf("ethers guest eth_accounts: %s", res.GuestError)
	}
}

const ethersScript = `
import { ethers } from "ethers";

const [url, token, chainId] = process.argv.slice(2);
const req = new ethers.FetchRequest(url);
req.setHeader("Authorization", "Bearer " + token);
const provider = new ethers.JsonRpcProvider(req, Number(chainId), { staticNetwork: true });

const out = {};
out.chainId = await provider.send("eth_chainId", []);
out.blockNumber = await provider.getBlockNumber();
const [signer] = await provider.listAccounts();
out.address = await signer.getAddress();

const sig = await signer.signMessage("hello coffer");
out.recovered = ethers.verifyMessage("hello coffer", sig);

const domain = { name: "Coffer Test", version: "1", chainId: Number(chainId), verifyingContract: "0x000000000000000000000000000000000000c0ff" };
const types = { Mail: [{ name: "to", type: "address" }, { name: "contents", type: "string" }] };
const value = { to: out.address, contents: "hi" };
out.typedRecovered = ethers.verifyTypedData(domain, types, value, await signer.signTypedData(domain, types, value));

const tx = await signer.sendTransaction({ to: out.address, value: 0n });
out.txHash = tx.hash;
const rcpt = await tx.wait(1, 60000);
out.status = rcpt.status;

const guest = new ethers.JsonRpcProvider(url, Number(chainId), { staticNetwork: true });
try {
	await guest.send("eth_accounts", []);
	out.guestError = "none";
} catch (e) {
	out.guestError = String(e.error?.code ?? e.code) + " " + (e.error?.message ?? e.message);
}
guest.destroy();
provider.destroy();
console.log(JSON.stringify(out));
`

func senderOf(raw []byte, chainID uint64) (common.Address, error) {
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return common.Address{}, err
	}
	return types.Sender(types.LatestSignerForChainID(new(big.Int).SetUint64(chainID)), tx)
}
