//go:build cgo

package pkcs11

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys"
	"github.com/cofferhq/coffer/keys/keystest"
	"github.com/ethereum/go-ethereum/crypto"
	p11 "github.com/miekg/pkcs11"
)

func newTestBackend(t testing.TB, ks coffer.KeyStore, mod func(*Config)) *Backend {
	t.Helper()
	cfg := testConfig(t)
	if mod != nil {
		mod(&cfg)
	}
	b, err := New(ks, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func TestConformance(t *testing.T) {
	testConfig(t)
	keystest.Run(t, func(t *testing.T) coffer.KeyBackend {
		return newTestBackend(t, keystest.NewMemKeyStore(), nil)
	})
}

func TestRecord(t *testing.T) {
	ks := keystest.NewMemKeyStore()
	b := newTestBackend(t, ks, nil)
	rec, err := b.CreateKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rec.ID, KeyIDPrefix) || rec.Backend != coffer.BackendPKCS11 {
		t.Errorf("record ID %q backend %q", rec.ID, rec.Backend)
	}
	if string(rec.Material) != rec.ID || rec.WrappedKey != nil || rec.MasterID != "" {
		t.Errorf("record carries more than the CKA_ID: material %x wrapped %x master %q", rec.Material, rec.WrappedKey, rec.MasterID)
	}
	stored, err := ks.Key(context.Background(), rec.ID)
	if err != nil || stored.Address != rec.Address {
		t.Fatalf("stored record: %v", err)
	}
}

// TestPrivateKeyNotExtractable reads the private key object's attributes
// through a session of its own.
func TestPrivateKeyNotExtractable(t *testing.T) {
	b := newTestBackend(t, keystest.NewMemKeyStore(), nil)
	rec, err := b.CreateKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := b.mod.ctx
	sh, err := c.OpenSession(b.slot, p11.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseSession(sh)
	// The pool's sessions keep the application logged in.
	if err := c.Login(sh, p11.CKU_USER, testConfig(t).PIN); err != nil && !isCode(err, p11.CKR_USER_ALREADY_LOGGED_IN) {
		t.Fatal(err)
	}
	s := &session{h: sh, open: true, keys: map[string]p11.ObjectHandle{}}
	h, err := b.findPrivateKey(s, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetAttributeValue(sh, h, []*p11.Attribute{p11.NewAttribute(p11.CKA_VALUE, nil)}); !isCode(err, p11.CKR_ATTRIBUTE_SENSITIVE) {
		t.Errorf("reading CKA_VALUE: err = %v, want CKR_ATTRIBUTE_SENSITIVE", err)
	}
	want := map[uint]bool{
		p11.CKA_EXTRACTABLE:       false,
		p11.CKA_NEVER_EXTRACTABLE: true,
		p11.CKA_SENSITIVE:         true,
		p11.CKA_ALWAYS_SENSITIVE:  true,
		p11.CKA_LOCAL:             true, // generated on the token, not imported
		p11.CKA_TOKEN:             true,
		p11.CKA_PRIVATE:           true,
		p11.CKA_SIGN:              true,
		p11.CKA_DERIVE:            false,
		p11.CKA_DECRYPT:           false,
		p11.CKA_UNWRAP:            false,
	}
	var tmpl []*p11.Attribute
	for a := range want {
		tmpl = append(tmpl, p11.NewAttribute(a, nil))
	}
	attrs, err := c.GetAttributeValue(sh, h, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attrs {
		got := len(a.Value) == 1 && a.Value[0] != 0
		if got != want[a.Type] {
			t.Errorf("attribute 0x%x = %v, want %v", a.Type, got, want[a.Type])
		}
	}
	// Wrapping it out is refused as well.
	if _, err := c.WrapKey(sh, []*p11.Mechanism{p11.NewMechanism(p11.CKM_AES_KEY_WRAP_PAD, nil)}, h, h); err == nil {
		t.Error("C_WrapKey of the private key succeeded")
	}
}

func TestConcurrentSign(t *testing.T) {
	for _, n := range []int{1, DefaultSessions} {
		t.Run(fmt.Sprintf("sessions=%d", n), func(t *testing.T) {
			b := newTestBackend(t, keystest.NewMemKeyStore(), func(c *Config) { c.Sessions = n })
			ctx := context.Background()
			var recs []*coffer.KeyRecord
			for range 3 {
				rec, err := b.CreateKey(ctx)
				if err != nil {
					t.Fatal(err)
				}
				recs = append(recs, rec)
			}
			const workers, each = 8, 40
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						rec := recs[(w+i)%len(recs)]
						var d [32]byte
						rand.Read(d[:])
						sig, err := b.SignDigest(ctx, rec.ID, d)
						if err == nil {
							err = keys.CheckSignature(d, sig, rec.PublicKey)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestWaitForSession: with every session busy, a caller waits and gives up
// with its context.
func TestWaitForSession(t *testing.T) {
	b := newTestBackend(t, keystest.NewMemKeyStore(), func(c *Config) { c.Sessions = 1 })
	rec, err := b.CreateKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b.SignDigest(ctx, rec.ID, [32]byte{1}); err == nil || ctx.Err() == nil {
		t.Fatalf("SignDigest with the only session taken: err = %v", err)
	}
	b.release(s, nil)
	if _, err := b.SignDigest(context.Background(), rec.ID, [32]byte{1}); err != nil {
		t.Fatal(err)
	}
}

// TestReopen: a backend started afresh — the module finalised and
// initialised again, nothing cached — signs with keys made before.
func TestReopen(t *testing.T) {
	cfg := testConfig(t)
	ks := keystest.NewMemKeyStore()
	ctx := context.Background()
	b1, err := New(ks, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var recs []*coffer.KeyRecord
	for range 2 {
		rec, err := b1.CreateKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if err := b1.Close(); err != nil {
		t.Fatal(err)
	}
	modulesMu.Lock()
	n := len(modules)
	modulesMu.Unlock()
	if n != 0 {
		t.Fatalf("%d modules still loaded after the last Close", n)
	}
	if _, err := b1.SignDigest(ctx, recs[0].ID, [32]byte{1}); coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Errorf("SignDigest after Close: err = %v, want %s", err, coffer.EUNAVAILABLE)
	}

	b2 := newTestBackend(t, ks, nil)
	for _, rec := range recs {
		d := [32]byte{0xc0, 0xff, 0xee}
		sig, err := b2.SignDigest(ctx, rec.ID, d)
		if err != nil {
			t.Fatalf("SignDigest after reopening: %v", err)
		}
		if err := keys.CheckSignature(d, sig, rec.PublicKey); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReopenInChildProcess signs with a key made here from a separate test
// process that knows only the key's record.
func TestReopenInChildProcess(t *testing.T) {
	if os.Getenv("COFFER_PKCS11_CHILD") == "1" {
		childSign(t)
		return
	}
	cfg := testConfig(t)
	ks := keystest.NewMemKeyStore()
	b, err := New(ks, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := b.CreateKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b.Close()

	d := [32]byte{0xba, 0xbe}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReopenInChildProcess$", "-test.v")
	cmd.Env = append(os.Environ(),
		"COFFER_PKCS11_CHILD=1",
		"COFFER_PKCS11_CHILD_KEY="+rec.ID,
		"COFFER_PKCS11_CHILD_PUB="+hex.EncodeToString(rec.PublicKey),
		"COFFER_PKCS11_CHILD_DIGEST="+hex.EncodeToString(d[:]),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, after, ok := strings.Cut(string(out), "SIG=")
	if !ok {
		t.Fatalf("child printed no signature:\n%s", out)
	}
	sig, err := hex.DecodeString(strings.Fields(after)[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.CheckSignature(d, sig, rec.PublicKey); err != nil {
		t.Fatalf("child's signature: %v", err)
	}
}

func childSign(t *testing.T) {
	pub, _ := hex.DecodeString(os.Getenv("COFFER_PKCS11_CHILD_PUB"))
	dg, _ := hex.DecodeString(os.Getenv("COFFER_PKCS11_CHILD_DIGEST"))
	addr, err := keys.PubkeyAddress(pub)
	if err != nil || len(dg) != 32 {
		t.Fatalf("bad child input: %v", err)
	}
	id := os.Getenv("COFFER_PKCS11_CHILD_KEY")
	ks := keystest.NewMemKeyStore()
	ks.Set(&coffer.KeyRecord{ID: id, Backend: coffer.BackendPKCS11, Address: addr, PublicKey: pub, Material: []byte(id), CreatedAt: time.Now()})
	b := newTestBackend(t, ks, nil)
	sig, err := b.SignDigest(context.Background(), id, [32]byte(dg))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("SIG=%x\n", sig)
}

// TestBrokenSession: a session the token has dropped is reopened and the
// signature retried.
func TestBrokenSession(t *testing.T) {
	b := newTestBackend(t, keystest.NewMemKeyStore(), func(c *Config) { c.Sessions = 2 })
	ctx := context.Background()
	rec, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Close both sessions behind the pool's back: the application is
	// logged out too, as its last session on the token is gone.
	s1, _ := b.acquire(ctx)
	s2, _ := b.acquire(ctx)
	for _, s := range []*session{s1, s2} {
		if err := b.mod.ctx.CloseSession(s.h); err != nil {
			t.Fatal(err)
		}
		b.release(s, nil)
	}
	for i := range 4 {
		sig, err := b.SignDigest(ctx, rec.ID, [32]byte{byte(i)})
		if err != nil {
			t.Fatalf("sign %d after the sessions were dropped: %v", i, err)
		}
		if err := keys.CheckSignature([32]byte{byte(i)}, sig, rec.PublicKey); err != nil {
			t.Fatal(err)
		}
	}
}

func TestErrors(t *testing.T) {
	cfg := testConfig(t)
	ks := keystest.NewMemKeyStore()
	ctx := context.Background()

	for _, c := range []struct {
		name string
		cfg  Config
		code string
	}{
		{"no module", Config{TokenLabel: "x", PIN: "secret-pin-0"}, coffer.EINVALID},
		{"no pin", Config{Module: cfg.Module, TokenLabel: cfg.TokenLabel}, coffer.EINVALID},
		{"missing module", Config{Module: "/nonexistent/libnothing.so", TokenLabel: "x", PIN: "secret-pin-1"}, coffer.EUNAVAILABLE},
		{"unknown token", Config{Module: cfg.Module, TokenLabel: "no-such-token", PIN: "secret-pin-2"}, coffer.EUNAVAILABLE},
		{"wrong pin", Config{Module: cfg.Module, TokenLabel: cfg.TokenLabel, PIN: "secret-pin-3"}, coffer.EUNAVAILABLE},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := New(ks, c.cfg)
			if err == nil {
				b.Close()
				t.Fatal("New succeeded")
			}
			if coffer.ErrorCode(err) != c.code {
				t.Errorf("err = %v, want %s", err, c.code)
			}
			if c.cfg.PIN != "" && strings.Contains(err.Error(), c.cfg.PIN) {
				t.Errorf("error shows the PIN: %v", err)
			}
			t.Log(err)
		})
	}
	modulesMu.Lock()
	n := len(modules)
	modulesMu.Unlock()
	if n != 0 {
		t.Errorf("failed New calls left %d modules loaded", n)
	}

	b := newTestBackend(t, ks, nil)
	// With the token logged in, C_Login no longer checks PINs; New must.
	wrong := cfg
	wrong.PIN = "secret-pin-4"
	if b2, err := New(ks, wrong); coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		if err == nil {
			b2.Close()
		}
		t.Errorf("second backend with a wrong PIN: err = %v, want %s", err, coffer.EUNAVAILABLE)
	}
	b3 := newTestBackend(t, ks, nil) // the right PIN is fine
	if _, err := b3.CreateKey(ctx); err != nil {
		t.Error(err)
	}
	// A record of another backend is not ours.
	ks.Set(&coffer.KeyRecord{ID: "lk_x", Backend: coffer.BackendLocal, CreatedAt: time.Now()})
	if _, err := b.SignDigest(ctx, "lk_x", [32]byte{1}); coffer.ErrorCode(err) != coffer.ENOTFOUND {
		t.Errorf("foreign record: err = %v, want %s", err, coffer.ENOTFOUND)
	}
	// A record whose object is not on the token (another token, deleted).
	priv, _ := crypto.GenerateKey()
	ghost := &coffer.KeyRecord{ID: KeyIDPrefix + "ghost", Backend: coffer.BackendPKCS11,
		Address: crypto.PubkeyToAddress(priv.PublicKey), PublicKey: crypto.FromECDSAPub(&priv.PublicKey), CreatedAt: time.Now()}
	ks.Set(ghost)
	_, err := b.SignDigest(ctx, ghost.ID, [32]byte{1})
	if coffer.ErrorCode(err) != coffer.EUNAVAILABLE || !strings.Contains(err.Error(), "not on token") {
		t.Errorf("key missing from the token: err = %v, want %s", err, coffer.EUNAVAILABLE)
	}
	if pub, err := b.PublicKey(ctx, ghost.ID); err != nil || !bytes.Equal(pub, ghost.PublicKey) {
		t.Errorf("PublicKey of a record = %x, %v", pub, err)
	}
}

// TestWrongKeyOnToken: if the object under a record's CKA_ID is not the
// record's key, the self-check stops the signature.
func TestWrongKeyOnToken(t *testing.T) {
	ks := keystest.NewMemKeyStore()
	b := newTestBackend(t, ks, nil)
	ctx := context.Background()
	r1, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := b.CreateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	swapped := *r1
	swapped.PublicKey, swapped.Address = r2.PublicKey, r2.Address
	ks.Set(&swapped)
	b.pubMu.Lock()
	clear(b.pubs)
	b.pubMu.Unlock()
	if _, err := b.SignDigest(ctx, r1.ID, [32]byte{1}); err == nil || !strings.Contains(err.Error(), "self-check") {
		t.Errorf("SignDigest with a mismatched key: err = %v", err)
	}
}

func TestParseECPoint(t *testing.T) {
	priv, _ := crypto.GenerateKey()
	pt := crypto.FromECDSAPub(&priv.PublicKey)
	der := append([]byte{0x04, 0x41}, pt...)
	for _, c := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"der", der, true},
		{"raw", pt, true},
		{"der trailing", append(bytes.Clone(der), 0), false},
		{"der long-form length", append([]byte{0x04, 0x81, 0x41}, pt...), false},
		{"der wrong length", append([]byte{0x04, 0x40}, pt...), false},
		{"der compressed inside", append([]byte{0x04, 0x41, 0x02}, pt[1:]...), false},
		{"compressed", crypto.CompressPubkey(&priv.PublicKey), false},
		{"short", pt[:64], false},
		{"empty", nil, false},
		{"bit string", append([]byte{0x03, 0x42, 0x00}, pt...), false},
	} {
		got, err := parseECPoint(c.in)
		if c.ok != (err == nil) {
			t.Errorf("%s: err = %v", c.name, err)
			continue
		}
		if c.ok && !bytes.Equal(got, pt) {
			t.Errorf("%s: got %x", c.name, got)
		}
	}
}

func TestConfigHidesPIN(t *testing.T) {
	c := Config{Module: "/m.so", TokenLabel: "t", PIN: "s3cr3t-PIN"}
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%v %+v %#v", c, c, c), fmt.Sprint(&c)} {
		if strings.Contains(s, c.PIN) {
			t.Errorf("formatted Config shows the PIN: %s", s)
		}
	}
}

func TestCloseIdempotent(t *testing.T) {
	b, err := New(keystest.NewMemKeyStore(), testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateKey(context.Background()); coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Errorf("CreateKey after Close: %v", err)
	}
}
