package testenv

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// PostgresDSN returns a DSN of the database COFFER_TEST_POSTGRES_DSN names
// whose search_path is a fresh, empty schema, dropped when the test ends.
// Without the variable the test skips locally and fails when CI=true (see
// store/postgres/README.md).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("COFFER_TEST_POSTGRES_DSN")
	if base == "" {
		Missing(t, "COFFER_TEST_POSTGRES_DSN is not set (see store/postgres/README.md)")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("COFFER_TEST_POSTGRES_DSN: %v", err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "coffer_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
