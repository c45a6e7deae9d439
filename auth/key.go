package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SigningKey is the ES256 (P-256) key that signs coffer access tokens.
type SigningKey struct {
	priv *ecdsa.PrivateKey
	kid  string
}

// NewSigningKey generates a fresh P-256 signing key.
func NewSigningKey() (*SigningKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return newSigningKey(priv)
}

func newSigningKey(priv *ecdsa.PrivateKey) (*SigningKey, error) {
	if priv.Curve != elliptic.P256() {
		return nil, errors.New("auth: signing key must be ECDSA P-256 (ES256)")
	}
	kid, err := Thumbprint(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &SigningKey{priv: priv, kid: kid}, nil
}

// ParseSigningKey reads a PEM "PRIVATE KEY" (PKCS#8) holding a P-256 key.
func ParseSigningKey(pemBytes []byte) (*SigningKey, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("auth: signing key is not a PEM PRIVATE KEY (PKCS#8) block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("auth: parse signing key: %w", err)
	}
	priv, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("auth: signing key is %T, want ECDSA P-256", k)
	}
	return newSigningKey(priv)
}

// MarshalPEM encodes the private key as PEM PKCS#8.
func (k *SigningKey) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// KeyID is the RFC 7638 JWK thumbprint of the public key (base64url).
func (k *SigningKey) KeyID() string { return k.kid }

// Public returns the verification key.
func (k *SigningKey) Public() *ecdsa.PublicKey { return &k.priv.PublicKey }

// LoadOrCreateSigningKey loads the key at path, or generates one and writes it
// there (mode 0600) when the file does not exist. created reports the latter,
// so the caller can log that tokens issued before are now unverifiable.
func LoadOrCreateSigningKey(path string) (key *SigningKey, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err = ParseSigningKey(b)
		if err != nil {
			return nil, false, fmt.Errorf("%w (file %s)", err, path)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	key, err = NewSigningKey()
	if err != nil {
		return nil, false, err
	}
	pemBytes, err := key.MarshalPEM()
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	// O_EXCL: if another process created the file meanwhile, use its key so
	// both processes sign with the same one.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		key, _, err = LoadOrCreateSigningKey(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, err
	}
	if _, err := f.Write(pemBytes); err != nil {
		f.Close()
		os.Remove(path)
		return nil, false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, false, err
	}
	return key, true, nil
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Kid string `json:"kid,omitempty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
}

func ecJWK(pub *ecdsa.PublicKey) (jwk, error) {
	if pub.Curve != elliptic.P256() {
		return jwk{}, errors.New("auth: only P-256 keys are supported")
	}
	raw, err := pub.Bytes() // 0x04 || X || Y, fixed width
	if err != nil {
		return jwk{}, err
	}
	enc := base64.RawURLEncoding
	return jwk{Kty: "EC", Crv: "P-256", X: enc.EncodeToString(raw[1:33]), Y: enc.EncodeToString(raw[33:])}, nil
}

// Thumbprint is the RFC 7638 JWK thumbprint (SHA-256, base64url) of a P-256 key.
func Thumbprint(pub *ecdsa.PublicKey) (string, error) {
	j, err := ecJWK(pub)
	if err != nil {
		return "", err
	}
	// RFC 7638: required members only, lexicographic order, no whitespace.
	canon := `{"crv":"` + j.Crv + `","kty":"EC","x":"` + j.X + `","y":"` + j.Y + `"}`
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// buildJWKS renders the public halves of keys as a JWK Set.
func buildJWKS(keys []*SigningKey) ([]byte, error) {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range keys {
		j, err := ecJWK(k.Public())
		if err != nil {
			return nil, err
		}
		j.Kid, j.Use, j.Alg = k.kid, "sig", "ES256"
		set.Keys = append(set.Keys, j)
	}
	return json.Marshal(set)
}
