package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/common"
	"github.com/golang-jwt/jwt/v5"
)

// Audience is the aud of every coffer access token.
const Audience = "coffer"

// accessClaims are the claims of a coffer access token. idp/idsub name the
// identity behind the user (("siwe", address) today) so Authenticate can
// build the principal without a store read.
type accessClaims struct {
	jwt.RegisteredClaims
	SID   string   `json:"sid"`
	Roles []string `json:"roles"`
	IDP   string   `json:"idp,omitempty"`
	IDSub string   `json:"idsub,omitempty"`
}

func (s *Service) issueAccess(u *coffer.User, sid string, roles []string, now time.Time) (string, error) {
	c := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.cfg.Issuer,
			Subject:   u.ID,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
			ID:        randomAlnum(22, alnum),
		},
		SID:   sid,
		Roles: roles,
		IDP:   u.Issuer,
		IDSub: u.Subject,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	t.Header["kid"] = s.key.kid
	return t.SignedString(s.key.priv)
}

// verifyAccess checks a coffer access token: ES256 only, kid one of ours,
// iss/aud/exp/nbf with the configured leeway. The session is checked by the
// caller on every request.
func (s *Service) verifyAccess(token string, hdr jwtHeader) (*coffer.Principal, time.Time, error) {
	if hdr.Alg != "ES256" {
		return nil, time.Time{}, coffer.Errorf(coffer.EUNAUTHORIZED, "access token algorithm %q not accepted (want ES256)", hdr.Alg)
	}
	var c accessClaims
	_, err := s.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		pub, ok := s.verifyKeys[kid]
		if !ok {
			return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "access token signed by unknown key %q; sign in again", kid)
		}
		return pub, nil
	})
	if err != nil {
		return nil, time.Time{}, tokenError("access token", "", err)
	}
	if c.Subject == "" || c.SID == "" || c.ExpiresAt == nil {
		return nil, time.Time{}, coffer.Errorf(coffer.EUNAUTHORIZED, "access token lacks sub, sid or exp")
	}
	p := &coffer.Principal{UserID: c.Subject, Issuer: c.IDP, Subject: c.IDSub, Roles: c.Roles, SessionID: c.SID}
	if c.IDP == issuerSIWE && common.IsHexAddress(c.IDSub) {
		a := common.HexToAddress(c.IDSub)
		p.Address = &a
	}
	return p, c.ExpiresAt.Time, nil
}

// jwtHeader and peekJWT read a JWT's header and iss without verifying
// anything, only to route the token to the right verifier.
type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

func peekJWT(token string) (jwtHeader, string, error) {
	var hdr jwtHeader
	h, rest, ok1 := strings.Cut(token, ".")
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") {
		return hdr, "", coffer.Errorf(coffer.EUNAUTHORIZED, "bearer token is neither a JWT nor an API key (ck_…)")
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(h)
	pb, err2 := base64.RawURLEncoding.DecodeString(p)
	if err1 != nil || err2 != nil {
		return hdr, "", coffer.Errorf(coffer.EUNAUTHORIZED, "malformed JWT: bad base64url")
	}
	var payload struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(pb, &payload) != nil {
		return hdr, "", coffer.Errorf(coffer.EUNAUTHORIZED, "malformed JWT: bad JSON")
	}
	return hdr, payload.Iss, nil
}

// tokenError turns a jwt error into an EUNAUTHORIZED a person can act on.
// what names the token ("access token", "token from <iss>").
func tokenError(what, aud string, err error) error {
	var ce *coffer.Error
	if errors.As(err, &ce) {
		return ce
	}
	var msg string
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		msg = "malformed " + what
	case errors.Is(err, jwt.ErrTokenExpired):
		msg = what + " expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		msg = what + " not valid yet (nbf is in the future; check clocks)"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		msg = what + " issued in the future (check clocks)"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		if aud == "" {
			aud = Audience
		}
		msg = fmt.Sprintf("%s audience does not include %q", what, aud)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		msg = what + " has the wrong issuer"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		msg = what + " lacks a required claim (exp)"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		msg = what + " signature is invalid"
	default:
		msg = what + " cannot be verified"
	}
	return coffer.WrapError(coffer.EUNAUTHORIZED, err, "%s", msg)
}

// sessionState is what the live-session cache remembers.
type sessionState struct {
	userID    string
	revoked   bool
	expiresAt time.Time
}

// sessionCacheTTL is the window in which a session revoked by another process
// (another replica, or the store edited directly) still passes here. A
// revocation made through this Service takes effect at once.
const sessionCacheTTL = 5 * time.Second

func (s *Service) checkSession(ctx context.Context, sid, userID string, now time.Time) error {
	st, ok := s.sessions.get(sid, now)
	if !ok {
		sess, err := s.st.Session(ctx, sid)
		switch {
		case coffer.IsNotFound(err):
			st = sessionState{revoked: true}
		case err != nil:
			return coffer.WrapError(coffer.EUNAVAILABLE, err, "cannot check the session right now; try again")
		default:
			st = sessionState{userID: sess.UserID, revoked: sess.RevokedAt != nil, expiresAt: sess.ExpiresAt}
		}
		s.sessions.put(sid, st, now.Add(sessionCacheTTL), now, func(old sessionState) bool { return old.revoked })
	}
	switch {
	case st.revoked:
		return coffer.Errorf(coffer.EUNAUTHORIZED, "session was revoked (logged out); sign in again")
	case !now.Before(st.expiresAt):
		return coffer.Errorf(coffer.EUNAUTHORIZED, "session expired; sign in again")
	case st.userID != userID:
		return coffer.Errorf(coffer.EUNAUTHORIZED, "access token does not match its session")
	}
	return nil
}

func (s *Service) forgetSession(sid string) {
	now := s.now()
	s.sessions.put(sid, sessionState{revoked: true}, now.Add(sessionCacheTTL), now, nil)
}

// verifiedToken is a bearer JWT whose signature and claims already passed.
// Caching it skips the ECDSA/RSA verification on repeat requests; expiry and
// the session are still checked on every use.
type verifiedToken struct {
	p   *coffer.Principal
	exp time.Time
}

const verifiedCacheTTL = 5 * time.Minute

func clonePrincipal(p *coffer.Principal) *coffer.Principal {
	c := *p
	c.Roles = slices.Clone(p.Roles)
	if p.Address != nil {
		a := *p.Address
		c.Address = &a
	}
	return &c
}
