package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/store/sqlite"
	"github.com/cofferhq/coffer/store/sqlstore"
	"github.com/cofferhq/coffer/store/storetest"
)

func open(t testing.TB, path string) *sqlstore.DB {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) coffer.Store {
		return open(t, filepath.Join(t.TempDir(), "coffer.db"))
	})
}

// Two pools on one file stand in for two processes.
func TestTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coffer.db")
	a, b := open(t, path), open(t, path)
	defer a.Close()
	defer b.Close()
	storetest.AssignNonceRace(t, 100, a, b)
	storetest.AssignNoncesRace(t, 100, a, b)
	storetest.AuditAppendRace(t, 40, a, b)
	storetest.SpendRace(t, 40, a, b)
}

func TestMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coffer.db")
	s := open(t, path)
	defer s.Close()
	applied, err := s.Migrate(context.Background())
	if err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate applied %v, %v", applied, err)
	}
	var n int
	if err := s.SQL().QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE version = '0001_init'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("schema_migrations: %d, %v", n, err)
	}
	var mode string
	if err := s.SQL().QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
}

func BenchmarkAssignNonce(b *testing.B) {
	storetest.BenchAssignNonce(b, open(b, filepath.Join(b.TempDir(), "coffer.db")))
}

func BenchmarkAssignNonces(b *testing.B) {
	storetest.BenchAssignNonces(b, open(b, filepath.Join(b.TempDir(), "coffer.db")))
}

func BenchmarkOpenTransactions(b *testing.B) {
	storetest.BenchOpenTransactions(b, open(b, filepath.Join(b.TempDir(), "coffer.db")))
}

func BenchmarkCreateMint(b *testing.B) {
	storetest.BenchCreateMint(b, open(b, filepath.Join(b.TempDir(), "coffer.db")))
}

func BenchmarkCreateMintParallel(b *testing.B) {
	storetest.BenchCreateMintParallel(b, open(b, filepath.Join(b.TempDir(), "coffer.db")))
}
