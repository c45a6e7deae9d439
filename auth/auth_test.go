package auth

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/golang-jwt/jwt/v5"
)

const testIssuer = "https://coffer.example"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	s   *Service
	st  *fakeStore
	clk *clock
	key *SigningKey
}

func newFixture(t testing.TB, mod ...func(*Config)) *fixture {
	t.Helper()
	key, err := NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Issuer: testIssuer, ChainID: 1}
	for _, m := range mod {
		m(&cfg)
	}
	st := newFakeStore()
	s, err := NewService(st, key, cfg)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	s.now = clk.now
	return &fixture{s: s, st: st, clk: clk, key: key}
}

type siweMsg struct {
	Domain  string
	Address common.Address
	URI     string
	ChainID uint64
	Nonce   string
	Issued  time.Time
	Expires *time.Time
}

func (m siweMsg) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s wants you to sign in with your Ethereum account:\n%s\n\nSign in to coffer.\n\n", m.Domain, m.Address.Hex())
	fmt.Fprintf(&b, "URI: %s\nVersion: 1\nChain ID: %d\nNonce: %s\nIssued At: %s", m.URI, m.ChainID, m.Nonce, m.Issued.UTC().Format(time.RFC3339))
	if m.Expires != nil {
		fmt.Fprintf(&b, "\nExpiration Time: %s", m.Expires.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// personalSign is what a wallet's personal_sign returns: EIP-191 hash, v+27.
func personalSign(t testing.TB, k *ecdsa.PrivateKey, msg string) []byte {
	t.Helper()
	sig, err := crypto.Sign(accounts.TextHash([]byte(msg)), k)
	if err != nil {
		t.Fatal(err)
	}
	sig[64] += 27
	return sig
}

func newWallet(t testing.TB) (*ecdsa.PrivateKey, common.Address) {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k, crypto.PubkeyToAddress(k.PublicKey)
}

// message builds a message for a fresh nonce that passes every check.
func (f *fixture) message(t testing.TB, addr common.Address) siweMsg {
	t.Helper()
	n, err := f.s.NewNonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return siweMsg{Domain: n.Domain, Address: addr, URI: n.URI, ChainID: n.ChainID, Nonce: n.Nonce, Issued: f.clk.now()}
}

func (f *fixture) signIn(t testing.TB) (*Tokens, common.Address) {
	t.Helper()
	k, addr := newWallet(t)
	m := f.message(t, addr).String()
	tok, err := f.s.SignIn(context.Background(), m, personalSign(t, k, m))
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	return tok, addr
}

// wantUnauthorized fails unless err is EUNAUTHORIZED mentioning want.
func wantUnauthorized(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want unauthorized %q", want)
	}
	if coffer.ErrorCode(err) != coffer.EUNAUTHORIZED {
		t.Fatalf("code %s (%v), want unauthorized", coffer.ErrorCode(err), err)
	}
	if !strings.Contains(coffer.ErrorMessage(err), want) {
		t.Fatalf("message %q does not contain %q", coffer.ErrorMessage(err), want)
	}
}

func TestSignInSuccess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n, err := f.s.NewNonce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Nonce) < 16 || !newCharset(alnum).all(n.Nonce) {
		t.Fatalf("nonce %q: want >= 16 alphanumerics", n.Nonce)
	}
	if n.Domain != "coffer.example" || n.URI != testIssuer || n.ChainID != 1 || !n.ExpiresAt.After(n.IssuedAt) {
		t.Fatalf("nonce %+v", n)
	}
	k, addr := newWallet(t)
	m := siweMsg{Domain: n.Domain, Address: addr, URI: n.URI, ChainID: 1, Nonce: n.Nonce, Issued: f.clk.now()}.String()
	tok, err := f.s.SignIn(ctx, m, personalSign(t, k, m))
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 900 || !strings.HasPrefix(tok.RefreshToken, "crt_") {
		t.Fatalf("tokens %+v", tok)
	}
	if tok.User.Issuer != "siwe" || tok.User.Subject != strings.ToLower(addr.Hex()) || *tok.User.Address != addr {
		t.Fatalf("user %+v", tok.User)
	}
	p, err := f.s.Authenticate(ctx, "Bearer "+tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != tok.User.ID || p.Issuer != "siwe" || p.Subject != strings.ToLower(addr.Hex()) ||
		p.SessionID == "" || p.Address == nil || *p.Address != addr || !p.Has(coffer.RoleUser) || p.IsAdmin() {
		t.Fatalf("principal %+v", p)
	}

	// The same wallet signing in again is the same user, in a new session.
	m2 := f.message(t, addr).String()
	tok2, err := f.s.SignIn(ctx, m2, personalSign(t, k, m2))
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := f.s.Authenticate(ctx, tok2.AccessToken)
	if tok2.User.ID != tok.User.ID || p2.SessionID == p.SessionID {
		t.Fatalf("second sign-in: user %s vs %s, session %s vs %s", tok2.User.ID, tok.User.ID, p2.SessionID, p.SessionID)
	}

	// The access token carries the documented claims.
	parts := strings.Split(tok.AccessToken, ".")
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var hdr, cl map[string]any
	json.Unmarshal(hb, &hdr)
	json.Unmarshal(pb, &cl)
	if hdr["alg"] != "ES256" || hdr["kid"] != f.key.KeyID() {
		t.Fatalf("header %v", hdr)
	}
	for _, c := range []string{"iss", "sub", "sid", "roles", "iat", "nbf", "exp", "aud", "jti"} {
		if _, ok := cl[c]; !ok {
			t.Errorf("claim %s missing: %v", c, cl)
		}
	}
}

func TestSignInFailures(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	k, addr := newWallet(t)
	signIn := func(m siweMsg) error {
		s := m.String()
		_, err := f.s.SignIn(ctx, s, personalSign(t, k, s))
		return err
	}

	t.Run("reused nonce", func(t *testing.T) {
		m := f.message(t, addr)
		if err := signIn(m); err != nil {
			t.Fatal(err)
		}
		wantUnauthorized(t, signIn(m), "nonce unknown, expired or already used")
	})
	t.Run("unknown nonce", func(t *testing.T) {
		m := f.message(t, addr)
		m.Nonce = "NeverIssuedHere12345"
		wantUnauthorized(t, signIn(m), "nonce unknown")
	})
	t.Run("expired nonce", func(t *testing.T) {
		m := f.message(t, addr)
		f.clk.advance(11 * time.Minute)
		m.Issued = f.clk.now() // a client that built the message late
		wantUnauthorized(t, signIn(m), "nonce unknown, expired")
	})
	t.Run("stale message", func(t *testing.T) {
		m := f.message(t, addr)
		f.clk.advance(11 * time.Minute)
		wantUnauthorized(t, signIn(m), "message expired")
	})
	t.Run("expiration time passed", func(t *testing.T) {
		m := f.message(t, addr)
		exp := f.clk.now().Add(time.Minute)
		m.Expires = &exp
		f.clk.advance(2 * time.Minute)
		wantUnauthorized(t, signIn(m), "expired")
	})
	t.Run("wrong domain", func(t *testing.T) {
		m := f.message(t, addr)
		m.Domain = "evil.example"
		wantUnauthorized(t, signIn(m), "domain mismatch")
	})
	t.Run("wrong uri", func(t *testing.T) {
		m := f.message(t, addr)
		m.URI = "https://evil.example"
		wantUnauthorized(t, signIn(m), "URI mismatch")
	})
	t.Run("wrong chain", func(t *testing.T) {
		m := f.message(t, addr)
		m.ChainID = 5
		wantUnauthorized(t, signIn(m), "chain ID mismatch")
	})
	t.Run("issued in the future", func(t *testing.T) {
		m := f.message(t, addr)
		m.Issued = f.clk.now().Add(5 * time.Minute)
		wantUnauthorized(t, signIn(m), "issued in the future")
	})
	t.Run("another key signed", func(t *testing.T) {
		other, _ := newWallet(t)
		m := f.message(t, addr)
		s := m.String()
		_, err := f.s.SignIn(ctx, s, personalSign(t, other, s))
		wantUnauthorized(t, err, "signature does not match address "+addr.Hex())
		// The attempt burned the nonce: the right signature now fails too.
		_, err = f.s.SignIn(ctx, s, personalSign(t, k, s))
		wantUnauthorized(t, err, "nonce unknown")
	})
	t.Run("signature over other text", func(t *testing.T) {
		m := f.message(t, addr)
		_, err := f.s.SignIn(ctx, m.String(), personalSign(t, k, m.String()+" "))
		wantUnauthorized(t, err, "signature does not match address")
	})
	t.Run("short signature", func(t *testing.T) {
		m := f.message(t, addr)
		_, err := f.s.SignIn(ctx, m.String(), []byte{1, 2, 3})
		wantUnauthorized(t, err, "signature does not match address")
	})
	t.Run("malformed", func(t *testing.T) {
		for _, msg := range []string{"", "hello", strings.Replace(f.message(t, addr).String(), "Version: 1", "Version 1", 1)} {
			_, err := f.s.SignIn(ctx, msg, make([]byte, 65))
			wantUnauthorized(t, err, "malformed SIWE message")
		}
	})
}

type fakeContracts struct {
	wallet common.Address
	sig    []byte
	calls  int
}

func (c *fakeContracts) IsValidSignature(_ context.Context, chainID uint64, w common.Address, hash [32]byte, sig []byte) (bool, error) {
	c.calls++
	return chainID == 1 && w == c.wallet && string(sig) == string(c.sig), nil
}

func TestSignInContractWallet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	wallet := common.HexToAddress("0x5FbDB2315678afecb367f642d3e1c5cd4a0e6f1a")
	cv := &fakeContracts{wallet: wallet, sig: []byte("safe-multisig-signature-bytes")}

	m := f.message(t, wallet).String()
	_, err := f.s.SignIn(ctx, m, cv.sig)
	wantUnauthorized(t, err, "signature does not match address "+wallet.Hex())

	f.s.SetContractVerifier(cv)
	m = f.message(t, wallet).String()
	tok, err := f.s.SignIn(ctx, m, cv.sig)
	if err != nil {
		t.Fatal(err)
	}
	if *tok.User.Address != wallet || cv.calls != 1 {
		t.Fatalf("user %+v, verifier calls %d", tok.User, cv.calls)
	}
	m = f.message(t, wallet).String()
	_, err = f.s.SignIn(ctx, m, []byte("wrong"))
	wantUnauthorized(t, err, "signature does not match address")

	// An EOA signature never reaches the verifier.
	f.signIn(t)
	if cv.calls != 2 {
		t.Fatalf("verifier calls %d, want 2", cv.calls)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t0, _ := f.signIn(t)

	t1, err := f.s.Refresh(ctx, t0.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if t1.RefreshToken == t0.RefreshToken || t1.AccessToken == t0.AccessToken || t1.User.ID != t0.User.ID {
		t.Fatal("refresh did not rotate")
	}
	p1, err := f.s.Authenticate(ctx, t1.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	f.clk.advance(time.Second)
	t2, err := f.s.Refresh(ctx, t1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}

	// t0's refresh token was rotated away: using it again revokes everything.
	_, err = f.s.Refresh(ctx, t0.RefreshToken)
	wantUnauthorized(t, err, "already used")
	_, err = f.s.Refresh(ctx, t2.RefreshToken)
	wantUnauthorized(t, err, "revoked")
	_, err = f.s.Authenticate(ctx, t2.AccessToken)
	wantUnauthorized(t, err, "session was revoked")
	if sess, _ := f.st.Session(ctx, p1.SessionID); sess.RevokedAt == nil {
		t.Fatal("session not revoked in the store")
	}

	// Malformed, unknown and expired refresh tokens.
	_, err = f.s.Refresh(ctx, "crt_nope")
	wantUnauthorized(t, err, "malformed refresh token")
	_, err = f.s.Refresh(ctx, newRefreshToken(newID()))
	wantUnauthorized(t, err, "refresh token unknown")
	t3, _ := f.signIn(t)
	f.clk.advance(31 * 24 * time.Hour)
	_, err = f.s.Refresh(ctx, t3.RefreshToken)
	wantUnauthorized(t, err, "refresh token expired")
}

func TestRefreshRace(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t0, _ := f.signIn(t)
	p, _ := f.s.Authenticate(ctx, t0.AccessToken)
	// Another request with the same refresh token wins between our read of
	// the session and our RotateSession.
	f.st.beforeRotate = func() {
		f.st.beforeRotate = nil
		f.st.mu.Lock()
		f.st.sessions[p.SessionID].RefreshHash = hashToken(newRefreshToken(p.SessionID))
		f.st.mu.Unlock()
	}
	_, err := f.s.Refresh(ctx, t0.RefreshToken)
	wantUnauthorized(t, err, "already used")
	_, err = f.s.Authenticate(ctx, t0.AccessToken)
	wantUnauthorized(t, err, "revoked")
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, _ := f.signIn(t)
	other, _ := f.signIn(t)
	p, err := f.s.Authenticate(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.Logout(ctx, p); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.Authenticate(ctx, tok.AccessToken)
	wantUnauthorized(t, err, "session was revoked")
	_, err = f.s.Refresh(ctx, tok.RefreshToken)
	wantUnauthorized(t, err, "revoked")
	if err := f.s.Logout(ctx, p); err != nil {
		t.Fatalf("second logout: %v", err)
	}
	if _, err := f.s.Authenticate(ctx, other.AccessToken); err != nil {
		t.Fatalf("other session: %v", err)
	}
	if err := f.s.Logout(ctx, &coffer.Principal{Issuer: "apikey", Subject: "x"}); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Fatalf("logout of an API key: %v", err)
	}
}

// A revocation made elsewhere (another replica) is honoured once the
// live-session cache entry lapses.
func TestRevocationWindow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, _ := f.signIn(t)
	p, err := f.s.Authenticate(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	f.st.RevokeSession(ctx, p.SessionID, f.clk.now())
	if _, err := f.s.Authenticate(ctx, tok.AccessToken); err != nil {
		t.Fatalf("within the cache window: %v", err)
	}
	f.clk.advance(sessionCacheTTL)
	_, err = f.s.Authenticate(ctx, tok.AccessToken)
	wantUnauthorized(t, err, "session was revoked")
}

func TestAccessTokenRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, _ := f.signIn(t)
	good := tok.AccessToken
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding
	payload, _ := enc.DecodeString(parts[1])
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	seg := func(v any) string {
		b, _ := json.Marshal(v)
		return enc.EncodeToString(b)
	}
	sign := func(method jwt.SigningMethod, key any, hdr map[string]any, cl map[string]any) string {
		tk := jwt.NewWithClaims(method, jwt.MapClaims(cl))
		for k, v := range hdr {
			tk.Header[k] = v
		}
		s, err := tk.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range claims {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	other, _ := NewSigningKey()
	pubDER := crypto.FromECDSAPub(f.key.Public())

	cases := []struct {
		name, token, want string
	}{
		{"tampered payload", parts[0] + "." + seg(with("roles", []string{"user", "admin"})) + "." + parts[2], "signature is invalid"},
		{"other key, our kid", sign(jwt.SigningMethodES256, other.priv, map[string]any{"kid": f.key.KeyID()}, claims), "signature is invalid"},
		{"other key, its kid", sign(jwt.SigningMethodES256, other.priv, map[string]any{"kid": other.KeyID()}, claims), "unknown key"},
		{"no kid", sign(jwt.SigningMethodES256, f.key.priv, nil, claims), "unknown key"},
		{"alg none", seg(map[string]any{"alg": "none", "kid": f.key.KeyID()}) + "." + parts[1] + ".", `algorithm "none" not accepted`},
		{"alg none via library", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": f.key.KeyID()}, claims), "not accepted"},
		{"HS256 with public key", sign(jwt.SigningMethodHS256, pubDER, map[string]any{"kid": f.key.KeyID()}, claims), `algorithm "HS256" not accepted`},
		{"wrong audience", sign(jwt.SigningMethodES256, f.key.priv, map[string]any{"kid": f.key.KeyID()}, with("aud", "someone-else")), "audience"},
		{"no exp", sign(jwt.SigningMethodES256, f.key.priv, map[string]any{"kid": f.key.KeyID()}, with("exp", nil)), "lacks a required claim"},
		{"foreign issuer", sign(jwt.SigningMethodES256, f.key.priv, map[string]any{"kid": f.key.KeyID()}, with("iss", "https://evil.example")), "not trusted"},
		{"issuer with trailing slash", sign(jwt.SigningMethodES256, f.key.priv, map[string]any{"kid": f.key.KeyID()}, with("iss", testIssuer+"/")), "not trusted"},
		{"not yet valid", sign(jwt.SigningMethodES256, f.key.priv, map[string]any{"kid": f.key.KeyID()}, with("nbf", f.clk.now().Add(time.Hour).Unix())), "not valid yet"},
		{"garbage", "not-a-token", "neither a JWT nor an API key"},
		{"refresh token as bearer", tok.RefreshToken, "not an access token"},
		{"empty", "Bearer ", "missing bearer token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.s.Authenticate(ctx, c.token)
			wantUnauthorized(t, err, c.want)
		})
	}

	// A re-signed copy with our key verifies (so the cases above fail for
	// the reason they name, not by accident).
	if _, err := f.s.Authenticate(ctx, sign(jwt.SigningMethodES256, f.key.priv, map[string]any{"kid": f.key.KeyID()}, claims)); err != nil {
		t.Fatalf("control: %v", err)
	}

	t.Run("expired", func(t *testing.T) {
		if _, err := f.s.Authenticate(ctx, good); err != nil {
			t.Fatal(err) // now in the verified cache
		}
		f.clk.advance(15*time.Minute + 31*time.Second)
		_, err := f.s.Authenticate(ctx, good)
		wantUnauthorized(t, err, "access token expired")
		f.s.verified = newTTLCache[string, verifiedToken](10)
		_, err = f.s.Authenticate(ctx, good)
		wantUnauthorized(t, err, "access token expired")
	})
}

func TestKeyRotation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, _ := f.signIn(t)

	next, _ := NewSigningKey()
	s2, err := NewService(f.st, next, Config{Issuer: testIssuer, ChainID: 1, PreviousKeys: []*SigningKey{f.key}})
	if err != nil {
		t.Fatal(err)
	}
	s2.now = f.clk.now
	if _, err := s2.Authenticate(ctx, tok.AccessToken); err != nil {
		t.Fatalf("old token after rotation: %v", err)
	}
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(s2.JWKS(), &set); err != nil || len(set.Keys) != 2 || set.Keys[0].Kid != next.KeyID() || set.Keys[1].Kid != f.key.KeyID() {
		t.Fatalf("JWKS %s (%v)", s2.JWKS(), err)
	}
	// Without the previous key, old tokens are refused.
	s3, _ := NewService(f.st, next, Config{Issuer: testIssuer, ChainID: 1})
	s3.now = f.clk.now
	_, err = s3.Authenticate(ctx, tok.AccessToken)
	wantUnauthorized(t, err, "unknown key")
}

func TestNewServiceConfig(t *testing.T) {
	key, _ := NewSigningKey()
	st := newFakeStore()
	for _, cfg := range []Config{
		{ChainID: 1},
		{Issuer: "coffer.example", ChainID: 1},
		{Issuer: testIssuer},
		{Issuer: testIssuer, ChainID: 1, OIDC: []OIDCProvider{{Issuer: testIssuer, Audience: "x"}}},
		{Issuer: testIssuer, ChainID: 1, OIDC: []OIDCProvider{{Issuer: "https://idp.example"}}},
	} {
		if _, err := NewService(st, key, cfg); err == nil {
			t.Errorf("NewService(%+v) accepted", cfg)
		}
	}
	s, err := NewService(st, key, Config{Issuer: "http://localhost:8080", ChainID: 31337, SIWEDomain: "app.localhost:3000", SIWEScheme: "http"})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := s.NewNonce(context.Background())
	if n.Domain != "app.localhost:3000" || n.URI != "http://app.localhost:3000" || n.ChainID != 31337 {
		t.Fatalf("nonce %+v", n)
	}
}
