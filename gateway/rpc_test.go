package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/txm"
)

const nodeKey = "0123456789abcdef0123456789abcdef"

// fakeNode answers a few methods; "boom" fails with a message that names
// its own URL, API key included, as careless providers do.
func fakeNode(t *testing.T) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		answer := func(req map[string]any) map[string]any {
			out := map[string]any{"jsonrpc": "2.0", "id": req["id"]}
			switch req["method"] {
			case "eth_chainId":
				out["result"] = "0x539"
			case "eth_blockNumber":
				out["result"] = "0x10"
			case "boom":
				out["error"] = map[string]any{"code": -32000, "message": "bad request to " + srv.URL + "/v2/" + nodeKey, "data": "key " + nodeKey}
			default:
				out["error"] = map[string]any{"code": -32601, "message": "the method does not exist"}
			}
			return out
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(strings.TrimSpace(string(body)), "[") {
			var reqs []map[string]any
			_ = json.Unmarshal(body, &reqs)
			var outs []map[string]any
			for _, req := range reqs {
				outs = append(outs, answer(req))
			}
			_ = json.NewEncoder(w).Encode(outs)
			return
		}
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		_ = json.NewEncoder(w).Encode(answer(req))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func rpcServer(t *testing.T, nodeURL string, cfg RPCConfig) *httptest.Server {
	t.Helper()
	c, err := chain.Dial(context.Background(), 1337, []string{nodeURL})
	if err != nil {
		t.Fatal(err)
	}
	c.SetRetry(0, time.Millisecond)
	t.Cleanup(c.Close)
	m := txm.New(nil, nil, map[uint64]txm.ChainConfig{1337: {Client: c}}, nil)
	g, err := New(Deps{Txm: m}, Config{RPC: cfg, Redact: []string{nodeURL, nodeKey}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/rpc/{chain_id}", func(w http.ResponseWriter, r *http.Request) {
		var p *coffer.Principal
		if r.Header.Get("X-Test-Role") == "admin" {
			p = &coffer.Principal{Issuer: "apikey", Subject: "k", Roles: []string{coffer.RoleAdmin}}
		}
		if err := g.RPC(w, r.WithContext(coffer.NewContext(r.Context(), p))); err != nil {
			http.Error(w, coffer.ErrorMessage(err), coffer.HTTPStatus(coffer.ErrorCode(err)))
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestRPC(t *testing.T) {
	node := fakeNode(t)
	srv := rpcServer(t, node.URL, RPCConfig{MaxBatch: 3, GuestRateLimit: 1000, MaxBodyBytes: 200, AdminMethods: []string{"boom"}})
	url := srv.URL + "/v1/rpc/1337"
	for _, c := range []struct {
		body, role string
		status     int
		want       string
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`, "", 200, `{"jsonrpc":"2.0","id":1,"result":"0x539"}`},
		{`{"jsonrpc":"2.0","id":"a","method":"eth_blockNumber","params":[]}`, "", 200, `{"jsonrpc":"2.0","id":"a","result":"0x10"}`},
		{`[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},{"jsonrpc":"2.0","id":2,"method":"debug_traceTransaction"},{"jsonrpc":"2.0","id":3,"method":"eth_accounts"}]`, "", 200,
			`[{"jsonrpc":"2.0","id":1,"result":"0x10"},{"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"method debug_traceTransaction is not available through coffer"}},{"jsonrpc":"2.0","id":3,"error":{"code":4100,"message":"eth_accounts answers with your custodial wallet: sign in (Authorization: Bearer <token>)"}}]`},
		{`[1,2,3,4]`, "", 200, `"message":"batch of 4 calls; the limit is 3"`},
		{`[1]`, "", 200, `[{"jsonrpc":"2.0","id":null,"error":{"code":-32600`},
		{`{"jsonrpc":"2.0","method":"eth_blockNumber"}`, "", 204, ``}, // a notification
		{`{"jsonrpc":"2.0","id":{},"method":"eth_blockNumber"}`, "", 200, `"code":-32600`},
		{`{"jsonrpc":"2.0","id":1,"method":"boom"}`, "", 200, `"code":4100`},
		{`{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0","toBlock":"latest","blockHash":"0x00"}]}`, "", 200, `"code":-32602`},
		{`{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["` + strings.Repeat("x", 300) + `"]}`, "", 413, `"code":-32600`},
	} {
		status, body := post(t, url, c.body, "X-Test-Role", c.role)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s\n got %d %s\nwant %d %s", c.body, status, body, c.status, c.want)
		}
	}

	// A node's error passes through with its code, scrubbed of the URL and key.
	status, body := post(t, url, `{"jsonrpc":"2.0","id":1,"method":"boom"}`, "X-Test-Role", "admin")
	if status != 200 || !strings.Contains(body, `"code":-32000`) || strings.Contains(body, nodeKey) || strings.Contains(body, node.URL) {
		t.Errorf("node error: %d %s", status, body)
	}
	// A node that is down: no URL in the answer.
	node.Close()
	status, body = post(t, url, `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}`)
	if status != 200 || !strings.Contains(body, `"code":-32002`) || strings.Contains(body, node.URL) {
		t.Errorf("node down: %d %s", status, body)
	}
}

func TestRPCLogRangeAndRateLimit(t *testing.T) {
	node := fakeNode(t)
	srv := rpcServer(t, node.URL, RPCConfig{GuestRateLimit: 3, MaxLogBlocks: 16})
	url := srv.URL + "/v1/rpc/1337"
	// head is 0x10 = 16: 0x1..latest is 16 blocks, 0x0..latest 17.
	_, body := post(t, url, `{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0"}]}`)
	if !strings.Contains(body, `"code":-32005`) || !strings.Contains(body, "over 17 blocks") {
		t.Errorf("17 blocks: %s", body)
	}
	_, body = post(t, url, `{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x1"}]}`)
	if strings.Contains(body, "limit") {
		t.Errorf("16 blocks refused: %s", body)
	}
	// Three tokens spent above (the head lookup is coffer's own); the next is refused.
	status, body := post(t, url, `{"jsonrpc":"2.0","id":9,"method":"eth_chainId"}`)
	if status != 200 {
		t.Fatalf("third call: %d %s", status, body)
	}
	status, body = post(t, url, `{"jsonrpc":"2.0","id":9,"method":"eth_chainId"}`)
	if status != 429 || !strings.Contains(body, `"id":9,"error":{"code":-32005`) {
		t.Errorf("over the limit: %d %s", status, body)
	}
}

func TestCheckMethod(t *testing.T) {
	for _, c := range []struct {
		name, role string
		ok         bool
	}{
		{"eth_getProof", "guest", true}, {"debug_traceTransaction", "user", false}, {"debug_traceTransaction", "admin", true},
		{"eth_accounts", "admin", false}, {"bad name", "admin", false}, {"txpool_content", "guest", false},
	} {
		if err := CheckMethod(c.name, c.role); (err == nil) != c.ok {
			t.Errorf("CheckMethod(%s, %s) = %v", c.name, c.role, err)
		}
	}
}
