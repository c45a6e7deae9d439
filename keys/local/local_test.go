package local

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys/keystest"
	"github.com/ethereum/go-ethereum/crypto"
)

func randomMaster(t testing.TB) MasterKey {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	return NewStaticMaster(k)
}

func TestConformance(t *testing.T) {
	keystest.Run(t, func(t *testing.T) coffer.KeyBackend {
		return New(keystest.NewMemKeyStore(), randomMaster(t))
	})
}

// A cold backend decrypts from the store instead of using the key cached by
// CreateKey; a cache of one exercises eviction as well.
func TestConformanceColdCache(t *testing.T) {
	keystest.Run(t, func(t *testing.T) coffer.KeyBackend {
		return New(keystest.NewMemKeyStore(), randomMaster(t), WithCacheSize(1))
	})
}

func TestCiphertextHidesKey(t *testing.T) {
	ctx := context.Background()
	ks := keystest.NewMemKeyStore()
	priv, _ := crypto.GenerateKey()
	rec, err := New(ks, randomMaster(t)).ImportKey(ctx, priv)
	if err != nil {
		t.Fatal(err)
	}
	d := crypto.FromECDSA(priv)
	for name, blob := range map[string][]byte{"Material": rec.Material, "WrappedKey": rec.WrappedKey, "PublicKey": rec.PublicKey} {
		if bytes.Contains(blob, d) || bytes.Contains(blob, d[:16]) || bytes.Contains(blob, d[16:]) {
			t.Errorf("%s contains the private key", name)
		}
	}
	if !strings.HasPrefix(rec.ID, "lk_") || rec.Backend != coffer.BackendLocal || rec.MasterID == "" {
		t.Errorf("record = %+v", rec)
	}
}

func TestSwappedMaterialFails(t *testing.T) {
	ctx := context.Background()
	ks := keystest.NewMemKeyStore()
	m := randomMaster(t)
	b := New(ks, m)
	a, _ := b.CreateKey(ctx)
	c, _ := b.CreateKey(ctx)

	// Material alone, and material with its wrapped data key: both must fail.
	for _, withWrap := range []bool{false, true} {
		x, _ := ks.Key(ctx, a.ID)
		x.Material = c.Material
		if withWrap {
			x.WrappedKey = c.WrappedKey
		}
		ks.Set(x)
		cold := New(ks, m)
		_, err := cold.SignDigest(ctx, a.ID, [32]byte{1})
		if err == nil {
			t.Fatalf("signing with swapped material (with wrap %v) succeeded", withWrap)
		}
		if coffer.ErrorCode(err) != coffer.EINTERNAL {
			t.Errorf("code = %s, want internal", coffer.ErrorCode(err))
		}
	}
	// The untouched record still works.
	if _, err := New(ks, m).SignDigest(ctx, c.ID, [32]byte{1}); err != nil {
		t.Fatal(err)
	}
}

func TestWrongMaster(t *testing.T) {
	ctx := context.Background()
	ks := keystest.NewMemKeyStore()
	priv, _ := crypto.GenerateKey()
	rec, err := New(ks, randomMaster(t)).ImportKey(ctx, priv)
	if err != nil {
		t.Fatal(err)
	}
	other := randomMaster(t)
	_, err = New(ks, other).SignDigest(ctx, rec.ID, [32]byte{1})
	if !errors.Is(err, ErrWrongMaster) || coffer.ErrorCode(err) != coffer.EINTERNAL {
		t.Fatalf("err = %v, want ErrWrongMaster (internal)", err)
	}
	// Even with a forged MasterID the wrapped key does not open.
	x, _ := ks.Key(ctx, rec.ID)
	x.MasterID = other.ID()
	ks.Set(x)
	_, err = New(ks, other).SignDigest(ctx, rec.ID, [32]byte{1})
	if err == nil {
		t.Fatal("a different master opened the record")
	}
	if d := hex.EncodeToString(crypto.FromECDSA(priv)); strings.Contains(strings.ToLower(err.Error()), d) {
		t.Error("error leaks the private key")
	}
	// The public key needs no secret.
	if _, err := New(ks, other).PublicKey(ctx, rec.ID); err != nil {
		t.Errorf("PublicKey with wrong master: %v", err)
	}
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	ks := keystest.NewMemKeyStore()
	m := randomMaster(t)
	priv, _ := crypto.HexToECDSA("4646464646464646464646464646464646464646464646464646464646464646")
	rec, err := New(ks, m).ImportKey(ctx, priv)
	if err != nil {
		t.Fatal(err)
	}
	want := crypto.PubkeyToAddress(priv.PublicKey)
	if rec.Address != want || rec.Address.Hex() != "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F" {
		t.Fatalf("address = %s, want %s", rec.Address, want)
	}
	digest := crypto.Keccak256Hash([]byte("x"))
	sig, err := New(ks, m).SignDigest(ctx, rec.ID, digest)
	if err != nil {
		t.Fatal(err)
	}
	// RFC 6979 is deterministic: the same key signs the same digest alike.
	raw, _ := crypto.Sign(digest[:], priv)
	if !bytes.Equal(sig, raw) {
		t.Errorf("signature differs from crypto.Sign with the same key")
	}

	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := New(ks, m).ImportKey(ctx, p256); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Errorf("importing a P-256 key: %v, want invalid", err)
	}
	if _, err := New(ks, m).ImportKey(ctx, nil); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Errorf("importing nil: %v, want invalid", err)
	}
}

func TestRewrapAll(t *testing.T) {
	ctx := context.Background()
	ks := keystest.NewMemKeyStore()
	old, next := randomMaster(t), randomMaster(t)
	b := New(ks, old)
	var recs []*coffer.KeyRecord
	for i := 0; i < 5; i++ {
		r, err := b.CreateKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	// A record of another backend is not ours to touch.
	ks.Set(&coffer.KeyRecord{ID: "kms_1", Backend: coffer.BackendAWSKMS, MasterID: "elsewhere"})

	n, err := RewrapAll(ctx, ks, old, next)
	if err != nil || n != len(recs) {
		t.Fatalf("RewrapAll = %d, %v; want %d", n, err, len(recs))
	}
	nb := New(ks, next)
	for _, r := range recs {
		d := crypto.Keccak256Hash([]byte(r.ID))
		sig, err := nb.SignDigest(ctx, r.ID, d)
		if err != nil {
			t.Fatalf("sign %s after rewrap: %v", r.ID, err)
		}
		pub, _ := crypto.SigToPub(d[:], sig)
		if crypto.PubkeyToAddress(*pub) != r.Address {
			t.Fatal("wrong signer after rewrap")
		}
		if _, err := New(ks, old).SignDigest(ctx, r.ID, d); !errors.Is(err, ErrWrongMaster) {
			t.Errorf("old master still opens %s: %v", r.ID, err)
		}
	}
	// Running again is a no-op, and a wrong "old" master is refused.
	if n, err := RewrapAll(ctx, ks, old, next); err != nil || n != 0 {
		t.Errorf("second RewrapAll = %d, %v", n, err)
	}
	if _, err := RewrapAll(ctx, ks, randomMaster(t), randomMaster(t)); !errors.Is(err, ErrWrongMaster) {
		t.Errorf("RewrapAll with an unrelated master: %v", err)
	}
	if _, err := RewrapAll(ctx, ks, next, next); err == nil {
		t.Error("RewrapAll with old == new succeeded")
	}
}

func TestMasterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	m1, created, err := LoadOrCreateMasterFile(path)
	if err != nil || !created {
		t.Fatalf("create: %v, created=%v", err, created)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o, want 0600", fi.Mode().Perm())
	}
	text, _ := os.ReadFile(path)
	if s := strings.TrimSpace(string(text)); len(s) != 64 {
		t.Errorf("file holds %d characters, want 64 hex", len(s))
	}
	m2, created, err := LoadOrCreateMasterFile(path)
	if err != nil || created {
		t.Fatalf("reload: %v, created=%v", err, created)
	}
	if m1.ID() != m2.ID() {
		t.Fatal("reloaded a different key")
	}
	w, _ := m1.Wrap(context.Background(), []byte("0123456789abcdef0123456789abcdef"))
	if dk, err := m2.Unwrap(context.Background(), w); err != nil || string(dk) != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("reloaded key does not unwrap: %v", err)
	}
	fromEnv, err := MasterFromHex(" " + strings.TrimSpace(string(text)) + "\n")
	if err != nil || fromEnv.ID() != m1.ID() {
		t.Fatalf("MasterFromHex: %v", err)
	}

	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateMasterFile(path); err == nil || !strings.Contains(err.Error(), "0640") {
		t.Errorf("group-readable file: err = %v", err)
	}
	os.Chmod(path, 0o600)

	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("zz"+strings.Repeat("0", 62)), 0o600)
	if _, _, err := LoadOrCreateMasterFile(bad); err == nil || strings.Contains(err.Error(), "zz") {
		t.Errorf("bad file: err = %v", err)
	}
}

func TestMasterWrap(t *testing.T) {
	ctx := context.Background()
	m := randomMaster(t)
	dk := bytes.Repeat([]byte{7}, 32)
	w1, _ := m.Wrap(ctx, dk)
	w2, _ := m.Wrap(ctx, dk)
	if bytes.Equal(w1, w2) {
		t.Error("two wraps are identical: nonce reused")
	}
	if bytes.Contains(w1, dk) {
		t.Error("wrapped key contains the data key")
	}
	w1[len(w1)-1] ^= 1
	if _, err := m.Unwrap(ctx, w1); err == nil {
		t.Error("tampered wrap unwrapped")
	}
	if _, err := m.Unwrap(ctx, nil); err == nil {
		t.Error("empty wrap unwrapped")
	}
	if _, err := MasterFromHex("abcd"); err == nil {
		t.Error("short hex accepted")
	}
}
