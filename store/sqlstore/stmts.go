package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// Prepared statements of the hot queries (a signature's wallet read and audit
// append). Without them every call has the engine parse its SQL again: in
// SQLite (modernc, in process) that parsing was 12 % of the CPU of a signing
// request. A statement is prepared once per pool with (*sql.DB).Prepare;
// database/sql then prepares it on each connection the first time it runs
// there and reuses it afterwards, inside transactions too (Tx.StmtContext
// finds the connection's copy). Both drivers support it: modernc.org/sqlite
// keeps a sqlite3_stmt per connection (re-prepared by SQLite itself if the
// schema changes), pgx a named server-side statement per connection.
type stmtCache struct {
	mu      sync.RWMutex
	m       map[string]*sql.Stmt
	closed  bool
	pending atomic.Bool    // a background preparation (txStmt) is running
	prep    sync.WaitGroup // that preparation: Close waits for it
}

// stmt returns the pool's prepared statement for query, preparing it on first
// use. Only constant query texts belong here (the cache is never pruned).
//
// Preparing takes a connection from the pool, so it must never happen while
// the caller holds one (inside a transaction: see txStmt) and no lock is held
// while it happens: transactions holding every connection while waiting for
// a preparation that waits for a connection would deadlock. Two callers may
// prepare the same query at once; the second statement is closed.
func (s *DB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := s.cachedStmt(query); st != nil {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, s.wrap(err, "prepare statement")
	}
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if have := c.m[query]; have != nil {
		_ = st.Close()
		return have, nil
	}
	if c.closed {
		_ = st.Close()
		return nil, s.wrap(sql.ErrConnDone, "prepare statement")
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

func (s *DB) cachedStmt(query string) *sql.Stmt {
	s.stmts.mu.RLock()
	defer s.stmts.mu.RUnlock()
	return s.stmts.m[query]
}

// txStmt returns query prepared for tx: the pool's statement bound to tx
// (prepared on tx's connection the first time it runs there, then reused)
// once the pool has it. Until then the statement is prepared on tx's own
// connection for this use (tx holds a connection: asking the pool for
// another could deadlock, see stmt) and the pool's is prepared in the
// background.
func (s *DB) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st := s.cachedStmt(query); st != nil {
		return tx.StmtContext(ctx, st), nil
	}
	if c := &s.stmts; c.pending.CompareAndSwap(false, true) {
		// Not after Close: a preparation then still running could open a
		// connection, and so the database's files, after the store closed.
		c.mu.Lock()
		closed := c.closed
		if !closed {
			c.prep.Add(1)
		}
		c.mu.Unlock()
		if closed {
			c.pending.Store(false)
		} else {
			go func() {
				defer c.prep.Done()
				defer c.pending.Store(false)
				_, _ = s.stmt(s.bgCtx, query) // cancelled by Close
			}()
		}
	}
	st, err := tx.PrepareContext(ctx, query)
	return st, s.wrap(err, "prepare statement")
}

// PreparedStatements reports how many statements the store holds prepared
// (for tests and diagnostics).
func (s *DB) PreparedStatements() int {
	s.stmts.mu.RLock()
	defer s.stmts.mu.RUnlock()
	return len(s.stmts.m)
}

// closeStmts closes the prepared statements (before the pool closes).
func (s *DB) closeStmts() {
	s.stmts.mu.Lock()
	s.stmts.closed = true
	s.stmts.mu.Unlock()
	s.stmts.prep.Wait()
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	for q, st := range s.stmts.m {
		_ = st.Close()
		delete(s.stmts.m, q)
	}
}

// maxStmts bounds the statement cache. Only constant texts should reach it,
// but a query built from a few optional parts would otherwise add a
// statement per shape forever; past the bound queries run unprepared.
const maxStmts = 256

// prepared runs the queries of q (the pool or a transaction) as the store's
// prepared statements: see stmt and txStmt. Use it for constant query texts
// on hot paths. When a statement cannot be had, the query runs unprepared
// on q, which reports any error.
type prepared struct {
	s *DB
	q querier
}

func (s *DB) prep(q querier) querier {
	if p, ok := q.(prepared); ok {
		return p
	}
	return prepared{s, q}
}

func (p prepared) statement(ctx context.Context, query string) *sql.Stmt {
	s := p.s
	if s.cachedStmt(query) == nil && s.PreparedStatements() >= maxStmts {
		return nil
	}
	var st *sql.Stmt
	var err error
	switch q := p.q.(type) {
	case *sql.Tx:
		st, err = s.txStmt(ctx, q, query)
	case *sql.DB:
		st, err = s.stmt(ctx, query)
	}
	if err != nil {
		return nil
	}
	return st
}

// The statements run with the caller's ctx checked first and then, where
// the dialect allows, not watched (DB.uninterrupted).

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = p.s.uninterrupted(ctx)
	if st := p.statement(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.q.ExecContext(ctx, query, args...)
}

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = p.s.uninterrupted(ctx)
	if st := p.statement(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.q.QueryContext(ctx, query, args...)
}

func (p prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = p.s.uninterrupted(ctx)
	if st := p.statement(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.q.QueryRowContext(ctx, query, args...)
}
