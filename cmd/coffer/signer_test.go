package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/auth"
	"github.com/cofferhq/coffer/chain/devchain"
	"github.com/cofferhq/coffer/config"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/internal/testenv"
	"github.com/cofferhq/coffer/keys/local"
	"github.com/cofferhq/coffer/signer"
)

// TestServeWithRemoteSigner runs `coffer serve` with signer.remote and no
// master key anywhere in its configuration or environment, against a
// `coffer signer` holding the keys: wallets and signatures go through the
// signer; a signer that is down is a 503 naming it, and the API recovers
// when it is back. A master key offered to serve is refused.
// (The two-process tests are in package signer.)
func TestServeWithRemoteSigner(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "csrv") // Unix socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	t.Setenv("COFFER_MASTER_KEY", "")
	t.Setenv("COFFER_PLATFORM_KEY", "")

	ch, err := devchain.Start(devchain.Config{ChainID: 1337, Addr: "127.0.0.1:0", Logger: testenv.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	dsn := filepath.Join(dir, "coffer.db")
	sock := filepath.Join(dir, "signer.sock")

	// The signer: keys, store.
	scfg := config.Default()
	scfg.DataDir = filepath.Join(dir, "signer")
	scfg.Store.DSN = dsn
	scfg.Signer.Listen = "unix://" + sock
	if err := scfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := local.LoadOrCreateMasterFile(scfg.Keys.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	startTestSigner := func() *signerInstance {
		s, err := startSigner(ctx, scfg, testenv.Logger())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	sgn := startTestSigner()

	// The API: same store, no key material.
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "api")
	cfg.Store.DSN = dsn
	cfg.HTTP.Addr = testenv.FreeAddr(t)
	cfg.Signer.Remote = "unix://" + sock
	cfg.Auth.BootstrapAdminKey, _ = auth.GenerateAPIKey()
	cfg.Chains = []config.Chain{{ID: 1337, RPCURLs: []string{ch.URL()}, PollInterval: 100 * time.Millisecond}}
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	srv, err := startServe(ctx, cfg, testenv.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.local != nil || srv.custody != nil {
		t.Fatal("serve with signer.remote opened a key backend")
	}
	if _, ok := srv.custodian.(*signer.Client); !ok {
		t.Fatalf("serve signs through %T", srv.custodian)
	}
	if _, err := os.Stat(cfg.Keys.MasterKeyFile); !os.IsNotExist(err) {
		t.Fatalf("serve touched %s: %v", cfg.Keys.MasterKeyFile, err)
	}

	call := func(method, path string, body any, out any) int {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, "http://"+srv.Addr+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+cfg.Auth.BootstrapAdminKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		if out != nil {
			if err := json.Unmarshal(rb, out); err != nil {
				t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, rb)
			}
		}
		return resp.StatusCode
	}
	if err := srv.store.CreateUser(ctx, &coffer.User{ID: "u-remote", Issuer: "siwe", Subject: "0x01", CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	var w struct{ Address common.Address }
	if st := call("POST", "/v1/wallets", map[string]string{"owner": "u-remote", "label": "ops"}, &w); st != http.StatusCreated {
		t.Fatalf("create wallet: %d", st)
	}
	digest := common.HexToHash("0x" + strings.Repeat("ab", 32))
	signHash := func() (int, string, string) {
		var res struct {
			Signature string
			Error     struct{ Code, Message string }
		}
		st := call("POST", "/v1/wallets/"+w.Address.Hex()+"/sign-hash", map[string]string{"hash": digest.Hex()}, &res)
		return st, res.Signature, res.Error.Message
	}
	st, sig, msg := signHash()
	if st != http.StatusOK || !custody.VerifyRecovers(digest[:], hexutil.MustDecode(sig), w.Address) {
		t.Fatalf("sign-hash through the signer: %d %s %s", st, sig, msg)
	}

	// The signer stops (and removes its socket): 503 naming it.
	sgn.Close()
	st, _, msg = signHash()
	if want := "signer unavailable at unix://" + sock + ": no such file or directory"; st != http.StatusServiceUnavailable || msg != want {
		t.Fatalf("signer down: %d %q, want 503 %q", st, msg, want)
	}
	// Back again: the API signs without a restart.
	sgn = startTestSigner()
	defer sgn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, sig, msg = signHash()
		if st == http.StatusOK {
			break
		}
		if st != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("after the signer came back: %d %s", st, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Key material offered to serve with signer.remote is refused.
	t.Setenv("COFFER_MASTER_KEY", strings.Repeat("11", 32))
	if _, err := openServeBase(ctx, cfg, testenv.Logger()); err == nil || !strings.Contains(err.Error(), "no key material") {
		t.Fatalf("serve with signer.remote and $COFFER_MASTER_KEY: %v", err)
	}
	t.Setenv("COFFER_MASTER_KEY", "")
	t.Setenv("COFFER_PLATFORM_KEY", strings.Repeat("22", 32))
	if _, err := openServeBase(ctx, cfg, testenv.Logger()); err == nil || !strings.Contains(err.Error(), "platform key") {
		t.Fatalf("serve with signer.remote and a platform key: %v", err)
	}
}
