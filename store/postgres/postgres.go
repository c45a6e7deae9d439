// Package postgres opens coffer's store in PostgreSQL through pgx's
// database/sql driver. The implementation is store/sqlstore; this package
// supplies the dialect and the migrations.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/store/sqlstore"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is PostgreSQL's sqlstore.Dialect.
var Dialect = sqlstore.Dialect{
	Name:            "postgres",
	Migrations:      must(fs.Sub(migrations, "migrations")),
	MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)`,
	// Advisory lock keys are fixed ("coff" 0x636f6666 << 32 | n). They are
	// transaction-scoped, so commit, rollback or a dead connection releases
	// them. Migrations lock so that processes starting together migrate
	// once; audit appends lock because an empty table has no row to lock.
	LockMigrations: `SELECT pg_advisory_xact_lock(7165058120442445825)`,
	LockAudit:      `SELECT pg_advisory_xact_lock(7165058120442445826)`,
	ForUpdate:      ` FOR UPDATE`,
	Time:           func(t time.Time) any { return t.UTC() },
	ErrorCode:      errorCode,
}

func must(f fs.FS, err error) fs.FS {
	if err != nil {
		panic(err)
	}
	return f
}

func errorCode(err error) string {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return ""
	}
	switch e.Code {
	case "23505": // unique_violation
		return coffer.ECONFLICT
	case "23503": // foreign_key_violation
		return coffer.EINVALID
	}
	return ""
}

// maxConns stays well inside the server's max_connections (100 by default)
// when several coffer processes share one database.
const maxConns = 20

// Open connects to dsn (a postgres:// URL or key=value string; extra URL
// parameters such as search_path are sent as run-time parameters) and applies
// pending migrations.
func Open(ctx context.Context, dsn string) (*sqlstore.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	s := sqlstore.New(db, Dialect, maxConns)
	if _, err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
