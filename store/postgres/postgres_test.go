package postgres_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/testenv"
	"github.com/cofferhq/coffer/store/postgres"
	"github.com/cofferhq/coffer/store/sqlstore"
	"github.com/cofferhq/coffer/store/storetest"
)

func open(t testing.TB, dsn string) *sqlstore.DB {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) coffer.Store { return open(t, testenv.PostgresDSN(t)) })
}

// Two pools on one database stand in for two processes.
func TestTwoProcesses(t *testing.T) {
	d := testenv.PostgresDSN(t)
	a, b := open(t, d), open(t, d)
	defer a.Close()
	defer b.Close()
	storetest.AssignNonceRace(t, 200, a, b)
	storetest.AssignNoncesRace(t, 200, a, b)
	storetest.AuditAppendRace(t, 50, a, b)
	storetest.SpendRace(t, 60, a, b)
	storetest.MintChangedElsewhere(t, a, b)
	storetest.TxChangedElsewhere(t, a, b)
}

// Processes starting together migrate once.
func TestConcurrentMigrate(t *testing.T) {
	d := testenv.PostgresDSN(t)
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
	storetest.BenchAssignNonce(b, open(b, testenv.PostgresDSN(b)))
}

func BenchmarkAssignNonces(b *testing.B) {
	storetest.BenchAssignNonces(b, open(b, testenv.PostgresDSN(b)))
}

func BenchmarkOpenTransactions(b *testing.B) {
	storetest.BenchOpenTransactions(b, open(b, testenv.PostgresDSN(b)))
}

func BenchmarkCollections(b *testing.B) {
	storetest.BenchCollections(b, open(b, testenv.PostgresDSN(b)))
}

func BenchmarkCreateMint(b *testing.B) {
	storetest.BenchCreateMint(b, open(b, testenv.PostgresDSN(b)))
}

func BenchmarkCreateMintParallel(b *testing.B) {
	storetest.BenchCreateMintParallel(b, open(b, testenv.PostgresDSN(b)))
}

func BenchmarkMintLifecycle(b *testing.B) {
	storetest.BenchMintLifecycle(b, open(b, testenv.PostgresDSN(b)))
}
