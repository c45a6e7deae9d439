// Package keystest is the conformance suite every coffer.KeyBackend passes,
// plus an in-memory coffer.KeyStore for tests.
package keystest

import (
	"bytes"
	"context"
	"crypto/rand"
	"math/big"
	"sync"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys"
	"github.com/ethereum/go-ethereum/crypto"
)

// Run checks newBackend's backends against the coffer.Signer contract. Each
// subtest gets a fresh backend.
func Run(t *testing.T, newBackend func(t *testing.T) coffer.KeyBackend) {
	t.Run("CreateKey", func(t *testing.T) { testCreateKey(t, newBackend(t)) })
	t.Run("SignDigest", func(t *testing.T) { testSignDigest(t, newBackend(t)) })
	t.Run("EdgeDigests", func(t *testing.T) { testEdgeDigests(t, newBackend(t)) })
	t.Run("UnknownKey", func(t *testing.T) { testUnknownKey(t, newBackend(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newBackend(t)) })
}

func testCreateKey(t *testing.T, b coffer.KeyBackend) {
	ctx := context.Background()
	if b.Name() == "" {
		t.Error("Name() is empty")
	}
	r1 := mustCreate(t, b)
	r2 := mustCreate(t, b)
	for _, r := range []*coffer.KeyRecord{r1, r2} {
		if r.ID == "" {
			t.Error("record has no ID")
		}
		if r.Backend != b.Name() {
			t.Errorf("record backend = %q, want %q", r.Backend, b.Name())
		}
		if len(r.PublicKey) != 65 || r.PublicKey[0] != 4 {
			t.Fatalf("record public key is %d bytes, want 65 uncompressed", len(r.PublicKey))
		}
		addr, err := keys.PubkeyAddress(r.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if addr != r.Address {
			t.Errorf("public key derives %s, record says %s", addr, r.Address)
		}
		pub, err := b.PublicKey(ctx, r.ID)
		if err != nil {
			t.Fatalf("PublicKey: %v", err)
		}
		if !bytes.Equal(pub, r.PublicKey) {
			t.Error("PublicKey differs from the record's")
		}
		if r.CreatedAt.IsZero() {
			t.Error("record has no CreatedAt")
		}
	}
	if r1.ID == r2.ID || r1.Address == r2.Address {
		t.Error("two keys share an ID or address")
	}
}

func testSignDigest(t *testing.T, b coffer.KeyBackend) {
	ctx := context.Background()
	rec := mustCreate(t, b)
	for i := 0; i < 64; i++ {
		var d [32]byte
		rand.Read(d[:])
		sig, err := b.SignDigest(ctx, rec.ID, d)
		if err != nil {
			t.Fatalf("SignDigest: %v", err)
		}
		checkSig(t, d, sig, rec)
		// The caller owns the result: scribbling on it must not matter.
		clear(sig)
	}
}

func testEdgeDigests(t *testing.T, b coffer.KeyBackend) {
	ctx := context.Background()
	rec := mustCreate(t, b)
	var zero, ones, n [32]byte
	for i := range ones {
		ones[i] = 0xff
	}
	crypto.S256().Params().N.FillBytes(n[:]) // a digest equal to the order reduces to zero
	for _, d := range [][32]byte{zero, ones, n} {
		sig, err := b.SignDigest(ctx, rec.ID, d)
		if err != nil {
			t.Fatalf("SignDigest(%x): %v", d, err)
		}
		checkSig(t, d, sig, rec)
	}
}

func testUnknownKey(t *testing.T, b coffer.KeyBackend) {
	ctx := context.Background()
	mustCreate(t, b) // a non-empty backend
	for _, id := range []string{"no-such-key", "lk_00000000000000000000000000000000", ""} {
		if _, err := b.SignDigest(ctx, id, [32]byte{1}); coffer.ErrorCode(err) != coffer.ENOTFOUND {
			t.Errorf("SignDigest(%q) error = %v, want %s", id, err, coffer.ENOTFOUND)
		}
		if _, err := b.PublicKey(ctx, id); coffer.ErrorCode(err) != coffer.ENOTFOUND {
			t.Errorf("PublicKey(%q) error = %v, want %s", id, err, coffer.ENOTFOUND)
		}
	}
}

func testConcurrent(t *testing.T, b coffer.KeyBackend) {
	ctx := context.Background()
	recs := []*coffer.KeyRecord{mustCreate(t, b), mustCreate(t, b), mustCreate(t, b)}
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				rec := recs[(w+i)%len(recs)]
				var d [32]byte
				rand.Read(d[:])
				sig, err := b.SignDigest(ctx, rec.ID, d)
				if err != nil {
					errs <- err
					return
				}
				if msg := sigProblem(d, sig, rec); msg != "" {
					errs <- coffer.Errorf(coffer.EINTERNAL, "%s", msg)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func mustCreate(t *testing.T, b coffer.KeyBackend) *coffer.KeyRecord {
	t.Helper()
	rec, err := b.CreateKey(context.Background())
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return rec
}

func checkSig(t *testing.T, d [32]byte, sig []byte, rec *coffer.KeyRecord) {
	t.Helper()
	if msg := sigProblem(d, sig, rec); msg != "" {
		t.Fatalf("digest %x: %s", d, msg)
	}
}

// sigProblem checks sig independently of package keys, so a bug there
// cannot hide one in a backend.
func sigProblem(d [32]byte, sig []byte, rec *coffer.KeyRecord) string {
	if len(sig) != 65 {
		return "signature is not 65 bytes"
	}
	if sig[64] > 1 {
		return "V is not 0 or 1"
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	n := crypto.S256().Params().N
	if r.Sign() == 0 || r.Cmp(n) >= 0 || s.Sign() == 0 {
		return "r or s out of range"
	}
	if s.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		return "s is not low (s > n/2)"
	}
	pub, err := crypto.SigToPub(d[:], sig)
	if err != nil {
		return "signature does not recover: " + err.Error()
	}
	if got := crypto.PubkeyToAddress(*pub); got != rec.Address {
		return "recovers to " + got.Hex() + ", want " + rec.Address.Hex()
	}
	if !crypto.VerifySignature(rec.PublicKey, d[:], sig[:64]) {
		return "VerifySignature rejects it"
	}
	if !crypto.ValidateSignatureValues(sig[64], r, s, true) {
		return "ValidateSignatureValues(homestead) rejects it"
	}
	return ""
}
