package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/golang-jwt/jwt/v5"
)

const (
	idpIssuer   = "https://idp.example/realms/coffer"
	idpAudience = "coffer-api"
)

// idp is a local OIDC issuer: it serves a JWKS whose keys can change.
type idp struct {
	srv     *httptest.Server
	fetches atomic.Int32
	mu      sync.Mutex
	keys    map[string]any // kid → private key
	fail    bool
}

func newIDP(t *testing.T) *idp {
	d := &idp{keys: map[string]any{}}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fetches.Add(1)
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.fail {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		enc := base64.RawURLEncoding
		set := []map[string]string{{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}} // must be ignored
		for kid, k := range d.keys {
			switch k := k.(type) {
			case *rsa.PrivateKey:
				set = append(set, map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
					"n": enc.EncodeToString(k.N.Bytes()), "e": enc.EncodeToString(big.NewInt(int64(k.E)).Bytes())})
			case *ecdsa.PrivateKey:
				raw, _ := k.PublicKey.Bytes()
				set = append(set, map[string]string{"kty": "EC", "kid": kid, "crv": "P-256",
					"x": enc.EncodeToString(raw[1:33]), "y": enc.EncodeToString(raw[33:])})
			case ed25519.PrivateKey:
				set = append(set, map[string]string{"kty": "OKP", "kid": kid, "crv": "Ed25519",
					"x": enc.EncodeToString(k.Public().(ed25519.PublicKey))})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": set})
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *idp) add(kid string, k any) {
	d.mu.Lock()
	d.keys[kid] = k
	d.mu.Unlock()
}

func (d *idp) token(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tk := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tk.Header["kid"] = kid
	}
	s, err := tk.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOIDC(t *testing.T) {
	d := newIDP(t)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	d.add("rsa1", rsaKey)
	d.add("ec1", ecKey)
	d.add("ed1", edKey)

	f := newFixture(t, func(c *Config) {
		c.OIDC = []OIDCProvider{{Issuer: idpIssuer, Audience: idpAudience, JWKSURL: d.srv.URL, RolesClaim: "realm_access.roles"}}
	})
	ctx := context.Background()
	now := f.clk.now()
	claims := func(over map[string]any) jwt.MapClaims {
		c := jwt.MapClaims{"iss": idpIssuer, "aud": []string{"account", idpAudience}, "sub": "user-42",
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
		for k, v := range over {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}

	t.Run("valid RS256", func(t *testing.T) {
		p, err := f.s.Authenticate(ctx, d.token(t, jwt.SigningMethodRS256, "rsa1", rsaKey, claims(nil)))
		if err != nil {
			t.Fatal(err)
		}
		if p.Issuer != idpIssuer || p.Subject != "user-42" || p.UserID == "" || p.IsAdmin() || !p.Has(coffer.RoleUser) || p.SessionID != "" {
			t.Fatalf("principal %+v", p)
		}
		u, err := f.st.UserByIdentity(ctx, idpIssuer, "user-42")
		if err != nil || u.ID != p.UserID {
			t.Fatalf("user %+v %v", u, err)
		}
		// Same subject, other token and key: same user.
		p2, err := f.s.Authenticate(ctx, d.token(t, jwt.SigningMethodES256, "ec1", ecKey, claims(map[string]any{"jti": "2"})))
		if err != nil || p2.UserID != p.UserID {
			t.Fatalf("%+v %v", p2, err)
		}
	})
	t.Run("valid ES256 with admin role", func(t *testing.T) {
		c := claims(map[string]any{"sub": "ops-1", "realm_access": map[string]any{"roles": []string{"offline", "admin"}}})
		p, err := f.s.Authenticate(ctx, d.token(t, jwt.SigningMethodES256, "ec1", ecKey, c))
		if err != nil || !p.IsAdmin() || !p.Has(coffer.RoleUser) {
			t.Fatalf("%+v %v", p, err)
		}
	})
	t.Run("valid EdDSA", func(t *testing.T) {
		if _, err := f.s.Authenticate(ctx, d.token(t, jwt.SigningMethodEdDSA, "ed1", edKey, claims(nil))); err != nil {
			t.Fatal(err)
		}
	})

	rsaPub := x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: rsaPub})
	noneTok := d.token(t, jwt.SigningMethodNone, "rsa1", jwt.UnsafeAllowNoneSignatureType, claims(nil))
	for _, c := range []struct{ name, token, want string }{
		{"wrong audience", d.token(t, jwt.SigningMethodRS256, "rsa1", rsaKey, claims(map[string]any{"aud": "other-app"})), `audience does not include "coffer-api"`},
		{"wrong issuer", d.token(t, jwt.SigningMethodRS256, "rsa1", rsaKey, claims(map[string]any{"iss": "https://idp.example/realms/other"})), "not trusted"},
		{"issuer not exact", d.token(t, jwt.SigningMethodRS256, "rsa1", rsaKey, claims(map[string]any{"iss": idpIssuer + "/"})), "not trusted"},
		{"expired", d.token(t, jwt.SigningMethodRS256, "rsa1", rsaKey, claims(map[string]any{"exp": now.Add(-time.Minute).Unix()})), "expired"},
		{"no exp", d.token(t, jwt.SigningMethodRS256, "rsa1", rsaKey, claims(map[string]any{"exp": nil})), "lacks a required claim"},
		{"no sub", d.token(t, jwt.SigningMethodRS256, "rsa1", rsaKey, claims(map[string]any{"sub": nil})), "no sub claim"},
		{"alg none", noneTok, `algorithm "none"`},
		{"HS256 with RSA public key DER", d.token(t, jwt.SigningMethodHS256, "rsa1", rsaPub, claims(nil)), `algorithm "HS256"`},
		{"HS256 with RSA public key PEM", d.token(t, jwt.SigningMethodHS256, "rsa1", rsaPEM, claims(nil)), `algorithm "HS256"`},
		{"ES256 token claiming the RSA kid", d.token(t, jwt.SigningMethodES256, "rsa1", ecKey, claims(nil)), "key is for RS256"},
		{"RS256 token claiming the EC kid", d.token(t, jwt.SigningMethodRS256, "ec1", rsaKey, claims(nil)), "does not fit the key"},
		{"signed by a stranger", d.token(t, jwt.SigningMethodES256, "ec1", mustEC(t), claims(nil)), "signature is invalid"},
		{"hmac kid from JWKS", d.token(t, jwt.SigningMethodHS256, "hmac", []byte("secret"), claims(nil)), `algorithm "HS256"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.s.Authenticate(ctx, c.token)
			wantUnauthorized(t, err, c.want)
		})
	}

	t.Run("unknown kid then rotation", func(t *testing.T) {
		newKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		tok := d.token(t, jwt.SigningMethodRS256, "rsa2", newKey, claims(nil))
		f.clk.advance(time.Minute) // let the first fetch age past the refetch limit
		before := d.fetches.Load()
		_, err := f.s.Authenticate(ctx, tok)
		wantUnauthorized(t, err, `unknown key "rsa2"`)
		if d.fetches.Load() != before+1 {
			t.Fatalf("unknown kid caused %d fetches, want 1", d.fetches.Load()-before)
		}
		// A flood of made-up kids does not hammer the JWKS URL.
		for i := range 50 {
			_, err := f.s.Authenticate(ctx, d.token(t, jwt.SigningMethodRS256, "bogus"+string(rune('a'+i%26)), newKey, claims(map[string]any{"jti": i})))
			wantUnauthorized(t, err, "unknown key")
		}
		if d.fetches.Load() != before+1 {
			t.Fatalf("flood caused %d more fetches", d.fetches.Load()-before-1)
		}
		// The issuer publishes the new key; after the limit the next token verifies.
		d.add("rsa2", newKey)
		f.clk.advance(jwksMinRefetch)
		if _, err := f.s.Authenticate(ctx, tok); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
		if d.fetches.Load() != before+2 {
			t.Fatalf("fetches %d, want 2", d.fetches.Load()-before)
		}
	})

	t.Run("JWKS down", func(t *testing.T) {
		d2 := newIDP(t)
		d2.fail = true
		f2 := newFixture(t, func(c *Config) {
			c.OIDC = []OIDCProvider{{Issuer: idpIssuer, Audience: idpAudience, JWKSURL: d2.srv.URL}}
		})
		_, err := f2.s.Authenticate(ctx, d.token(t, jwt.SigningMethodRS256, "rsa1", rsaKey, claims(nil)))
		if coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
			t.Fatalf("got %v, want unavailable", err)
		}
	})
}

func TestOIDCDiscovery(t *testing.T) {
	d := newIDP(t)
	ecKey := mustEC(t)
	d.add("k", ecKey)
	var issuer string
	disc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": d.srv.URL})
	}))
	defer disc.Close()
	issuer = disc.URL
	f := newFixture(t, func(c *Config) {
		c.OIDC = []OIDCProvider{{Issuer: issuer, Audience: idpAudience}}
	})
	now := f.clk.now()
	tok := d.token(t, jwt.SigningMethodES256, "", ecKey, jwt.MapClaims{"iss": issuer, "aud": idpAudience, "sub": "s", "exp": now.Add(time.Minute).Unix()})
	if _, err := f.s.Authenticate(context.Background(), tok); err != nil {
		t.Fatal(err) // also: no kid is fine when the set has one key
	}
}

func TestClaimStrings(t *testing.T) {
	c := jwt.MapClaims{
		"cognito:groups": []any{"admin", "staff"},
		"scope":          "openid admin,profile",
		"realm_access":   map[string]any{"roles": []any{"user"}},
	}
	for name, want := range map[string]int{"cognito:groups": 2, "scope": 3, "realm_access.roles": 1, "missing": 0, "realm_access.x.y": 0} {
		if got := claimStrings(c, name); len(got) != want {
			t.Errorf("%s: %v", name, got)
		}
	}
}

func mustEC(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
