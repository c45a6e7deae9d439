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
	Time:            func(t time.Time) any { return t.UTC().Format(timeFormat) },
	ErrorCode:       errorCode,
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
func DSN(path string) string {
	return path + "?_txlock=immediate&_busy_timeout=10000&_foreign_keys=1&_journal_mode=WAL&_synchronous=NORMAL"
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
	return s, nil
}
