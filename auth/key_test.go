package auth

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrCreateSigningKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "jwt.pem")
	k1, created, err := LoadOrCreateSigningKey(path)
	if err != nil || !created {
		t.Fatalf("create: %v, created=%v", err, created)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	k2, created, err := LoadOrCreateSigningKey(path)
	if err != nil || created || k2.KeyID() != k1.KeyID() || !k2.Public().Equal(k1.Public()) {
		t.Fatalf("load: %v, created=%v", err, created)
	}
	os.WriteFile(path, []byte("junk"), 0o600)
	if _, _, err := LoadOrCreateSigningKey(path); err == nil {
		t.Fatal("junk key accepted")
	}
}

func TestThumbprintAndJWKS(t *testing.T) {
	k, _ := NewSigningKey()
	// Independent RFC 7638 computation: encoding/json sorts map keys.
	j, _ := ecJWK(k.Public())
	canon, _ := json.Marshal(map[string]string{"kty": "EC", "crv": "P-256", "x": j.X, "y": j.Y})
	sum := sha256.Sum256(canon)
	if want := base64.RawURLEncoding.EncodeToString(sum[:]); k.KeyID() != want {
		t.Fatalf("kid %s, want %s", k.KeyID(), want)
	}

	b, err := buildJWKS([]*SigningKey{k})
	if err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []map[string]any }
	json.Unmarshal(b, &set)
	if len(set.Keys) != 1 || set.Keys[0]["d"] != nil || set.Keys[0]["kid"] != k.KeyID() || set.Keys[0]["alg"] != "ES256" || set.Keys[0]["use"] != "sig" {
		t.Fatalf("JWKS %s", b)
	}
	var jj jwk
	raw, _ := json.Marshal(set.Keys[0])
	json.Unmarshal(raw, &jj)
	pub, err := parseJWK(jj)
	if err != nil || !pub.(*ecdsa.PublicKey).Equal(k.Public()) {
		t.Fatalf("JWKS key does not round-trip: %v", err)
	}
}
