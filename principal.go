package coffer

import (
	"context"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Roles a principal may hold.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// Principal is who is calling: a user signed in with SIWE or an external OIDC
// identity, or an operator holding an API key. A nil *Principal is a guest.
type Principal struct {
	UserID    string   // users.id; empty for API keys that are not tied to a user
	Issuer    string   // "siwe", an OIDC issuer URL, or "apikey"
	Subject   string   // address (siwe), "sub" claim (OIDC), key id (apikey)
	Roles     []string // RoleUser and/or RoleAdmin
	SessionID string   // coffer session behind an access token, for logout
	Address   *common.Address
}

// Has reports whether p holds role. A nil principal holds none.
func (p *Principal) Has(role string) bool {
	return p != nil && slices.Contains(p.Roles, role)
}

// IsAdmin reports whether p is an operator.
func (p *Principal) IsAdmin() bool { return p.Has(RoleAdmin) }

// ID names the principal in audit records and idempotency keys.
func (p *Principal) ID() string {
	switch {
	case p == nil:
		return "guest"
	case p.UserID != "":
		return "user:" + p.UserID
	default:
		return p.Issuer + ":" + p.Subject
	}
}

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, nil for a guest.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// User is a person known to coffer. Identities are (issuer, subject) pairs:
// ("siwe", lower-case address) for wallet sign-in, (iss, sub) for OIDC.
type User struct {
	ID        string
	Issuer    string
	Subject   string
	Address   *common.Address // the sign-in address for SIWE users
	CreatedAt time.Time
}

// APIKey is an operator credential. Only a hash of the secret is stored.
type APIKey struct {
	ID        string // public prefix, shown in logs
	Name      string
	Hash      []byte // SHA-256 of the full token
	Roles     []string
	CreatedAt time.Time
	RevokedAt *time.Time
}

// Session backs a refresh token. Refresh tokens rotate: each use replaces the
// hash; a revoked session refuses its access tokens too.
type Session struct {
	ID          string
	UserID      string
	RefreshHash []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
	RevokedAt   *time.Time
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id used in logs and audit records.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
