package auth

import (
	"context"
	"testing"

	"github.com/cofferhq/coffer"
)

// BenchmarkAuthenticateJWT is the steady state of a signed-in client: the
// same access token on every request (verified-token and session caches warm).
func BenchmarkAuthenticateJWT(b *testing.B) {
	f := newFixture(b)
	tok, _ := f.signIn(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.s.Authenticate(ctx, tok.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateJWTUncached is the first request with a new access
// token: full ES256 verification and claim checks.
func BenchmarkAuthenticateJWTUncached(b *testing.B) {
	f := newFixture(b)
	tok, _ := f.signIn(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f.s.verified.del(tok.AccessToken)
		if _, err := f.s.Authenticate(ctx, tok.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticateAPIKey(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	tok, err := f.s.CreateAPIKey(ctx, "bench", []string{coffer.RoleAdmin})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.s.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
