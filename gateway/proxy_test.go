package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

// recorder is a third-party API that records what reaches it.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, r.Clone(r.Context()))
	rc.mu.Unlock()
	w.Header().Set("Set-Cookie", "upstream=1")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("X-Echo-Key", r.Header.Get("X-Api-Key"))
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/big") {
		w.Write([]byte(strings.Repeat("x", 2048)))
		return
	}
	// A careless API that echoes the key it was given.
	io.WriteString(w, `{"path":"`+r.URL.Path+`","query":"`+r.URL.RawQuery+`","key":"`+r.Header.Get("X-Api-Key")+`"}`)
}

func (rc *recorder) last() *http.Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.reqs) == 0 {
		return nil
	}
	return rc.reqs[len(rc.reqs)-1]
}

func (rc *recorder) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

const secret = "sk_live_0123456789abcdef"

// proxyServer mounts the gateway like the API does: X-Test-Role stands for
// the authenticated principal, errors are written with their status.
func proxyServer(t *testing.T, routes ...Route) *httptest.Server {
	t.Helper()
	g, err := New(Deps{}, Config{Proxy: routes})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/proxy/{name}/{path...}", func(w http.ResponseWriter, r *http.Request) {
		var p *coffer.Principal
		switch r.Header.Get("X-Test-Role") {
		case "user":
			p = &coffer.Principal{UserID: "u1", Roles: []string{coffer.RoleUser}}
		case "admin":
			p = &coffer.Principal{Issuer: "apikey", Subject: "k1", Roles: []string{coffer.RoleAdmin}}
		}
		r = r.WithContext(coffer.NewContext(coffer.WithRequestID(r.Context(), "req_test"), p))
		if err := g.Proxy(w, r); err != nil {
			http.Error(w, coffer.ErrorCode(err)+": "+coffer.ErrorMessage(err), coffer.HTTPStatus(coffer.ErrorCode(err)))
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	status int
	header http.Header
	body   string
}

func send(t *testing.T, method, url, role string, hdr ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Some cases need the raw path exactly as written.
	if i := strings.Index(url, "/v1/proxy/"); i >= 0 {
		req.URL.Opaque = "//" + req.URL.Host + strings.SplitN(url[i:], "?", 2)[0]
	}
	if role != "" {
		req.Header.Set("X-Test-Role", role)
	}
	req.Header.Set("Authorization", "Bearer coffer-token-must-not-leak")
	req.Header.Set("Cookie", "session=abc")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func TestProxy(t *testing.T) {
	up := &recorder{}
	upstream := httptest.NewServer(up)
	defer upstream.Close()
	srv := proxyServer(t,
		Route{Name: "nfts", Upstream: upstream.URL + "/base/", AllowPaths: []string{"/v3/nfts/**", "/v3/collections/*", "/big"},
			Headers: map[string]string{"x-api-key": secret}, Query: map[string]string{"apikey": secret},
			Roles: []string{"user", "admin"}, RateLimit: 100, MaxResponseBytes: 1024},
		Route{Name: "public", Upstream: upstream.URL, AllowPaths: []string{"/prices/*"}, Roles: []string{"guest", "user"}, RateLimit: 3},
	)

	// Allowed: forwarded with the secret injected, the client's credentials stripped.
	a := send(t, "GET", srv.URL+"/v1/proxy/nfts/v3/nfts/0xabc/1?owner=me&apikey=mine", "user", "X-Api-Key", "client-supplied",
		"X-Forwarded-For", "6.6.6.6", "Connection", "X-Hop", "X-Hop", "1", "X-Custom", "kept")
	if a.status != 200 {
		t.Fatalf("allowed path: %d %s", a.status, a.body)
	}
	got := up.last()
	if got.URL.Path != "/base/v3/nfts/0xabc/1" {
		t.Errorf("upstream path %q", got.URL.Path)
	}
	if got.Header.Get("X-Api-Key") != secret || got.URL.Query().Get("apikey") != secret || got.URL.Query()["apikey"][0] != secret ||
		len(got.URL.Query()["apikey"]) != 1 || got.URL.Query().Get("owner") != "me" {
		t.Errorf("upstream got key %q query %q", got.Header.Get("X-Api-Key"), got.URL.RawQuery)
	}
	for _, h := range []string{"Authorization", "Cookie", "X-Forwarded-For", "X-Hop"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("upstream got %s: %q", h, v)
		}
	}
	if got.Header.Get("X-Custom") != "kept" || got.Header.Get("X-Request-Id") != "req_test" {
		t.Errorf("upstream headers %v", got.Header)
	}
	// The secret never comes back, even from an API that echoes it.
	if strings.Contains(a.body, secret) || strings.Contains(a.header.Get("X-Echo-Key"), secret) || !strings.Contains(a.body, `"key":"***"`) {
		t.Errorf("answer leaks the secret: %v %s", a.header, a.body)
	}
	if a.header.Get("Set-Cookie") != "" || a.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("upstream cookies or CORS reached the client: %v", a.header)
	}

	// Refusals never reach the upstream.
	n := up.count()
	for _, c := range []struct {
		method, path, role string
		status             int
	}{
		{"GET", "/v1/proxy/nfts/v3/admin/keys", "user", 403},
		{"GET", "/v1/proxy/nfts/v3/collections/a/b", "user", 403},
		{"GET", "/v1/proxy/nfts/v3/nfts", "user", 403}, // ** needs one more segment
		{"GET", "/v1/proxy/nfts/v3/nfts/%2e%2e/%2e%2e/admin", "user", 400},
		{"GET", "/v1/proxy/nfts/v3/nfts/%2E%2E%2Fadmin", "user", 400},
		{"GET", "/v1/proxy/nfts/v3/nfts/..%2fadmin", "user", 400},
		{"GET", "/v1/proxy/nfts/v3/nfts/%252e%252e/admin", "user", 400},
		{"GET", "/v1/proxy/nfts/v3/nfts/..%5cadmin", "user", 400},
		{"GET", "/v1/proxy/nfts/v3/nfts/x//admin", "user", 307}, // the mux cleans it first
		{"GET", "/v1/proxy/nfts/v3/nfts/a%00b", "user", 400},
		{"GET", "/v1/proxy/nfts/v3/nfts/0xabc", "", 401},      // guest on a user route
		{"POST", "/v1/proxy/nfts/v3/nfts/0xabc", "user", 403}, // method
		{"GET", "/v1/proxy/public/prices/eth", "admin", 403},  // role
		{"GET", "/v1/proxy/nope/x", "user", 404},
	} {
		a := send(t, c.method, srv.URL+c.path, c.role)
		if a.status != c.status {
			t.Errorf("%s %s as %q: %d %s, want %d", c.method, c.path, c.role, a.status, a.body, c.status)
		}
		if strings.Contains(a.body, secret) {
			t.Errorf("%s leaks the secret", c.path)
		}
	}
	// Literal ../ is cleaned by the mux before any handler: a redirect inside coffer.
	if a := send(t, "GET", srv.URL+"/v1/proxy/nfts/v3/nfts/../../admin", "user"); a.status < 300 || a.status == 200 {
		t.Errorf("literal traversal: %d", a.status)
	}
	if up.count() != n {
		t.Fatalf("refused requests reached the upstream: %d", up.count()-n)
	}

	// Too large an answer is refused.
	if a := send(t, "GET", srv.URL+"/v1/proxy/nfts/big", "user"); a.status != 503 || strings.Contains(a.body, "xxxx") {
		t.Errorf("large answer: %d %.100s", a.status, a.body)
	}

	// Guests may call the public route, within its rate limit.
	var last answer
	for range 4 {
		last = send(t, "GET", srv.URL+"/v1/proxy/public/prices/eth", "")
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" {
		t.Errorf("fourth call over a limit of 3: %d %v", last.status, last.header)
	}
	if a := send(t, "GET", srv.URL+"/v1/proxy/public/prices/eth", "user"); a.status != 200 {
		t.Errorf("a user has their own bucket: %d", a.status)
	}
}

func TestProxyRouteConfig(t *testing.T) {
	for _, rt := range []Route{
		{Name: "Bad Name", Upstream: "https://x", AllowPaths: []string{"/a"}},
		{Name: "a", Upstream: "ftp://x", AllowPaths: []string{"/a"}},
		{Name: "a", Upstream: "https://x"},
		{Name: "a", Upstream: "https://x", AllowPaths: []string{"/a/../b"}},
		{Name: "a", Upstream: "https://x", AllowPaths: []string{"/**/b"}},
		{Name: "a", Upstream: "https://x", AllowPaths: []string{"/a"}, Headers: map[string]string{"Cookie": "x"}},
		{Name: "a", Upstream: "https://x", AllowPaths: []string{"/a"}, Roles: []string{"root"}},
		{Name: "a", Upstream: "https://x", AllowPaths: []string{"/a"}, Methods: []string{"CONNECT"}},
	} {
		if err := CheckRoute(rt); err == nil {
			t.Errorf("accepted %+v", rt)
		}
	}
	if err := CheckRoute(Route{Name: "a", Upstream: "https://x", AllowPaths: []string{"/a/*/b/**"}, Headers: map[string]string{"Authorization": "Bearer k"}}); err != nil {
		t.Error(err)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(60)
	l.now = func() time.Time { return now }
	if ok, _ := l.take("a", 60); !ok {
		t.Fatal("full bucket refused")
	}
	ok, wait := l.take("a", 1)
	if ok || wait != time.Second {
		t.Fatalf("empty bucket: %v %v", ok, wait)
	}
	if ok, _ := l.take("b", 1); !ok {
		t.Fatal("buckets are per key")
	}
	now = now.Add(2 * time.Second)
	if ok, _ := l.take("a", 2); !ok {
		t.Fatal("refilled bucket refused")
	}
	if ok, _ := l.take("a", 500); ok { // charged as the whole burst
		t.Fatal("oversized take allowed on an empty bucket")
	}
}
