package config

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "coffer.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	d := Default()
	d.RegisterFlags(fs)
	return fs
}

func mustResolve(t *testing.T, c Config) Config {
	t.Helper()
	if err := c.Resolve(); err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	return c
}

func TestDefaultsResolve(t *testing.T) {
	c, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	c = mustResolve(t, c)
	want := map[string]any{
		"data_dir":                 "./.coffer",
		"store.dsn":                filepath.Join(".coffer", "coffer.db"),
		"blob.dir":                 filepath.Join(".coffer", "blobs"),
		"keys.master_key_file":     filepath.Join(".coffer", "master.key"),
		"auth.signing_key_file":    filepath.Join(".coffer", "jwt.pem"),
		"dev.chain_dir":            filepath.Join(".coffer", "chain"),
		"http.public_url":          "http://127.0.0.1:8080",
		"auth.issuer":              "http://127.0.0.1:8080",
		"auth.siwe.domain":         "127.0.0.1:8080",
		"auth.siwe.scheme":         "http",
		"auth.siwe.uri":            "http://127.0.0.1:8080",
		"http.max_body_bytes":      int64(1 << 20),
		"http.max_upload_bytes":    int64(10 << 20),
		"http.read_timeout":        15 * time.Second,
		"http.write_timeout":       30 * time.Second,
		"http.shutdown_timeout":    10 * time.Second,
		"auth.access_ttl":          15 * time.Minute,
		"auth.refresh_ttl":         720 * time.Hour,
		"auth.nonce_ttl":           5 * time.Minute,
		"auth.skew":                time.Minute,
		"dev.rpc_addr":             "127.0.0.1:8545",
		"dev.chain_id":             uint64(1337),
		"dev.persist":              true,
		"nft.max_metadata_bytes":   int64(64 << 10),
		"platform.private_key_env": "COFFER_PLATFORM_KEY",
		"keys.master_key_env":      "COFFER_MASTER_KEY",
		"log.level":                "info",
		"log.format":               "text",
		"store.driver":             "sqlite",
		"blob.driver":              "fs",
		"keys.backend":             "local",
	}
	for k, w := range want {
		p, ok := fieldPtr(&c, k)
		if !ok {
			t.Fatalf("no key %s", k)
		}
		if got := fmt.Sprint(deref(p)); got != fmt.Sprint(w) {
			t.Errorf("%s = %v, want %v", k, got, w)
		}
	}
	if len(c.Chains) != 0 {
		t.Errorf("chains = %v", c.Chains)
	}
	// Resolve is idempotent.
	again := c
	if err := again.Resolve(); err != nil || fmt.Sprint(again) != fmt.Sprint(c) {
		t.Errorf("second Resolve changed config or failed: %v", err)
	}
}

func deref(p any) any {
	switch p := p.(type) {
	case *string:
		return *p
	case *bool:
		return *p
	case *int64:
		return *p
	case *uint64:
		return *p
	case *time.Duration:
		return *p
	case *[]string:
		return *p
	}
	return p
}

func TestDerivedFollowDataDirAndAddr(t *testing.T) {
	c := Default()
	c.DataDir = "/var/lib/coffer"
	c.HTTP.Addr = "0.0.0.0:9000"
	c = mustResolve(t, c)
	if c.Store.DSN != "/var/lib/coffer/coffer.db" || c.Blob.Dir != "/var/lib/coffer/blobs" {
		t.Errorf("paths: %q %q", c.Store.DSN, c.Blob.Dir)
	}
	if c.HTTP.PublicURL != "http://localhost:9000" {
		t.Errorf("public url %q", c.HTTP.PublicURL)
	}

	c = Default()
	c.HTTP.PublicURL = "https://wallet.example.com/"
	c = mustResolve(t, c)
	if c.HTTP.PublicURL != "https://wallet.example.com" || c.Auth.Issuer != c.HTTP.PublicURL ||
		c.Auth.SIWE.Domain != "wallet.example.com" || c.Auth.SIWE.Scheme != "https" || c.Auth.SIWE.URI != c.HTTP.PublicURL {
		t.Errorf("derived from public url: %+v %+v", c.HTTP, c.Auth)
	}

	c = Default()
	c.Store.Driver = "postgres"
	c.Store.DSN = "postgres://u:p@db/coffer"
	c.Chains = []Chain{{ID: 1, RPCURLs: []string{"https://rpc"}}}
	c = mustResolve(t, c)
	if c.Store.DSN != "postgres://u:p@db/coffer" {
		t.Errorf("dsn %q", c.Store.DSN)
	}
	if ch := c.Chains[0]; ch.Confirmations != 1 || ch.PollInterval != time.Second {
		t.Errorf("chain defaults %+v", ch)
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, `
data_dir: /from/file
log:
  level: warn
http:
  addr: 127.0.0.1:1001
  read_timeout: 1s
store:
  driver: postgres
  dsn: postgres://file
dev:
  rpc_addr: 127.0.0.1:2001
  fresh: true
`)
	env := envMap(map[string]string{
		"COFFER_LOG_LEVEL":         "error",
		"COFFER_HTTP_ADDR":         "127.0.0.1:1002",
		"COFFER_HTTP_READ_TIMEOUT": "2s",
		"COFFER_STORE_DSN":         "postgres://env",
		"COFFER_RPC_ADDR":          "127.0.0.1:2002",
		"COFFER_CONFIG":            "/does/not/exist.yaml", // overridden by --config
	})
	fs := newFlags()
	c, err := FromArgs(fs, []string{"--config", file, "--http-addr", "127.0.0.1:1003", "--log-level=debug", "--fresh=false", "rest"}, env)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"data_dir: file > default", c.DataDir, "/from/file"},
		{"store.driver: file", c.Store.Driver, "postgres"},
		{"store.dsn: env > file", c.Store.DSN, "postgres://env"},
		{"http.read_timeout: env > file", c.HTTP.ReadTimeout.String(), "2s"},
		{"http.addr: flag > env > file", c.HTTP.Addr, "127.0.0.1:1003"},
		{"log.level: flag > env > file", c.Log.Level, "debug"},
		{"dev.rpc_addr: unset flag keeps env", c.Dev.RPCAddr, "127.0.0.1:2002"},
		{"dev.fresh: flag false > file true", fmt.Sprint(c.Dev.Fresh), "false"},
		{"log.format: default", c.Log.Format, "text"},
		{"http.write_timeout: default", c.HTTP.WriteTimeout.String(), "30s"},
		{"public url from final addr", c.HTTP.PublicURL, "http://127.0.0.1:1003"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	if fs.NArg() != 1 || fs.Arg(0) != "rest" {
		t.Errorf("positional args %v", fs.Args())
	}
}

func TestConfigFromEnv(t *testing.T) {
	p := writeFile(t, "data_dir: /env/file\n")
	c, err := FromArgs(newFlags(), nil, envMap(map[string]string{"COFFER_CONFIG": p}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/env/file" {
		t.Errorf("data_dir %q", c.DataDir)
	}
}

func TestFlagHelpShowsDefaults(t *testing.T) {
	fs := newFlags()
	if f := fs.Lookup("http-addr"); f == nil || f.DefValue != "127.0.0.1:8080" {
		t.Errorf("http-addr flag %+v", f)
	}
	if f := fs.Lookup("block-period"); f == nil || f.DefValue != "0s" {
		t.Errorf("block-period flag %+v", f)
	}
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	if !strings.Contains(b.String(), "COFFER_HTTP_ADDR") {
		t.Errorf("usage lacks env names:\n%s", b.String())
	}
	if err := fs.Parse([]string{"--block-period", "soon"}); err == nil {
		t.Error("bad duration flag accepted")
	}
}

func TestEnvEveryType(t *testing.T) {
	c, err := Load("", envMap(map[string]string{
		"COFFER_HTTP_CORS_ORIGINS":        "https://a.example, https://b.example",
		"COFFER_S3_PATH_STYLE":            "true",
		"COFFER_HTTP_MAX_BODY_BYTES":      "2048",
		"COFFER_DEV_CHAIN_ID":             "31337",
		"COFFER_DEV_BLOCK_PERIOD":         "2s",
		"COFFER_NFT_ALLOW_MINT_TO_OTHERS": "1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.HTTP.CORSOrigins) != 2 || c.HTTP.CORSOrigins[1] != "https://b.example" || !c.Blob.S3.PathStyle ||
		c.HTTP.MaxBodyBytes != 2048 || c.Dev.ChainID != 31337 || c.Dev.BlockPeriod != 2*time.Second || !c.NFT.AllowMintToOthers {
		t.Errorf("env not applied: %+v", c)
	}
	for k, v := range map[string]string{
		"COFFER_HTTP_READ_TIMEOUT":   "15",
		"COFFER_DEV_FRESH":           "yes please",
		"COFFER_HTTP_MAX_BODY_BYTES": "1MiB",
		"COFFER_DEV_CHAIN_ID":        "-1",
	} {
		_, err := Load("", envMap(map[string]string{k: v}))
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: err %v", k, v, err)
		}
	}
}

func TestChainEnv(t *testing.T) {
	file := writeFile(t, `
chains:
  - id: 1
    name: mainnet
    rpc_urls: [https://one]
    confirmations: 12
  - id: 137
    rpc_urls: [https://polygon]
`)
	// Chain id picks the file's chain and keeps its settings; URLs override.
	c, err := Load(file, envMap(map[string]string{"COFFER_CHAIN_ID": "1", "COFFER_RPC_URLS": "https://a,https://b"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Chains) != 1 || c.Chains[0].Name != "mainnet" || c.Chains[0].Confirmations != 12 || strings.Join(c.Chains[0].RPCURLs, " ") != "https://a https://b" {
		t.Errorf("chains %+v", c.Chains)
	}
	// A new id without URLs fails validation naming the env var.
	c, err = Load(file, envMap(map[string]string{"COFFER_CHAIN_ID": "5"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Resolve(); err == nil || !strings.Contains(err.Error(), "chains[0].rpc_urls") {
		t.Errorf("err %v", err)
	}
	// URLs alone are ambiguous with two chains.
	if _, err := Load(file, envMap(map[string]string{"COFFER_RPC_URLS": "https://x"})); err == nil || !strings.Contains(err.Error(), "COFFER_RPC_URLS") {
		t.Errorf("err %v", err)
	}
	// No file: env alone defines the chain.
	c, err = FromArgs(newFlags(), []string{"--rpc-urls", "ws://node:8546"}, envMap(map[string]string{"COFFER_CHAIN_ID": "10"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Chains) != 1 || c.Chains[0].ID != 10 || c.Chains[0].RPCURLs[0] != "ws://node:8546" {
		t.Errorf("chains %+v", c.Chains)
	}
}

func TestUnknownKey(t *testing.T) {
	for body, want := range map[string]string{
		"http:\n  addr: x:1\n  adr: y\n":     `coffer.yaml:3: unknown key "http.adr"`,
		"datadir: x\n":                       `coffer.yaml:1: unknown key "datadir"`,
		"chains:\n  - id: 1\n    rpc: [x]\n": `coffer.yaml:3: unknown key "chains[0].rpc"`,
		"auth:\n  siwe:\n    host: x\n":      `coffer.yaml:3: unknown key "auth.siwe.host"`,
	} {
		_, err := Load(writeFile(t, body), envMap(nil))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %s", body, err, want)
		}
	}
}

func TestBadValuesInFile(t *testing.T) {
	for body, want := range map[string]string{
		"http:\n  read_timeout: 15\n":                `coffer.yaml:2: http.read_timeout: invalid duration "15"`,
		"auth:\n  access_ttl: 15 minutes\n":          `coffer.yaml:2: auth.access_ttl: invalid duration "15 minutes"`,
		"chains:\n  - id: 1\n    poll_interval: x\n": `coffer.yaml:3: chains[0].poll_interval: invalid duration "x"`,
		"dev:\n  chain_id: -5\n":                     `coffer.yaml:2: dev.chain_id`,
		"dev:\n  fresh: maybe\n":                     `coffer.yaml:2: dev.fresh`,
		"http: 8080\n":                               `http: expected a mapping`,
		"chains:\n  id: 1\n":                         `chains: expected a list`,
		"http:\n  addr: [a, b]\n":                    `coffer.yaml:2: http.addr`,
		"data_dir: [\n":                              `coffer.yaml`,
	} {
		_, err := Load(writeFile(t, body), envMap(nil))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %s", body, err, want)
		}
	}
	if _, err := Load("/no/such/coffer.yaml", envMap(nil)); err == nil {
		t.Error("missing file accepted")
	}
}

func TestEmptyFileAndNull(t *testing.T) {
	for _, body := range []string{"", "# only a comment\n", "---\n"} {
		c, err := Load(writeFile(t, body), envMap(nil))
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		mustResolve(t, c)
	}
}

func TestValidation(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"data dir", func(c *Config) { c.DataDir = "" }, "data_dir (COFFER_DATA_DIR): must not be empty"},
		{"log level", func(c *Config) { c.Log.Level = "loud" }, "log.level (COFFER_LOG_LEVEL)"},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, "log.format (COFFER_LOG_FORMAT)"},
		{"http addr port", func(c *Config) { c.HTTP.Addr = "127.0.0.1" }, "http.addr (COFFER_HTTP_ADDR): \"127.0.0.1\": missing port"},
		{"http addr bad port", func(c *Config) { c.HTTP.Addr = "localhost:http" }, "http.addr (COFFER_HTTP_ADDR)"},
		{"public url", func(c *Config) { c.HTTP.PublicURL = "wallet.example.com" }, "http.public_url (COFFER_PUBLIC_URL)"},
		{"public url scheme", func(c *Config) { c.HTTP.PublicURL = "ftp://x" }, "http.public_url"},
		{"body bytes", func(c *Config) { c.HTTP.MaxBodyBytes = 0 }, "http.max_body_bytes"},
		{"upload bytes", func(c *Config) { c.HTTP.MaxUploadBytes = -1 }, "http.max_upload_bytes"},
		{"read timeout", func(c *Config) { c.HTTP.ReadTimeout = -time.Second }, "http.read_timeout"},
		{"cors", func(c *Config) { c.HTTP.CORSOrigins = []string{"example.com"} }, "http.cors_origins"},
		{"cors path", func(c *Config) { c.HTTP.CORSOrigins = []string{"https://a.example/app"} }, "http.cors_origins"},
		{"store driver", func(c *Config) { c.Store.Driver = "mysql" }, "store.driver (COFFER_STORE_DRIVER)"},
		{"postgres dsn", func(c *Config) { c.Store.Driver = "postgres" }, "store.dsn (COFFER_STORE_DSN): required"},
		{"blob driver", func(c *Config) { c.Blob.Driver = "gcs" }, "blob.driver (COFFER_BLOB_DRIVER)"},
		{"s3 bucket", func(c *Config) { c.Blob.Driver = "s3" }, "blob.s3.bucket (COFFER_S3_BUCKET): required"},
		{"s3 endpoint", func(c *Config) { c.Blob.S3.Endpoint = "minio:9000" }, "blob.s3.endpoint"},
		{"s3 creds pair", func(c *Config) { c.Blob.S3.AccessKeyID = "AK" }, "blob.s3.access_key_id"},
		{"keys backend", func(c *Config) { c.Keys.Backend = "vault" }, "keys.backend (COFFER_KEYS_BACKEND)"},
		{"pkcs11 module", func(c *Config) { c.Keys.Backend = "pkcs11" }, "keys.pkcs11.module"},
		{"pkcs11 label", func(c *Config) { c.Keys.Backend = "pkcs11"; c.Keys.PKCS11.Module = "/lib/x.so" }, "keys.pkcs11.token_label"},
		{"kms endpoint", func(c *Config) { c.Keys.AWSKMS.Endpoint = "::" }, "keys.awskms.endpoint"},
		{"chain id zero", func(c *Config) { c.Chains = []Chain{{RPCURLs: []string{"http://x"}}} }, "chains[0].id (COFFER_CHAIN_ID): must be non-zero"},
		{"chain id dup", func(c *Config) {
			c.Chains = []Chain{{ID: 1, RPCURLs: []string{"http://x"}}, {ID: 1, RPCURLs: []string{"http://y"}}}
		}, "chains[1].id: chain id 1 is also chains[0].id"},
		{"chain no rpc", func(c *Config) { c.Chains = []Chain{{ID: 1}} }, "chains[0].rpc_urls (COFFER_RPC_URLS): at least one"},
		{"chain rpc url", func(c *Config) { c.Chains = []Chain{{ID: 1, RPCURLs: []string{"node:8545"}}} }, "chains[0].rpc_urls"},
		{"chain poll", func(c *Config) {
			c.Chains = []Chain{{ID: 1, RPCURLs: []string{"http://x"}, PollInterval: -1}}
		}, "chains[0].poll_interval"},
		{"dev rpc addr", func(c *Config) { c.Dev.RPCAddr = "8545" }, "dev.rpc_addr (COFFER_RPC_ADDR)"},
		{"dev chain id", func(c *Config) { c.Dev.ChainID = 0 }, "dev.chain_id (COFFER_DEV_CHAIN_ID)"},
		{"dev block period", func(c *Config) { c.Dev.BlockPeriod = -1 }, "dev.block_period"},
		{"access ttl", func(c *Config) { c.Auth.AccessTTL = 0 }, "auth.access_ttl (COFFER_AUTH_ACCESS_TTL)"},
		{"refresh ttl", func(c *Config) { c.Auth.RefreshTTL = 0 }, "auth.refresh_ttl"},
		{"nonce ttl", func(c *Config) { c.Auth.NonceTTL = 0 }, "auth.nonce_ttl"},
		{"skew", func(c *Config) { c.Auth.Skew = -1 }, "auth.skew"},
		{"siwe scheme", func(c *Config) { c.Auth.SIWE.Scheme = "ftp" }, "auth.siwe.scheme (COFFER_SIWE_SCHEME)"},
		{"siwe domain", func(c *Config) { c.Auth.SIWE.Domain = "a.example/x" }, "auth.siwe.domain"},
		{"siwe uri", func(c *Config) { c.Auth.SIWE.URI = "/login" }, "auth.siwe.uri"},
		{"oidc issuer", func(c *Config) { c.Auth.OIDC = []OIDC{{Audience: "a"}} }, "auth.oidc[0].issuer: required"},
		{"oidc audience", func(c *Config) { c.Auth.OIDC = []OIDC{{Issuer: "https://idp"}} }, "auth.oidc[0].audience: required"},
		{"oidc jwks", func(c *Config) {
			c.Auth.OIDC = []OIDC{{Issuer: "https://idp", Audience: "a", JWKSURL: "keys.json"}}
		}, "auth.oidc[0].jwks_url"},
		{"nft metadata", func(c *Config) { c.NFT.MaxMetadataBytes = 0 }, "nft.max_metadata_bytes"},
	}
	for _, tc := range cases {
		c := Default()
		tc.mod(&c)
		err := c.Resolve()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestErrorNamesSource(t *testing.T) {
	file := writeFile(t, "http:\n  addr: nope\ndev:\n  rpc_addr: alsonope\n")
	_, err := FromArgs(newFlags(), []string{"--config", file, "--rpc-addr", "bad"}, envMap(map[string]string{"COFFER_LOG_LEVEL": "chatty"}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"http.addr (" + file + ":2)",
		"dev.rpc_addr (--rpc-addr)",
		"log.level (COFFER_LOG_LEVEL)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestRedacted(t *testing.T) {
	secrets := []string{"s3-secret-value", "pkcs11-pin-value", "bootstrap-admin-value", "dsn-pass-value", "rpc-pass-value"}
	c := Default()
	c.Blob.S3.SecretAccessKey = secrets[0]
	c.Keys.PKCS11.PIN = secrets[1]
	c.Auth.BootstrapAdminKey = secrets[2]
	c.Store.DSN = "postgres://coffer:" + secrets[3] + "@db:5432/coffer?sslmode=disable"
	c.Chains = []Chain{{ID: 1, RPCURLs: []string{"https://user:" + secrets[4] + "@rpc.example/v1"}}}
	c.Blob.S3.AccessKeyID = "AKIDVISIBLE"

	r := c.Redacted()
	out := fmt.Sprintf("%+v", r)
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("%q leaked: %s", s, out)
		}
	}
	if !strings.Contains(out, "postgres://coffer:***@db:5432/coffer?sslmode=disable") || !strings.Contains(out, "AKIDVISIBLE") {
		t.Errorf("redaction too broad or wrong: %s", out)
	}
	// The original is untouched.
	if c.Chains[0].RPCURLs[0] != "https://user:"+secrets[4]+"@rpc.example/v1" || c.Keys.PKCS11.PIN != secrets[1] {
		t.Error("Redacted modified the original")
	}
	// Empty secrets stay empty.
	if e := Default().Redacted(); e.Auth.BootstrapAdminKey != "" || e.Keys.PKCS11.PIN != "" {
		t.Errorf("empty secret masked: %+v", e)
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"host=db user=coffer password=hunter2 dbname=coffer":     "host=db user=coffer password=*** dbname=coffer",
		"host=db password='hunter 2' sslmode=require":            "host=db password=*** sslmode=require",
		"postgres://coffer@db/coffer?password=hunter2&sslmode=x": "postgres://coffer@db/coffer?password=***&sslmode=x",
		"postgres://coffer:hunter2@db/coffer":                    "postgres://coffer:***@db/coffer",
		"file:.coffer/coffer.db?_pragma=busy_timeout(5000)":      "file:.coffer/coffer.db?_pragma=busy_timeout(5000)",
	} {
		if got := redactDSN(in); got != want {
			t.Errorf("redactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBoolFlagWithoutValue(t *testing.T) {
	c, err := FromArgs(newFlags(), []string{"--fresh", "--persist=false"}, envMap(map[string]string{"COFFER_DEV_PERSIST": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Dev.Fresh || c.Dev.Persist {
		t.Errorf("dev %+v", c.Dev)
	}
}
