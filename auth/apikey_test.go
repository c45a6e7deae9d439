package auth

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

func TestGenerateAndParseAPIKey(t *testing.T) {
	re := regexp.MustCompile(`^ck_[a-z0-9]{10}_[A-Za-z0-9_-]{43}$`)
	seen := map[string]bool{}
	for range 50 {
		tok, k := GenerateAPIKey()
		if !re.MatchString(tok) {
			t.Fatalf("token %q", tok)
		}
		id, err := ParseAPIKey(tok)
		if err != nil || id != k.ID || string(k.Hash) != string(hashToken(tok)) {
			t.Fatalf("ParseAPIKey(%q) = %q, %v; key %+v", tok, id, err, k)
		}
		if seen[k.ID] {
			t.Fatalf("duplicate id %s", k.ID)
		}
		seen[k.ID] = true
	}
	for _, bad := range []string{
		"", "ck_", "ck_abc_" + string(make([]byte, 43)), "ck_ABCDEFGH_0123456789abcdef0123456789abcdef",
		"ck_abcdefgh_short", "xk_abcdefgh_0123456789abcdef0123456789abcdef", "ck_abcdefghijklm_0123456789abcdef0123456789abcdef",
		"ck_abcdefgh_0123456789abcdef0123456789abcde!",
	} {
		if _, err := ParseAPIKey(bad); coffer.ErrorCode(err) != coffer.EUNAUTHORIZED {
			t.Errorf("ParseAPIKey(%q) = %v", bad, err)
		}
	}
}

func TestAPIKeyAuthenticate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, err := f.s.CreateAPIKey(ctx, "ops", []string{coffer.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := ParseAPIKey(tok)
	if k := f.st.keys[id]; k.Name != "ops" || len(k.Hash) != 32 {
		t.Fatalf("stored %+v", k)
	}
	for range 100 {
		p, err := f.s.Authenticate(ctx, "Bearer "+tok)
		if err != nil {
			t.Fatal(err)
		}
		if p.Issuer != "apikey" || p.Subject != id || !p.IsAdmin() || p.UserID != "" || p.SessionID != "" {
			t.Fatalf("principal %+v", p)
		}
	}
	if n := f.st.count("APIKey"); n != 1 {
		t.Fatalf("store lookups %d, want 1 (cached)", n)
	}

	wrong := tok[:len(tok)-4] + "AAAA"
	if wrong == tok {
		wrong = tok[:len(tok)-4] + "BBBB"
	}
	_, err = f.s.Authenticate(ctx, wrong)
	wantUnauthorized(t, err, "unknown or its secret is wrong")
	other, _ := GenerateAPIKey()
	_, err = f.s.Authenticate(ctx, other)
	wantUnauthorized(t, err, "unknown or its secret is wrong")
	_, err = f.s.Authenticate(ctx, "ck_nope")
	wantUnauthorized(t, err, "malformed API key")

	// Revocation in the store is seen once the cache entry lapses.
	now := f.clk.now()
	f.st.mu.Lock()
	f.st.keys[id].RevokedAt = &now
	f.st.mu.Unlock()
	f.clk.advance(apiKeyCacheTTL)
	_, err = f.s.Authenticate(ctx, tok)
	wantUnauthorized(t, err, "revoked")

	if _, err := f.s.CreateAPIKey(ctx, "x", []string{"root"}); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Fatalf("unknown role: %v", err)
	}
	if _, err := f.s.CreateAPIKey(ctx, "x", nil); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Fatalf("no roles: %v", err)
	}
}

func TestEnsureAPIKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok, _ := GenerateAPIKey()

	// Unknown first (and cached as unknown), then bootstrapped: usable at once.
	_, err := f.s.Authenticate(ctx, tok)
	wantUnauthorized(t, err, "unknown")
	for range 2 {
		if err := f.s.EnsureAPIKey(ctx, tok, "bootstrap", []string{coffer.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.st.keys) != 1 {
		t.Fatalf("%d keys stored", len(f.st.keys))
	}
	p, err := f.s.Authenticate(ctx, tok)
	if err != nil || !p.IsAdmin() {
		t.Fatalf("%+v %v", p, err)
	}

	id, _ := ParseAPIKey(tok)
	sameID := "ck_" + id + "_" + "0123456789abcdef0123456789abcdef0123456789a"
	if err := f.s.EnsureAPIKey(ctx, sameID, "bootstrap", []string{coffer.RoleAdmin}); coffer.ErrorCode(err) != coffer.ECONFLICT {
		t.Fatalf("different secret, same id: %v", err)
	}
	if err := f.s.EnsureAPIKey(ctx, "admin", "bootstrap", []string{coffer.RoleAdmin}); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Fatalf("malformed: %v", err)
	}
	// Operator-chosen secrets in base32 are fine.
	custom := "ck_bootstrap1_MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43UOV3HO6DZ"
	if err := f.s.EnsureAPIKey(ctx, custom, "bootstrap", []string{coffer.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Authenticate(ctx, custom); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	f.st.keys["bootstrap1"].RevokedAt = &now
	if err := f.s.EnsureAPIKey(ctx, custom, "bootstrap", []string{coffer.RoleAdmin}); coffer.ErrorCode(err) != coffer.ECONFLICT {
		t.Fatalf("revoked: %v", err)
	}
}
