package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/golang-jwt/jwt/v5"
)

// OIDCProvider is an external issuer whose JWTs are accepted as bearer tokens
// (Amazon Cognito, Auth0, Keycloak…).
type OIDCProvider struct {
	Issuer   string // must equal the token's iss exactly
	Audience string // must be one of the token's aud
	JWKSURL  string // "" → discovered from Issuer/.well-known/openid-configuration
	// RolesClaim optionally names a claim (dotted path for nested objects, e.g.
	// "realm_access.roles") whose value containing "admin" grants RoleAdmin.
	RolesClaim string
}

var oidcAlgs = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "EdDSA"}

const (
	jwksMaxAge     = time.Hour        // refetch keys at least this often
	jwksMinRefetch = 30 * time.Second // at most one refetch per this, however many unknown kids arrive
	jwksMaxBody    = 1 << 20
)

type oidcKey struct {
	pub any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	alg string // from the JWK; "" when the issuer did not say
}

type oidcVerifier struct {
	cfg    OIDCProvider
	client *http.Client
	now    func() time.Time
	parser *jwt.Parser

	fetchMu sync.Mutex // one JWKS fetch at a time

	mu         sync.Mutex
	keys       map[string]oidcKey
	fetchedAt  time.Time
	lastTry    time.Time
	minRefetch time.Duration
}

func newOIDCVerifier(p OIDCProvider, client *http.Client, now func() time.Time, leeway time.Duration) *oidcVerifier {
	return &oidcVerifier{
		cfg:    p,
		client: client,
		now:    now,
		parser: jwt.NewParser(
			jwt.WithValidMethods(oidcAlgs),
			jwt.WithIssuer(p.Issuer),
			jwt.WithAudience(p.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(leeway),
			jwt.WithTimeFunc(now),
		),
		minRefetch: jwksMinRefetch,
	}
}

// verify checks the token and returns its subject and roles.
func (v *oidcVerifier) verify(ctx context.Context, token string, hdr jwtHeader) (sub string, roles []string, exp time.Time, err error) {
	what := "token from " + v.cfg.Issuer
	if !slices.Contains(oidcAlgs, hdr.Alg) {
		return "", nil, exp, coffer.Errorf(coffer.EUNAUTHORIZED, "%s uses algorithm %q; accepted: %s", what, hdr.Alg, strings.Join(oidcAlgs, ", "))
	}
	claims := jwt.MapClaims{}
	_, err = v.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, err := v.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		if err := keyFits(k, t.Method.Alg()); err != nil {
			return nil, coffer.Errorf(coffer.EUNAUTHORIZED, "%s: %v", what, err)
		}
		return k.pub, nil
	})
	if err != nil {
		return "", nil, exp, tokenError(what, v.cfg.Audience, err)
	}
	sub, _ = claims.GetSubject()
	if sub == "" {
		return "", nil, exp, coffer.Errorf(coffer.EUNAUTHORIZED, "%s has no sub claim", what)
	}
	e, _ := claims.GetExpirationTime()
	roles = []string{coffer.RoleUser}
	if v.cfg.RolesClaim != "" && slices.Contains(claimStrings(claims, v.cfg.RolesClaim), coffer.RoleAdmin) {
		roles = append(roles, coffer.RoleAdmin)
	}
	return sub, roles, e.Time, nil
}

// keyFits pins the algorithm to the key: an RSA key only verifies RS*, a
// P-256 key only ES256 and so on, and a JWK's own alg must match.
func keyFits(k oidcKey, alg string) error {
	if k.alg != "" && k.alg != alg {
		return fmt.Errorf("key is for %s, token says %s", k.alg, alg)
	}
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		if strings.HasPrefix(alg, "RS") && pub.N.BitLen() >= 2048 {
			return nil
		}
	case *ecdsa.PublicKey:
		if (alg == "ES256" && pub.Curve == elliptic.P256()) || (alg == "ES384" && pub.Curve == elliptic.P384()) {
			return nil
		}
	case ed25519.PublicKey:
		if alg == "EdDSA" {
			return nil
		}
	}
	return fmt.Errorf("algorithm %s does not fit the key", alg)
}

// key returns the key for kid, fetching the JWKS when the kid is unknown or
// the set is old. Refetches are rate-limited so a flood of made-up kids costs
// at most one request per minRefetch.
func (v *oidcVerifier) key(ctx context.Context, kid string) (oidcKey, error) {
	k, ok, fresh, seen := v.lookup(kid)
	if ok && fresh {
		return k, nil
	}
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	if k2, ok2, _, seen2 := v.lookup(kid); seen2 != seen {
		// Someone fetched while we waited.
		if ok2 {
			return k2, nil
		}
		return oidcKey{}, v.unknownKid(kid)
	}
	now := v.now()
	v.mu.Lock()
	limited := !v.lastTry.IsZero() && now.Sub(v.lastTry) < v.minRefetch
	if !limited {
		v.lastTry = now
	}
	v.mu.Unlock()
	if limited {
		if ok {
			return k, nil
		}
		return oidcKey{}, v.unknownKid(kid)
	}
	keys, err := v.fetch(ctx)
	if err != nil {
		if ok {
			return k, nil // keep serving with the keys we have
		}
		return oidcKey{}, coffer.WrapError(coffer.EUNAVAILABLE, err, "cannot fetch the signing keys of %s; try again", v.cfg.Issuer)
	}
	v.mu.Lock()
	v.keys, v.fetchedAt = keys, now
	v.mu.Unlock()
	if k, ok, _, _ = v.lookup(kid); ok {
		return k, nil
	}
	return oidcKey{}, v.unknownKid(kid)
}

func (v *oidcVerifier) unknownKid(kid string) error {
	return coffer.Errorf(coffer.EUNAUTHORIZED, "token from %s signed by unknown key %q", v.cfg.Issuer, kid)
}

// lookup finds kid in the current set; a token without kid is accepted only
// when the set holds a single key. seen identifies the fetch it came from.
func (v *oidcVerifier) lookup(kid string) (k oidcKey, ok, fresh bool, seen time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if kid == "" && len(v.keys) == 1 {
		for _, k = range v.keys {
		}
		ok = true
	} else {
		k, ok = v.keys[kid]
	}
	fresh = !v.fetchedAt.IsZero() && v.now().Sub(v.fetchedAt) < jwksMaxAge
	return k, ok, fresh, v.fetchedAt
}

func (v *oidcVerifier) fetch(ctx context.Context) (map[string]oidcKey, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	url := v.cfg.JWKSURL
	if url == "" {
		var disc struct {
			JWKSURI string `json:"jwks_uri"`
		}
		if err := v.getJSON(ctx, strings.TrimSuffix(v.cfg.Issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
			return nil, err
		}
		if disc.JWKSURI == "" {
			return nil, errors.New("openid-configuration has no jwks_uri")
		}
		url = disc.JWKSURI
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := v.getJSON(ctx, url, &set); err != nil {
		return nil, err
	}
	keys := make(map[string]oidcKey, len(set.Keys))
	for _, raw := range set.Keys {
		var j struct {
			jwk
			KeyOps []string `json:"key_ops"`
		}
		if json.Unmarshal(raw, &j) != nil || (j.Use != "" && j.Use != "sig") {
			continue
		}
		pub, err := parseJWK(j.jwk)
		if err != nil {
			continue // unsupported key types are not an error; tokens using them fail
		}
		keys[j.Kid] = oidcKey{pub: pub, alg: j.Alg}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("JWKS at %s has no usable signing keys", url)
	}
	return keys, nil
}

func (v *oidcVerifier) getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBody))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func parseJWK(j jwk) (any, error) {
	dec := base64.RawURLEncoding
	switch j.Kty {
	case "RSA":
		n, err1 := dec.DecodeString(j.N)
		e, err2 := dec.DecodeString(j.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA JWK")
		}
		exp := new(big.Int).SetBytes(e)
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, nil
	case "EC":
		var c elliptic.Curve
		switch j.Crv {
		case "P-256":
			c = elliptic.P256()
		case "P-384":
			c = elliptic.P384()
		default:
			return nil, fmt.Errorf("unsupported curve %q", j.Crv)
		}
		size := (c.Params().BitSize + 7) / 8
		x, err1 := dec.DecodeString(j.X)
		y, err2 := dec.DecodeString(j.Y)
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil, errors.New("bad EC JWK")
		}
		return ecdsa.ParseUncompressedPublicKey(c, append(append([]byte{4}, x...), y...))
	case "OKP":
		x, err := dec.DecodeString(j.X)
		if j.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad OKP JWK")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("unsupported kty %q", j.Kty)
}

// claimStrings reads a claim as a list of strings: a JSON array, or a string
// separated by spaces or commas. A dotted name walks nested objects when no
// claim has the literal name (Cognito's "cognito:groups" vs Keycloak's
// "realm_access.roles").
func claimStrings(c jwt.MapClaims, name string) []string {
	v, ok := c[name]
	if !ok {
		var cur any = map[string]any(c)
		for part := range strings.SplitSeq(name, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[part]
		}
		v = cur
	}
	switch v := v.(type) {
	case string:
		return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
