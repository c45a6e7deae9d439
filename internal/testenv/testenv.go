// Package testenv starts the outside resources coffer's tests run against:
// an anvil node, a PostgreSQL schema, a SoftHSM2 token, a free port. One
// function a resource; each stops or removes what it made when the test ends.
//
// The rule is the same for all of them: what is not installed or configured
// skips the test locally and fails it when CI=true (.ci/run installs them
// all). The package is for tests only; it needs nothing beyond the standard
// library but the pgx driver.
package testenv

import (
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
)

// Logger is the logger of the code under test: silent, or debug on stderr
// with COFFER_TEST_LOG set.
func Logger() *slog.Logger {
	if os.Getenv("COFFER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Missing skips the test for want of resource, or fails it in CI, where
// every resource is expected to be there.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// FreeAddr is a loopback host:port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
