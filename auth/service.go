// Package auth authenticates callers of coffer: SIWE (EIP-4361) sign-in that
// yields coffer access tokens (ES256 JWTs) and rotating refresh tokens,
// external OIDC JWTs verified against their issuer's JWKS, and operator API
// keys. Authenticate turns any of these bearer tokens into a *coffer.Principal.
package auth

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/auth/siwe"
	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/golang-jwt/jwt/v5"
)

// issuerSIWE is the identity issuer of users who signed in with a wallet.
const issuerSIWE = "siwe"

// Config configures the Service. Zero durations take the defaults noted.
type Config struct {
	Issuer     string        // URL; the iss of coffer access tokens (required)
	AccessTTL  time.Duration // access token lifetime (15m)
	RefreshTTL time.Duration // session lifetime, extended on each refresh (720h)
	NonceTTL   time.Duration // SIWE nonce lifetime; also bounds a message's age (10m)
	Skew       time.Duration // clock leeway for JWT and SIWE times (30s)

	// SIWE expectations. When SIWEDomain is empty, domain, scheme and URI are
	// taken from Issuer. SIWEURI "" accepts any URI on the domain.
	SIWEDomain, SIWEScheme, SIWEURI string
	ChainID                         uint64 // chain id SIWE messages must name (required)

	OIDC []OIDCProvider
	// HTTPClient fetches OIDC JWKS; nil uses a client with a 10s timeout.
	HTTPClient *http.Client
	// PreviousKeys are earlier signing keys: their tokens still verify and
	// their public halves stay in the JWKS until they are dropped here.
	PreviousKeys []*SigningKey
}

// ContractVerifier checks EIP-1271 signatures of contract wallets. It must
// report false (not an error) for an address that holds no code.
type ContractVerifier interface {
	IsValidSignature(ctx context.Context, chainID uint64, wallet common.Address, hash [32]byte, sig []byte) (bool, error)
}

// Service issues and checks coffer credentials. It is safe for concurrent use.
type Service struct {
	st         coffer.Store
	cfg        Config
	key        *SigningKey
	verifyKeys map[string]*ecdsa.PublicKey // kid → key
	jwks       []byte
	parser     *jwt.Parser
	oidc       map[string]*oidcVerifier // by issuer
	contracts  atomic.Pointer[ContractVerifier]
	now        func() time.Time

	sessions *ttlCache[string, sessionState]
	apiKeys  *ttlCache[string, *coffer.APIKey]
	verified *ttlCache[string, verifiedToken]
}

// NewService checks cfg, fills defaults and returns a Service.
func NewService(st coffer.Store, key *SigningKey, cfg Config) (*Service, error) {
	if st == nil || key == nil {
		return nil, errors.New("auth: store and signing key are required")
	}
	iss, err := url.Parse(cfg.Issuer)
	if err != nil || (iss.Scheme != "https" && iss.Scheme != "http") || iss.Host == "" {
		return nil, fmt.Errorf("auth: Issuer %q must be an http(s) URL", cfg.Issuer)
	}
	if cfg.ChainID == 0 {
		return nil, errors.New("auth: ChainID is required for SIWE")
	}
	cfg.AccessTTL = orDefault(cfg.AccessTTL, 15*time.Minute)
	cfg.RefreshTTL = orDefault(cfg.RefreshTTL, 30*24*time.Hour)
	cfg.NonceTTL = orDefault(cfg.NonceTTL, 10*time.Minute)
	cfg.Skew = orDefault(cfg.Skew, 30*time.Second)
	if cfg.SIWEDomain == "" {
		cfg.SIWEDomain, cfg.SIWEScheme = iss.Host, iss.Scheme
		if cfg.SIWEURI == "" {
			cfg.SIWEURI = cfg.Issuer
		}
	}
	if cfg.SIWEScheme == "" {
		cfg.SIWEScheme = "https"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}

	s := &Service{
		st:         st,
		cfg:        cfg,
		key:        key,
		verifyKeys: map[string]*ecdsa.PublicKey{key.kid: key.Public()},
		oidc:       make(map[string]*oidcVerifier),
		now:        time.Now,
		sessions:   newTTLCache[string, sessionState](100_000),
		apiKeys:    newTTLCache[string, *coffer.APIKey](10_000),
		verified:   newTTLCache[string, verifiedToken](50_000),
	}
	keys := []*SigningKey{key}
	for _, k := range cfg.PreviousKeys {
		if _, dup := s.verifyKeys[k.kid]; !dup {
			s.verifyKeys[k.kid] = k.Public()
			keys = append(keys, k)
		}
	}
	if s.jwks, err = buildJWKS(keys); err != nil {
		return nil, err
	}
	timeFn := func() time.Time { return s.now() }
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{"ES256"}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(cfg.Skew),
		jwt.WithTimeFunc(timeFn),
	)
	for _, p := range cfg.OIDC {
		if p.Issuer == "" || p.Audience == "" {
			return nil, fmt.Errorf("auth: OIDC provider %q needs Issuer and Audience", p.Issuer)
		}
		if p.Issuer == cfg.Issuer || p.Issuer == issuerSIWE || p.Issuer == "apikey" {
			return nil, fmt.Errorf("auth: OIDC issuer %q clashes with coffer's own", p.Issuer)
		}
		if _, dup := s.oidc[p.Issuer]; dup {
			return nil, fmt.Errorf("auth: OIDC issuer %q configured twice", p.Issuer)
		}
		s.oidc[p.Issuer] = newOIDCVerifier(p, cfg.HTTPClient, timeFn, cfg.Skew)
	}
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// SetContractVerifier enables EIP-1271 sign-in for contract wallets.
func (s *Service) SetContractVerifier(v ContractVerifier) {
	if v == nil {
		s.contracts.Store(nil)
		return
	}
	s.contracts.Store(&v)
}

// JWKS is the JSON for /.well-known/jwks.json: the public keys that verify
// coffer access tokens (the current one first). The caller may keep it.
func (s *Service) JWKS() []byte { return bytes.Clone(s.jwks) }

// Nonce is what a client needs to build a SIWE message.
type Nonce struct {
	Nonce     string    `json:"nonce"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Domain    string    `json:"domain"`
	URI       string    `json:"uri"`
	ChainID   uint64    `json:"chain_id"`
}

// NewNonce issues a single-use SIWE nonce (26 base32 characters, 130 bits).
func (s *Service) NewNonce(ctx context.Context) (Nonce, error) {
	now := s.now().UTC().Truncate(time.Second)
	n := Nonce{
		Nonce:     rand.Text(),
		IssuedAt:  now,
		ExpiresAt: now.Add(s.cfg.NonceTTL),
		Domain:    s.cfg.SIWEDomain,
		URI:       s.cfg.SIWEURI,
		ChainID:   s.cfg.ChainID,
	}
	if n.URI == "" {
		n.URI = s.cfg.SIWEScheme + "://" + s.cfg.SIWEDomain
	}
	if err := s.st.CreateNonce(ctx, n.Nonce, n.ExpiresAt); err != nil {
		return Nonce{}, err
	}
	return n, nil
}

// Tokens is the result of a sign-in or refresh.
type Tokens struct {
	AccessToken  string       `json:"access_token"`
	TokenType    string       `json:"token_type"` // "Bearer"
	ExpiresIn    int64        `json:"expires_in"` // seconds
	RefreshToken string       `json:"refresh_token"`
	User         *coffer.User `json:"-"`
}

// SignIn verifies a signed EIP-4361 message and opens a session.
//
// The nonce is consumed before the signature is checked, so any attempt with
// a well-formed message for this site burns it, whether the signature is good
// or not: a message cannot be retried with other signatures, and a client
// whose signature fails must fetch a new nonce. (Messages refused by parsing
// or by the domain/URI/chain/time checks never reach the nonce.)
func (s *Service) SignIn(ctx context.Context, message string, signature []byte) (*Tokens, error) {
	m, err := siwe.Parse(message)
	if err != nil {
		return nil, coffer.WrapError(coffer.EUNAUTHORIZED, err, "malformed SIWE message: %s", trimSIWE(err))
	}
	now := s.now()
	err = m.Validate(siwe.VerifyOptions{
		Domain:  s.cfg.SIWEDomain,
		Scheme:  s.cfg.SIWEScheme,
		URI:     s.cfg.SIWEURI,
		ChainID: s.cfg.ChainID,
		Now:     now,
		Skew:    s.cfg.Skew,
		MaxAge:  s.cfg.NonceTTL,
	})
	if err != nil {
		return nil, coffer.WrapError(coffer.EUNAUTHORIZED, err, "SIWE message refused: %s", trimSIWE(err))
	}
	if err := s.st.ConsumeNonce(ctx, m.Nonce, now); err != nil {
		if coffer.IsNotFound(err) {
			return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "SIWE nonce unknown, expired or already used; request a new one")
		}
		return nil, err
	}
	if err := s.verifySIWESignature(ctx, m, message, signature); err != nil {
		return nil, err
	}
	u, err := s.userFor(ctx, issuerSIWE, strings.ToLower(m.Address.Hex()), &m.Address)
	if err != nil {
		return nil, err
	}
	return s.openSession(ctx, u, now)
}

func (s *Service) verifySIWESignature(ctx context.Context, m *siwe.Message, message string, sig []byte) error {
	eoaErr := m.VerifySignature(message, sig)
	if eoaErr == nil {
		return nil
	}
	if message != m.String() {
		return coffer.WrapError(coffer.EUNAUTHORIZED, eoaErr, "SIWE message is not in canonical EIP-4361 form; sign the text exactly as formatted")
	}
	if vp := s.contracts.Load(); vp != nil {
		// Not an EOA signature by the address: maybe a contract wallet.
		var hash [32]byte
		copy(hash[:], accounts.TextHash([]byte(message)))
		ok, err := (*vp).IsValidSignature(ctx, m.ChainID, m.Address, hash, sig)
		if err != nil {
			return coffer.WrapError(coffer.EUNAVAILABLE, err, "cannot check the contract wallet signature of %s right now; try again", m.Address.Hex())
		}
		if ok {
			return nil
		}
	}
	return coffer.WrapError(coffer.EUNAUTHORIZED, eoaErr, "signature does not match address %s (%s)", m.Address.Hex(), trimSIWE(eoaErr))
}

func trimSIWE(err error) string { return strings.TrimPrefix(err.Error(), "siwe: ") }

// userFor finds the user with identity (issuer, subject) or creates it.
func (s *Service) userFor(ctx context.Context, issuer, subject string, addr *common.Address) (*coffer.User, error) {
	u, err := s.st.UserByIdentity(ctx, issuer, subject)
	if err == nil || !coffer.IsNotFound(err) {
		return u, err
	}
	u = &coffer.User{ID: newID(), Issuer: issuer, Subject: subject, Address: addr, CreatedAt: s.now().UTC()}
	err = s.st.CreateUser(ctx, u)
	if coffer.ErrorCode(err) == coffer.ECONFLICT {
		// The same identity signed in concurrently; take the winner's row.
		return s.st.UserByIdentity(ctx, issuer, subject)
	}
	return u, err
}

const refreshPrefix = "crt_"

func (s *Service) openSession(ctx context.Context, u *coffer.User, now time.Time) (*Tokens, error) {
	sess := &coffer.Session{ID: newID(), UserID: u.ID, CreatedAt: now.UTC(), ExpiresAt: now.Add(s.cfg.RefreshTTL).UTC()}
	refresh := newRefreshToken(sess.ID)
	sess.RefreshHash = hashToken(refresh)
	if err := s.st.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return s.tokens(u, sess.ID, refresh, now)
}

func (s *Service) tokens(u *coffer.User, sid, refresh string, now time.Time) (*Tokens, error) {
	access, err := s.issueAccess(u, sid, []string{coffer.RoleUser}, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int64(s.cfg.AccessTTL / time.Second),
		RefreshToken: refresh,
		User:         u,
	}, nil
}

// newRefreshToken is "crt_<session id>_<32 random bytes, base64url>"; the
// session id lets Refresh find the row, the secret is what proves possession.
func newRefreshToken(sid string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return refreshPrefix + sid + "_" + base64.RawURLEncoding.EncodeToString(b)
}

func parseRefreshToken(tok string) (sid string, err error) {
	rest, ok := strings.CutPrefix(tok, refreshPrefix)
	sid, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(sid) != 32 || !hexSet.all(sid) || len(secret) != 43 || !base64URLSet.all(secret) {
		return "", coffer.Errorf(coffer.EUNAUTHORIZED, "malformed refresh token")
	}
	return sid, nil
}

// newID is a random 128-bit id, hex. No '_' so it can sit inside tokens.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Refresh trades a refresh token for a new pair; the old one dies. Presenting
// a refresh token that was already rotated away means it leaked (or a client
// raced itself): the whole session is revoked and the user must sign in again.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	sid, err := parseRefreshToken(refreshToken)
	if err != nil {
		return nil, err
	}
	now := s.now()
	sess, err := s.st.Session(ctx, sid)
	if coffer.IsNotFound(err) {
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "refresh token unknown; sign in again")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case sess.RevokedAt != nil:
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "session was revoked; sign in again")
	case !now.Before(sess.ExpiresAt):
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "refresh token expired; sign in again")
	}
	oldHash := hashToken(refreshToken)
	if subtle.ConstantTimeCompare(sess.RefreshHash, oldHash) != 1 {
		return nil, s.reuse(ctx, sid, now)
	}
	next := newRefreshToken(sid)
	err = s.st.RotateSession(ctx, sid, oldHash, hashToken(next), now, now.Add(s.cfg.RefreshTTL).UTC())
	if coffer.IsNotFound(err) {
		// Lost a race with another use of the same token: if the session is
		// still live, that other use rotated it, so this is a reuse.
		if cur, err2 := s.st.Session(ctx, sid); err2 == nil && cur.RevokedAt == nil && now.Before(cur.ExpiresAt) {
			return nil, s.reuse(ctx, sid, now)
		}
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "session ended; sign in again")
	}
	if err != nil {
		return nil, err
	}
	u, err := s.st.User(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	return s.tokens(u, sid, next, now)
}

func (s *Service) reuse(ctx context.Context, sid string, now time.Time) error {
	if err := s.st.RevokeSession(ctx, sid, now); err != nil && !coffer.IsNotFound(err) {
		return err
	}
	s.forgetSession(sid)
	return coffer.Errorf(coffer.EUNAUTHORIZED, "refresh token was already used; the session is revoked for safety, sign in again")
}

// Logout revokes the session behind p's access token. Its access tokens are
// refused from then on (at once by this process, within sessionCacheTTL by
// other processes sharing the store).
func (s *Service) Logout(ctx context.Context, p *coffer.Principal) error {
	if p == nil || p.SessionID == "" {
		return coffer.Errorf(coffer.EINVALID, "only a coffer access token can log out; API keys and external OIDC tokens are revoked where they were issued")
	}
	err := s.st.RevokeSession(ctx, p.SessionID, s.now())
	s.forgetSession(p.SessionID)
	if coffer.IsNotFound(err) {
		return nil // already gone: logging out twice is fine
	}
	return err
}

// maxBearer bounds the bearer token we are willing to parse.
const maxBearer = 16 << 10

// Authenticate turns a bearer token into a principal: "ck_…" is an API key, a
// JWT whose iss is ours is a coffer access token, a JWT from a configured OIDC
// issuer is checked against that issuer's keys. A leading "Bearer " is
// tolerated. Every failure is EUNAUTHORIZED with the reason (EUNAVAILABLE
// when a dependency could not be reached).
func (s *Service) Authenticate(ctx context.Context, bearer string) (*coffer.Principal, error) {
	if len(bearer) >= 7 && strings.EqualFold(bearer[:7], "bearer ") {
		bearer = bearer[7:]
	}
	bearer = strings.TrimSpace(bearer)
	switch {
	case bearer == "":
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "missing bearer token")
	case len(bearer) > maxBearer:
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "bearer token longer than %d bytes", maxBearer)
	case strings.HasPrefix(bearer, apiKeyPrefix):
		return s.authAPIKey(ctx, bearer)
	case strings.HasPrefix(bearer, refreshPrefix):
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "a refresh token is not an access token; exchange it at POST /v1/auth/refresh")
	}
	now := s.now()
	if v, ok := s.verified.get(bearer, now); ok {
		return s.admit(ctx, v, now)
	}
	hdr, iss, err := peekJWT(bearer)
	if err != nil {
		return nil, err
	}
	var v verifiedToken
	switch ov := s.oidc[iss]; {
	case iss == s.cfg.Issuer:
		if v.p, v.exp, err = s.verifyAccess(bearer, hdr); err != nil {
			return nil, err
		}
	case ov != nil:
		sub, roles, exp, err := ov.verify(ctx, bearer, hdr)
		if err != nil {
			return nil, err
		}
		u, err := s.userFor(ctx, iss, sub, nil)
		if err != nil {
			return nil, err
		}
		v = verifiedToken{p: &coffer.Principal{UserID: u.ID, Issuer: iss, Subject: sub, Roles: roles}, exp: exp}
	case iss == "":
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "JWT has no iss claim")
	default:
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "token issuer %q is not trusted here", iss)
	}
	s.verified.put(bearer, v, minTime(v.exp, now.Add(verifiedCacheTTL)), now, nil)
	return s.admit(ctx, v, now)
}

// admit applies the per-request checks to a verified token: expiry (the cache
// may hold it a little longer than that) and, for coffer tokens, the session.
func (s *Service) admit(ctx context.Context, v verifiedToken, now time.Time) (*coffer.Principal, error) {
	if !now.Before(v.exp.Add(s.cfg.Skew)) {
		if v.p.SessionID != "" {
			return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "access token expired")
		}
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "token from %s expired", v.p.Issuer)
	}
	if v.p.SessionID != "" {
		if err := s.checkSession(ctx, v.p.SessionID, v.p.UserID, now); err != nil {
			return nil, err
		}
	}
	return clonePrincipal(v.p), nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
