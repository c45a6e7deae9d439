package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/store/sqlite"
	"github.com/cofferhq/coffer/store/sqlstore"
	"github.com/cofferhq/coffer/store/storetest"
	"golang.org/x/sync/errgroup"
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
	storetest.MintChangedElsewhere(t, a, b)
	storetest.TxChangedElsewhere(t, a, b)
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

func BenchmarkCollections(b *testing.B) {
	storetest.BenchCollections(b, open(b, filepath.Join(b.TempDir(), "coffer.db")))
}

func BenchmarkCreateMintParallel(b *testing.B) {
	storetest.BenchCreateMintParallel(b, open(b, filepath.Join(b.TempDir(), "coffer.db")))
}

// Migration 0009 fills the minted count of collections that already have
// minted tokens.
func TestMigrateMintedCount(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coffer.db")
	s := open(t, path)
	defer s.Close()
	c := &coffer.Collection{ChainID: 1, Name: "Old", Symbol: "OLD"}
	if err := s.CreateCollection(ctx, c, &coffer.Transaction{Kind: coffer.KindDeploy, ChainID: 1}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		m := &coffer.Mint{CollectionID: c.ID, OwnerID: "usr_1", TokenURI: "ipfs://m"}
		if err := s.CreateMint(ctx, m, &coffer.Transaction{Kind: coffer.KindMint, ChainID: 1}); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			if err := s.UpdateMint(ctx, m.ID, coffer.MintUpdate{TokenID: big.NewInt(int64(i))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Back to the schema before 0009, the tokens already minted.
	for _, q := range []string{`ALTER TABLE collections DROP COLUMN minted`,
		`DELETE FROM schema_migrations WHERE version = '0009_collections_minted'`} {
		if _, err := s.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = open(t, path)
	defer s.Close()
	got, err := s.Collection(ctx, c.ID)
	if err != nil || got.TotalMinted != 2 {
		t.Fatalf("after migrating: TotalMinted %v, %v; want 2", got, err)
	}
}

// Migration 0013 drops AUTOINCREMENT from events and tx_attempts and keeps
// their rows; an event's seq is never given twice, even where a prune
// before 0013 deleted the newest events.
func TestMigrateEventSeq(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coffer.db")
	// The schema before 0013.
	before := fstest.MapFS{}
	names, err := fs.Glob(sqlite.Dialect.Migrations, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if name < "0013" {
			body, err := fs.ReadFile(sqlite.Dialect.Migrations, name)
			if err != nil {
				t.Fatal(err)
			}
			before[name] = &fstest.MapFile{Data: body}
		}
	}
	d := sqlite.Dialect
	d.Migrations = before
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	old := sqlstore.New(db, d, 4)
	if _, err := old.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0x02")
	tx := &coffer.Transaction{Kind: coffer.KindTransfer, ChainID: 1, From: common.HexToAddress("0x01"), To: &to}
	if err := old.CreateTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	a := &coffer.TxAttempt{Kind: coffer.AttemptCancel, Hash: common.HexToHash("0xa1"), Raw: []byte{1, 2}, CreatedAt: time.Now()}
	if err := old.AddAttempt(ctx, tx.ID, a); err != nil {
		t.Fatal(err)
	}
	var newest int64
	for range 3 {
		e := &coffer.Event{Type: "test.seq", Data: json.RawMessage(`{}`), Owners: []string{"usr_1"}}
		if err := old.AppendEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
		newest = e.Seq
	}
	// A prune before 0013 could delete every event.
	if _, err := old.SQL().Exec(`DELETE FROM events`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	s := open(t, path)
	defer s.Close()
	var auto int
	if err := s.SQL().QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('events', 'tx_attempts') AND sql LIKE '%AUTOINCREMENT%'`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("%d tables still AUTOINCREMENT, %v", auto, err)
	}
	got, err := s.Transaction(ctx, tx.ID)
	if err != nil || len(got.Attempts) != 1 || got.Attempts[0].Kind != coffer.AttemptCancel || got.Attempts[0].Hash != a.Hash {
		t.Fatalf("attempts after 0013: %+v, %v", got, err)
	}
	e := &coffer.Event{Type: "test.seq", Data: json.RawMessage(`{}`), Owners: []string{"usr_1"}}
	if err := s.AppendEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.Seq <= newest {
		t.Fatalf("an event after 0013 has seq %d; seqs up to %d were given before", e.Seq, newest)
	}
	// The marker holding the largest seq is for admins only.
	if es, err := s.Events(ctx, coffer.EventFilter{OwnerID: "usr_1"}); err != nil || len(es) != 1 || es[0].Seq != e.Seq {
		t.Fatalf("the user's events after 0013: %v, %v", es, err)
	}
	if es, err := s.Events(ctx, coffer.EventFilter{}); err != nil || len(es) != 2 || es[0].Type != "coffer.seq" || es[0].Seq != newest {
		t.Fatalf("all events after 0013: %v, %v", es, err)
	}
}

// Commits never checkpoint (wal_autocheckpoint is 0); the background
// checkpoint moves the WAL's pages into the database file.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coffer.db")
	s := open(t, path)
	defer s.Close()
	var auto int
	if err := s.SQL().QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint %d, %v; want 0", auto, err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Checkpoint what the migrations wrote, so that growth is this test's.
	if _, err := s.SQL().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	before := size()
	ctx := context.Background()
	data := []byte(`{"pad":"` + strings.Repeat("x", 2000) + `"}`)
	for i := range 500 {
		e := &coffer.Event{Type: "test.checkpoint", Subject: fmt.Sprint(i), Data: data}
		if err := s.AppendEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() < before+500*2000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes (%d before ~1 MB of events): nothing checkpointed", size(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func BenchmarkMintLifecycle(b *testing.B) {
	storetest.BenchMintLifecycle(b, open(b, filepath.Join(b.TempDir(), "coffer.db")))
}

// Writes share one connection (its page cache stays valid between them),
// whichever goroutine makes them and whatever reads run beside them.
func TestOneWriterConnection(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "coffer.db"))
	ctx := context.Background()
	var g errgroup.Group
	for i := range 8 {
		g.Go(func() error {
			for j := range 20 {
				if err := s.AppendEvent(ctx, &coffer.Event{Type: "test.writer", Subject: fmt.Sprint(i, j), Data: []byte(`{}`)}); err != nil {
					return err
				}
				if _, err := s.Events(ctx, coffer.EventFilter{Limit: 5}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	// The background checkpoint borrows a connection for a moment every
	// checkpointEvery: at rest means once it has given it back.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		st := s.SQL().Stats()
		if st.InUse == 1 {
			break
		}
		if st.InUse == 0 || time.Now().After(deadline) {
			t.Fatalf("%d connections in use at rest, want 1 (the writer's): %+v", st.InUse, st)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st := s.SQL().Stats(); st.OpenConnections != 0 {
		t.Fatalf("%d connections open after Close", st.OpenConnections)
	}
}

// The delivery loop claims after every change; with nothing due a claim
// must not queue for the single writer (it did, hundreds of times a second
// under a mint load with no webhooks at all).
func TestClaimNothingDueWithoutWriter(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "coffer.db"))
	defer s.Close()
	ctx := context.Background()
	claim := func() ([]*coffer.Delivery, int64) {
		t.Helper()
		before := s.WriteTransactions()
		ds, err := s.ClaimDeliveries(ctx, time.Now(), 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return ds, s.WriteTransactions() - before
	}
	if ds, writes := claim(); len(ds) != 0 || writes != 0 {
		t.Fatalf("no webhooks: claimed %d with %d write transactions, want 0 and 0", len(ds), writes)
	}
	wh := &coffer.Webhook{URL: "https://example.com/hook", Events: []string{"test.*"}, Secret: "s"}
	if err := s.CreateWebhook(ctx, wh); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendEvent(ctx, &coffer.Event{Type: "test.due", Subject: "x", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if ds, writes := claim(); len(ds) != 1 || writes != 1 {
		t.Fatalf("one due: claimed %d with %d write transactions, want 1 and 1", len(ds), writes)
	}
	if ds, writes := claim(); len(ds) != 0 || writes != 0 {
		t.Fatalf("leased: claimed %d with %d write transactions, want 0 and 0", len(ds), writes)
	}
}

// The partial transactions_hash index (only rows with a hash: migration
// 0012) still serves the lookups by hash, and pruning finds events by seq
// (events have no index on created_at).
func TestPlansWithoutFullIndexes(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "coffer.db"))
	defer s.Close()
	for q, want := range map[string]string{
		`SELECT id FROM transactions WHERE hash = 'x' OR id IN (SELECT tx_id FROM tx_attempts WHERE hash = 'x') LIMIT 1`: "SEARCH transactions USING INDEX transactions_hash (hash=?)",
		`SELECT COUNT(*) FROM transactions WHERE hash = 'x' AND kind = 'mint'`:                                           "SEARCH transactions USING INDEX transactions_hash (hash=?)",
		`SELECT seq, created_at FROM events WHERE seq >= 5 ORDER BY seq LIMIT 1`:                                         "SEARCH events USING INTEGER PRIMARY KEY (rowid>?)",
		`DELETE FROM events WHERE seq <= 5 AND created_at < 'x'`:                                                         "SEARCH events USING INTEGER PRIMARY KEY (rowid<?)",
	} {
		rows, err := s.SQL().Query(`EXPLAIN QUERY PLAN ` + q)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if !slices.Contains(plan, want) {
			t.Errorf("%s\nplan %q, want a step %q", q, plan, want)
		}
	}
}

// Statements run uninterrupted (Dialect.Uninterrupted): a read with a
// cancellable ctx starts no goroutine of its own (modernc.org/sqlite would
// start one per statement to interrupt it, database/sql one per result
// set), and a done ctx still stops a call before its statements: a write
// changes nothing.
func TestStatementsUninterrupted(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "coffer.db"))
	defer s.Close()
	bg := context.Background()
	c := &coffer.Collection{ChainID: 1, Name: "C", Symbol: "C"}
	if err := s.CreateCollection(bg, c, &coffer.Transaction{Kind: coffer.KindDeploy, ChainID: 1}); err != nil {
		t.Fatal(err)
	}
	m := &coffer.Mint{CollectionID: c.ID, OwnerID: "usr_1", TokenURI: "ipfs://m"}
	if err := s.CreateMint(bg, m, &coffer.Transaction{Kind: coffer.KindMint, ChainID: 1}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	spawned := func() uint64 {
		sample := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	const reads = 200
	before := spawned()
	for range reads {
		if _, err := s.Mint(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := spawned() - before; n > reads/10 {
		t.Fatalf("%d reads started %d goroutines", reads, n)
	}

	cancel()
	if _, err := s.Mint(ctx, m.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a cancelled ctx: %v, want context.Canceled", err)
	}
	if _, _, err := s.Transactions(ctx, coffer.TxFilter{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("read transaction with a cancelled ctx: %v, want context.Canceled", err)
	}
	if err := s.UpdateMint(ctx, m.ID, coffer.MintUpdate{Status: coffer.MintFailed}); !errors.Is(err, context.Canceled) {
		t.Fatalf("write with a cancelled ctx: %v, want context.Canceled", err)
	}
	if got, err := s.Mint(bg, m.ID); err != nil || got.Status != coffer.MintQueued {
		t.Fatalf("after a cancelled write: %v, %v; want queued", got, err)
	}
}
