// Package sqlstore implements coffer.Store over database/sql. The SQL is shared
// by SQLite (modernc.org/sqlite) and PostgreSQL (pgx stdlib): both accept $N
// placeholders, ON CONFLICT upserts, RETURNING and row-value comparisons. What
// differs lives in a Dialect supplied by store/sqlite and store/postgres.
//
// Storage conventions: addresses and hashes are lower-case 0x hex text; big
// integers are decimal (TEXT in SQLite, NUMERIC(78,0) in PostgreSQL); times are
// UTC truncated to microseconds (fixed-width RFC 3339 text in SQLite so that
// text order is time order, TIMESTAMPTZ in PostgreSQL); byte strings are
// BLOB/BYTEA.
package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/cache"
	"github.com/ethereum/go-ethereum/common"
)

// Dialect is what differs between the SQL engines.
type Dialect struct {
	Name string
	// Migrations holds NNNN_name.sql files applied in name order.
	Migrations fs.FS
	// MigrationsTable creates schema_migrations if it is missing.
	MigrationsTable string
	// LockMigrations and LockAudit run first in their transactions to
	// serialise processes ("" when the transaction itself serialises writers,
	// as BEGIN IMMEDIATE does in SQLite).
	LockMigrations string
	LockAudit      string
	// ForUpdate is appended to a SELECT that locks the rows it reads.
	ForUpdate string
	// SignOutsideTx makes AssignNonce call sign outside the write
	// transaction (see nonce.go); needed where writers are serialised.
	SignOutsideTx bool
	// SerializeWrites takes an in-process mutex around write transactions.
	// SQLite allows one writer at a time anyway; queueing on a mutex is far
	// cheaper than sleeping in the busy handler.
	SerializeWrites bool
	// CostlyReturning: RETURNING costs more than a second statement (SQLite
	// runs it through a temporary table), so an insert takes its rowid from
	// the result's LastInsertId and an update reads its row back by id.
	CostlyReturning bool
	// Uninterrupted: the store's transactions and its prepared statements
	// run to their end once started, whatever happens to the caller's ctx,
	// which is checked before each one (see uninterrupted).
	Uninterrupted bool
	// Time encodes a UTC, microsecond-truncated time as a query argument.
	Time func(time.Time) any
	// ErrorCode classifies a driver error: coffer.ECONFLICT for a unique
	// violation, coffer.EINVALID for a foreign key violation, "" otherwise.
	ErrorCode func(error) string
}

// DB is a coffer.Store backed by a *sql.DB.
type DB struct {
	db *sql.DB
	d  Dialect
	mu sync.Mutex // see Dialect.SerializeWrites
	// writer is the connection every write uses where writes are
	// serialised (held under mu; see beginWrite).
	writer *sql.Conn
	writes atomic.Int64 // write transactions begun (WriteTransactions)
	// events are the events of the write transaction in progress, where
	// writes are serialised (held under mu): they go in together just
	// before it commits (see appendEvent).
	events []*coffer.Event
	// mintRows holds, by transaction id, the rows of mints this process
	// wrote last, while their transaction is open (held under mu where
	// writes are serialised; see updateMint).
	mintRows keptRows[coffer.Mint]
	// txRows holds, by id, the rows of open transactions as this process
	// wrote them last (held under mu where writes are serialised; see
	// updateTx).
	txRows keptRows[coffer.Transaction]

	senders     [64]sync.Mutex // AssignNonce per sender, see senderLock
	assignSlots chan struct{}

	stmts  stmtCache                         // prepared hot queries; stmts.go
	group  txGroup                           // group commit of small writes; group.go
	owners cache.Map[common.Address, string] // wallet owners (walletOwner), up to maxOwners

	bg     sync.WaitGroup // Background's goroutines
	bgStop context.CancelFunc
	bgCtx  context.Context
}

var _ coffer.Store = (*DB)(nil)

// New wraps db. It does not migrate; call Migrate. maxConns is the pool's
// connection limit (0: unlimited); AssignNonce calls in flight are kept to
// half of it, leaving the rest for what sign does with the store.
func New(db *sql.DB, d Dialect, maxConns int) *DB {
	slots := maxConns / 2
	if maxConns <= 0 {
		slots = 64
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &DB{db: db, d: d, assignSlots: make(chan struct{}, max(slots, 1)), bgCtx: ctx, bgStop: stop}
	s.owners.Max = maxOwners
	return s
}

// Background runs fn (maintenance of the dialect's own, such as SQLite's
// checkpoints) until Close, which cancels its context and waits for it.
func (s *DB) Background(fn func(ctx context.Context)) {
	s.bg.Go(func() { fn(s.bgCtx) })
}

// SQL returns the underlying pool.
func (s *DB) SQL() *sql.DB { return s.db }

// Exec runs a raw statement. It exists for tests (tampering with the audit
// log) and operator tooling; the store's own writes never go through it.
func (s *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.db.ExecContext(ctx, query, args...)
}

func (s *DB) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *DB) Close() error {
	s.bgStop()
	s.bg.Wait()
	s.closeStmts()
	s.mu.Lock()
	if s.writer != nil {
		s.writer.Close()
		s.writer = nil
	}
	s.mu.Unlock()
	return s.db.Close()
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx runs fn in a write transaction; fn's error is returned unchanged.
func (s *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if s.d.SerializeWrites {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return s.wrap(err, "begin transaction")
	}
	if err := fn(tx); err != nil {
		s.dropEvents()
		_ = tx.Rollback()
		return err
	}
	if err := s.flushEvents(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(err, "commit")
	}
	return nil
}

// beginWrite begins a write transaction. Where writes are serialised (the
// caller holds mu) they all go through one connection: SQLite drops a
// connection's page cache whenever another connection has written since its
// last transaction, so writes spread over the pool would each start cold
// and read back every page they touch, while one writer keeps its pages.
func (s *DB) beginWrite(ctx context.Context) (*sql.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.writes.Add(1)
	if !s.d.SerializeWrites {
		return s.db.BeginTx(ctx, nil)
	}
	for range 2 {
		if s.writer == nil {
			c, err := s.db.Conn(ctx) // ctx bounds the wait, not the connection
			if err != nil {
				return nil, err
			}
			s.writer = c
		}
		tx, err := s.writer.BeginTx(s.uninterrupted(ctx), nil)
		if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
			s.writer.Close() // a broken connection: take another
			s.writer = nil
			continue
		}
		return tx, err
	}
	return nil, driver.ErrBadConn
}

// uninterrupted is ctx for a statement or transaction that has no need to
// be stopped while it runs: where Dialect.Uninterrupted (SQLite: statements
// are short and in process), a context that is never done. Both drivers
// start a goroutine per call whose ctx can be cancelled, to watch it
// (modernc.org/sqlite one per statement to interrupt it, database/sql one
// per transaction and per result set to close it): dozens per mint, each
// one scheduler work. The caller's ctx is still checked before every
// statement (prepared) and transaction, so a caller that gave up stops at
// the next one, and its write transaction rolls back.
//
// A ctx that is already done is returned as it is, so that the call it is
// given to reports it.
func (s *DB) uninterrupted(ctx context.Context) context.Context {
	if !s.d.Uninterrupted || ctx.Done() == nil || ctx.Err() != nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// WriteTransactions is how many write transactions the store has begun
// (for tests and diagnostics: which calls need the writer).
func (s *DB) WriteTransactions() int64 { return s.writes.Load() }

// exec runs one write statement: alone where writes are not serialised,
// else in a transaction of its own on the writer's connection.
func (s *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !s.d.SerializeWrites {
		return s.db.ExecContext(ctx, query, args...)
	}
	var res sql.Result
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// wrap turns a driver error into a coffer error: constraint violations get
// their code, anything else stays internal with context.
func (s *DB) wrap(err error, what string, args ...any) error {
	if err == nil {
		return nil
	}
	var ce *coffer.Error
	if errors.As(err, &ce) {
		return err
	}
	msg := fmt.Sprintf(what, args...)
	switch code := s.d.ErrorCode(err); code {
	case coffer.ECONFLICT:
		return coffer.WrapError(code, err, "%s: already exists", msg)
	case coffer.EINVALID:
		return coffer.WrapError(code, err, "%s: refers to a missing row", msg)
	}
	return fmt.Errorf("sqlstore: %s: %w", msg, err)
}

// notFound maps sql.ErrNoRows to ENOTFOUND.
func (s *DB) notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return coffer.Errorf(coffer.ENOTFOUND, format+" not found", args...)
	}
	return s.wrap(err, format, args...)
}

// mustAffect returns ENOTFOUND when res changed no row.
func mustAffect(res sql.Result, format string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return coffer.Errorf(coffer.ENOTFOUND, format+" not found", args...)
	}
	return nil
}

// Migrate applies the dialect's migrations that are not yet recorded in
// schema_migrations, in order, in one transaction, and returns their versions.
func (s *DB) Migrate(ctx context.Context) ([]string, error) {
	names, err := fs.Glob(s.d.Migrations, "*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var applied []string
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if s.d.LockMigrations != "" {
			if _, err := tx.ExecContext(ctx, s.d.LockMigrations); err != nil {
				return s.wrap(err, "lock migrations")
			}
		}
		if _, err := tx.ExecContext(ctx, s.d.MigrationsTable); err != nil {
			return s.wrap(err, "create schema_migrations")
		}
		done := map[string]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return s.wrap(err, "read schema_migrations")
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			done[v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, name := range names {
			version := strings.TrimSuffix(path.Base(name), ".sql")
			if done[version] {
				continue
			}
			body, err := fs.ReadFile(s.d.Migrations, name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return s.wrap(err, "migration %s", version)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				version, s.d.Time(now())); err != nil {
				return s.wrap(err, "record migration %s", version)
			}
			applied = append(applied, version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// updateRow runs UPDATE table SET set WHERE id = id (w holds set's
// arguments) and returns cols of the row as updated: with RETURNING, or
// where that is costly with a second statement in the same transaction q.
// No such row scans as sql.ErrNoRows.
func (s *DB) updateRow(ctx context.Context, q querier, table, set string, w *where, id, cols string) interface{ Scan(...any) error } {
	update := `UPDATE ` + table + ` SET ` + set + ` WHERE id = ` + w.arg(id)
	if !s.d.CostlyReturning {
		return s.prep(q).QueryRowContext(ctx, update+` RETURNING `+cols, w.args...)
	}
	res, err := s.prep(q).ExecContext(ctx, update, w.args...)
	if err != nil {
		return errRow{err}
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errRow{cmp.Or(err, sql.ErrNoRows)}
	}
	return s.prep(q).QueryRowContext(ctx, `SELECT `+cols+` FROM `+table+` WHERE id = $1`, id)
}

// insertKey runs insert (ON CONFLICT DO NOTHING) and returns the new row's
// integer key column key: with RETURNING, or where that is costly the
// rowid the driver reports (key must then be the rowid). A conflict, no
// row inserted, is sql.ErrNoRows.
func (s *DB) insertKey(ctx context.Context, q querier, insert, key string, args ...any) (int64, error) {
	var k int64
	if !s.d.CostlyReturning {
		err := s.prep(q).QueryRowContext(ctx, insert+` RETURNING `+key, args...).Scan(&k)
		return k, err
	}
	res, err := s.prep(q).ExecContext(ctx, insert, args...)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, cmp.Or(err, sql.ErrNoRows)
	}
	return res.LastInsertId()
}

// errRow is a row that fails to scan with err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
