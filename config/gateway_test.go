package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGatewayConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "coffer.yaml")
	yaml := `rpc:
  guest_methods: [debug_traceTransaction, "eth bad"]
  admin_methods: [debug_traceTransaction]
  max_batch: 0
proxy:
  routes:
    - name: nfts
      upstream: https://user:pw@api.example.com/v3/abcdefghijklmnopqrstuvwxyz?key=1
      allow_paths: [/nfts/**]
      headers: {x-api-key: env:NFT_KEY, x-other: literal-secret-value}
      query: {apikey: "plain-secret-1234"}
    - name: nfts
      upstream: ftp://x
      allow_paths: [nfts, /a/../b]
      methods: [get, TRACE]
      roles: [root]
      headers: {Host: x, x-bad: "env:"}
      rate_limit: -1
`
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Resolve()
	if err == nil {
		t.Fatal("bad gateway config accepted")
	}
	for _, want := range []string{
		"rpc.guest_methods (@coffer.yaml:2): debug_traceTransaction reaches into the node",
		`rpc.guest_methods (@coffer.yaml:2): "eth bad" is not a JSON-RPC method name`,
		"rpc.max_batch",
		`proxy.routes[1].name (@coffer.yaml:12): "nfts" is also proxy.routes[0].name`,
		"proxy.routes[1].upstream",
		`proxy.routes[1].allow_paths (@coffer.yaml:14): "nfts"`,
		`"/a/../b"`,
		`proxy.routes[1].methods (@coffer.yaml:15): "TRACE"`,
		`proxy.routes[1].roles (@coffer.yaml:16): "root"`,
		"Host cannot be injected",
		`x-bad: "env:": want env:NAME`,
		"proxy.routes[1].rate_limit",
	} {
		if !strings.Contains(strings.ReplaceAll(err.Error(), filepath.Dir(file)+"/", "@"), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "rpc.admin_methods (") {
		t.Errorf("admin_methods may name debug_ methods: %v", err)
	}

	r := c.Redacted().Proxy.Routes[0]
	out := fmt.Sprintf("%+v", r)
	for _, secret := range []string{"pw", "abcdefghijklmnop", "key=1", "literal-secret-value", "plain-secret-1234"} {
		if strings.Contains(out, secret) {
			t.Errorf("redacted route shows %q: %s", secret, out)
		}
	}
	if r.Upstream != "https://api.example.com/***" || r.Headers["x-api-key"] != "env:NFT_KEY" {
		t.Errorf("redacted route %+v", r)
	}
	if c.Proxy.Routes[0].Headers["x-other"] != "literal-secret-value" {
		t.Error("Redacted modified the config")
	}
}
