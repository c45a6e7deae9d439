package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/store/postgres"
	"github.com/cofferhq/coffer/store/sqlstore"
	"github.com/cofferhq/coffer/store/storetest"
)

// dsn returns COFFER_TEST_POSTGRES_DSN; without it the tests skip, except in
// CI, where a missing database is a failure.
func dsn(t testing.TB) string {
	t.Helper()
	d := os.Getenv("COFFER_TEST_POSTGRES_DSN")
	if d == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("COFFER_TEST_POSTGRES_DSN is not set (see store/postgres/README.md)")
		}
		t.Skip("COFFER_TEST_POSTGRES_DSN is not set")
	}
	return d
}

// freshSchema creates an empty schema, drops it when t ends and returns a DSN
// whose search_path is that schema.
func freshSchema(t testing.TB) string {
	t.Helper()
	base := dsn(t)
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
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, dsn string) *sqlstore.DB {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) coffer.Store { return open(t, freshSchema(t)) })
}

// Two pools on one database stand in for two processes.
func TestTwoProcesses(t *testing.T) {
	d := freshSchema(t)
	a, b := open(t, d), open(t, d)
	defer a.Close()
	defer b.Close()
	storetest.AssignNonceRace(t, 200, a, b)
	storetest.AssignNoncesRace(t, 200, a, b)
	storetest.AuditAppendRace(t, 50, a, b)
	storetest.SpendRace(t, 60, a, b)
}

// Processes starting together migrate once.
func TestConcurrentMigrate(t *testing.T) {
	d := freshSchema(t)
	var wg sync.WaitGroup
	stores := make([]*sqlstore.DB, 4)
	for i := range stores {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), d)
			if err != nil {
				t.Error(err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	for _, s := range stores {
		if s != nil {
			defer s.Close()
		}
	}
	if t.Failed() {
		return
	}
	applied, err := stores[0].Migrate(context.Background())
	if err != nil || len(applied) != 0 {
		t.Fatalf("Migrate after Open applied %v, %v", applied, err)
	}
	var n int
	files, _ := filepath.Glob("migrations/*.sql")
	if err := stores[0].SQL().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("schema_migrations rows: %d, %v", n, err)
	}
}

func BenchmarkAssignNonce(b *testing.B) {
	storetest.BenchAssignNonce(b, open(b, freshSchema(b)))
}

func BenchmarkAssignNonces(b *testing.B) {
	storetest.BenchAssignNonces(b, open(b, freshSchema(b)))
}

func BenchmarkOpenTransactions(b *testing.B) {
	storetest.BenchOpenTransactions(b, open(b, freshSchema(b)))
}

func BenchmarkCreateMint(b *testing.B) {
	storetest.BenchCreateMint(b, open(b, freshSchema(b)))
}
