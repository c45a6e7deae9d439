// Package sqlite opens coffer's store in a SQLite file (modernc.org/sqlite,
// pure Go). The implementation is store/sqlstore; this package supplies the
// dialect, the DSN and the migrations.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/store/sqlstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// timeFormat is fixed-width so that text comparison is time comparison.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// Dialect is SQLite's sqlstore.Dialect.
var Dialect = sqlstore.Dialect{
	Name:            "sqlite",
	Migrations:      must(fs.Sub(migrations, "migrations")),
	MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`,
	// BEGIN IMMEDIATE (from _txlock) already makes every write transaction
	// the only writer, across processes too.
	SerializeWrites: true,
	SignOutsideTx:   true,
	CostlyReturning: true,
	// Statements are in process and short (bounded reads, small writes): not
	// worth a goroutine each to interrupt them.
	Uninterrupted: true,
	Time:          func(t time.Time) any { return t.UTC().Format(timeFormat) },
	ErrorCode:     errorCode,
}

func must(f fs.FS, err error) fs.FS {
	if err != nil {
		panic(err)
	}
	return f
}

func errorCode(err error) string {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return coffer.ECONFLICT
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return coffer.EINVALID
	}
	return ""
}

// DSN returns the modernc DSN for the database file at path: WAL (readers do
// not block the writer), a 10 s busy timeout for other processes' writes,
// foreign keys, synchronous=NORMAL (durable across crashes of the process;
// an OS crash may lose the last transactions, never corrupt) and BEGIN
// IMMEDIATE for write transactions, so that a transaction that reads then
// writes (AssignNonce) takes the write lock up front instead of failing with
// SQLITE_BUSY on upgrade. Read-only transactions still begin DEFERRED.
//
// temp_store=MEMORY keeps statement journals in memory: the group commit
// gives every call a SAVEPOINT, and with the default each page a call
// changes was first copied to a temporary file. cache_size is per
// connection (negative: KiB). wal_autocheckpoint=0: checkpoints run in the
// background (checkpoints), not in the commit that fills the WAL.
func DSN(path string) string {
	return path + "?_txlock=immediate&_busy_timeout=10000&_foreign_keys=1&_journal_mode=WAL&_synchronous=NORMAL" +
		"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-16384)&_pragma=wal_autocheckpoint(0)"
}

// checkpointEvery is how often the background checkpoint runs.
const checkpointEvery = 100 * time.Millisecond

// checkpoints copies the WAL back into the database file every
// checkpointEvery until ctx ends. SQLite's own automatic checkpoint runs
// inside the commit that takes the WAL past 1000 pages, fsyncs included,
// while that writer holds the lock, and whichever request made that commit
// waits for it; a PASSIVE checkpoint from here runs beside the writers and
// readers instead. If readers keep it from finishing, it catches up at a
// later tick (the WAL grows meanwhile, as it would with the automatic one).
func checkpoints(ctx context.Context, db *sql.DB) {
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var busy, frames, done int
		_ = db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done)
	}
}

// maxConns bounds the pool: writers queue on a mutex in sqlstore, so a few
// connections serve the readers.
const maxConns = 8

// Open opens (creating if needed) the database at path and applies pending
// migrations.
func Open(ctx context.Context, path string) (*sqlstore.DB, error) {
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	s := sqlstore.New(db, Dialect, maxConns)
	if _, err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s.Background(func(ctx context.Context) { checkpoints(ctx, db) })
	return s, nil
}
