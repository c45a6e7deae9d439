package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
)

const (
	apiKeyPrefix   = "ck_"
	apiKeyIDLen    = 10
	apiKeySecretSz = 32
)

// GenerateAPIKey returns a new token "ck_<id>_<secret>" (id: 10 lower-case
// alphanumerics; secret: 32 random bytes, base64url) and the record to store:
// ID and Hash (SHA-256 of the whole token) are set, Name and Roles are the
// caller's to fill. The token itself is never stored.
func GenerateAPIKey() (token string, key *coffer.APIKey) {
	id := randomAlnum(apiKeyIDLen, lowerAlnum)
	secret := make([]byte, apiKeySecretSz)
	rand.Read(secret)
	token = apiKeyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret)
	return token, &coffer.APIKey{ID: id, Hash: hashToken(token), CreatedAt: time.Now().UTC()}
}

// ParseAPIKey checks the shape of an API key token and returns its key id.
// The secret accepts base64url or base32 text of at least 32 characters, so
// operators may mint bootstrap keys with their own tools.
func ParseAPIKey(token string) (id string, err error) {
	rest, ok := strings.CutPrefix(token, apiKeyPrefix)
	if !ok {
		return "", coffer.Errorf(coffer.EUNAUTHORIZED, "API key must start with %q", apiKeyPrefix)
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) < 8 || len(id) > 12 || !lowerAlnumSet.all(id) {
		return "", coffer.Errorf(coffer.EUNAUTHORIZED, "malformed API key: want ck_<8-12 lower-case alphanumerics>_<secret>")
	}
	if len(secret) < 32 || len(secret) > 128 || !secretSet.all(secret) {
		return "", coffer.Errorf(coffer.EUNAUTHORIZED, "malformed API key %s: secret must be 32-128 base64url characters", id)
	}
	return id, nil
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// apiKeyCacheTTL bounds how long a revocation made by another process (or a
// direct store edit) can go unnoticed here.
const apiKeyCacheTTL = 5 * time.Second

func (s *Service) authAPIKey(ctx context.Context, token string) (*coffer.Principal, error) {
	id, err := ParseAPIKey(token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	k, ok := s.apiKeys.get(id, now)
	if !ok {
		k, err = s.st.APIKey(ctx, id)
		switch {
		case coffer.IsNotFound(err):
			k = nil // cached too, so unknown ids cannot hammer the store
		case err != nil:
			return nil, coffer.WrapError(coffer.EUNAVAILABLE, err, "cannot check the API key right now; try again")
		}
		s.apiKeys.put(id, k, now.Add(apiKeyCacheTTL), now, nil)
	}
	// The id is public; the secret is checked by comparing whole-token hashes
	// in constant time.
	if k == nil || subtle.ConstantTimeCompare(k.Hash, hashToken(token)) != 1 {
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "API key %s unknown or its secret is wrong", id)
	}
	if k.RevokedAt != nil && !now.Before(*k.RevokedAt) {
		return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "API key %s was revoked", id)
	}
	return &coffer.Principal{Issuer: "apikey", Subject: id, Roles: slices.Clone(k.Roles)}, nil
}

// CreateAPIKey stores a new API key with roles and returns its token, which
// is shown once and cannot be recovered.
func (s *Service) CreateAPIKey(ctx context.Context, name string, roles []string) (string, error) {
	if err := checkRoles(roles); err != nil {
		return "", err
	}
	for attempt := 0; ; attempt++ {
		token, k := GenerateAPIKey()
		k.Name, k.Roles, k.CreatedAt = name, slices.Clone(roles), s.now().UTC()
		err := s.st.CreateAPIKey(ctx, k)
		if coffer.ErrorCode(err) == coffer.ECONFLICT && attempt < 2 {
			continue // id collision: 36^10 makes this all but impossible
		}
		if err != nil {
			return "", err
		}
		s.apiKeys.del(k.ID)
		return token, nil
	}
}

// EnsureAPIKey makes sure the given token exists as an API key (used for
// COFFER_BOOTSTRAP_ADMIN_KEY). It is idempotent: an existing key with the same
// token is left alone (its name and roles are not updated); an existing id
// with a different secret, or a revoked one, is a conflict.
func (s *Service) EnsureAPIKey(ctx context.Context, token, name string, roles []string) error {
	id, err := ParseAPIKey(token)
	if err != nil {
		return coffer.Errorf(coffer.EINVALID, "%s", coffer.ErrorMessage(err))
	}
	if err := checkRoles(roles); err != nil {
		return err
	}
	defer s.apiKeys.del(id)
	check := func(k *coffer.APIKey) error {
		if subtle.ConstantTimeCompare(k.Hash, hashToken(token)) != 1 {
			return coffer.Errorf(coffer.ECONFLICT, "API key id %s already exists with a different secret; pick another key", id)
		}
		if k.RevokedAt != nil {
			return coffer.Errorf(coffer.ECONFLICT, "API key %s was revoked; configure a new one", id)
		}
		return nil
	}
	k, err := s.st.APIKey(ctx, id)
	if err == nil {
		return check(k)
	}
	if !coffer.IsNotFound(err) {
		return err
	}
	err = s.st.CreateAPIKey(ctx, &coffer.APIKey{
		ID: id, Name: name, Hash: hashToken(token), Roles: slices.Clone(roles), CreatedAt: s.now().UTC(),
	})
	if coffer.ErrorCode(err) == coffer.ECONFLICT {
		// Another replica created it at the same moment.
		if k, err = s.st.APIKey(ctx, id); err == nil {
			return check(k)
		}
	}
	return err
}

func checkRoles(roles []string) error {
	if len(roles) == 0 {
		return coffer.Errorf(coffer.EINVALID, "an API key needs at least one role (%q or %q)", coffer.RoleUser, coffer.RoleAdmin)
	}
	for _, r := range roles {
		if r != coffer.RoleUser && r != coffer.RoleAdmin {
			return coffer.Errorf(coffer.EINVALID, "unknown role %q; want %q or %q", r, coffer.RoleUser, coffer.RoleAdmin)
		}
	}
	return nil
}

const (
	lowerAlnum     = "abcdefghijklmnopqrstuvwxyz0123456789"
	alnum          = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	base64URLChars = alnum + "-_"
)

// randomAlnum draws n characters uniformly from set (len(set) <= 256) using
// rejection sampling, so there is no modulo bias.
func randomAlnum(n int, set string) string {
	limit := 256 - 256%len(set)
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, set[int(b)%len(set)])
			}
		}
	}
	return string(out)
}

// charset is a byte-membership table; validation runs on every request.
type charset [256]bool

func newCharset(chars string) *charset {
	var c charset
	for i := 0; i < len(chars); i++ {
		c[chars[i]] = true
	}
	return &c
}

func (c *charset) all(s string) bool {
	for i := 0; i < len(s); i++ {
		if !c[s[i]] {
			return false
		}
	}
	return true
}

var (
	lowerAlnumSet = newCharset(lowerAlnum)
	secretSet     = newCharset(base64URLChars + "=") // base64url, padded or not, or base32
	hexSet        = newCharset("0123456789abcdef")
	base64URLSet  = newCharset(base64URLChars)
)
