package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// txGroup commits concurrent small write transactions together where writes
// are serialised (SQLite): the API's inserts of new mints and transactions,
// the transaction manager's receipts (UpdateTransactions), the indexer's
// transfers and custody's audit batches, which otherwise queue on the write
// mutex one commit at a time — each commit writing the same rightmost table
// and index pages to the WAL again. There is
// no standing goroutine: the first caller to find no group in progress
// leads: it takes the writer lock, runs everything queued by then in one
// transaction, each caller's function inside its own SAVEPOINT (one that
// fails is rolled back alone and gets its error), commits, and hands the
// next group (queued meanwhile) to a new goroutine, so that its own caller
// returns at once. Every caller returns only when its work is committed or
// has failed.
type txGroup struct {
	mu      sync.Mutex
	queue   []*groupCall
	leading bool
}

type groupCall struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// maxGroup bounds one group (and so how long it holds the writer lock).
const maxGroup = 64

// groupTx runs fn in a write transaction, committed with those of concurrent
// groupTx callers on a dialect that serialises writes, alone otherwise (as
// tx). fn must use only tx and the ctx it is given: that one is not
// cancelled with the caller's (in SQLite an interrupted statement rolls back
// the whole transaction, the other callers' work too); a caller whose ctx
// is done before its turn is not run.
func (s *DB) groupTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if !s.d.SerializeWrites {
		return s.tx(ctx, func(tx *sql.Tx) error { return fn(ctx, tx) })
	}
	c := &groupCall{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g := &s.group
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.leading {
		g.mu.Unlock()
		return <-c.done
	}
	g.leading = true
	g.mu.Unlock()
	s.lead()
	return <-c.done
}

// lead commits one group from the queue and passes the lead on. The group
// is taken once the writer lock is held: whoever queued while the leader
// waited for it (behind another writer) is in it.
func (s *DB) lead() {
	g := &s.group
	s.mu.Lock()
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	calls := g.queue[:n:n]
	g.queue = append([]*groupCall(nil), g.queue[n:]...)
	g.mu.Unlock()

	errs := s.commitGroup(calls)
	s.mu.Unlock()
	for i, c := range calls {
		c.done <- errs[i]
	}

	g.mu.Lock()
	if len(g.queue) == 0 {
		g.leading = false
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	go s.lead()
}

// commitGroup runs calls in one transaction and returns each one's outcome;
// the caller holds the write lock. The calls run one after the other with
// nothing between them, which is what almost every group is: each call's
// statements succeed. Should one fail, the transaction is rolled back and
// the group runs again with each call inside its own SAVEPOINT, so that one
// failing call is undone alone and the others commit. (Two statements per
// call, SAVEPOINT and RELEASE, cost more than the rare second run; a call's
// function may run twice, so it sets the same fields each time.)
func (s *DB) commitGroup(calls []*groupCall) []error {
	if len(calls) > 1 {
		if errs, ok := s.runGroup(calls, false); ok {
			return errs
		}
	}
	errs, _ := s.runGroup(calls, true)
	return errs
}

// runGroup runs calls in one transaction, each in a savepoint if
// savepoints, and commits it. Without savepoints a failing call rolls the
// transaction back and runGroup reports !ok: nothing is stored and nobody
// has an outcome yet.
func (s *DB) runGroup(calls []*groupCall, savepoints bool) (errs []error, ok bool) {
	errs = make([]error, len(calls))
	all := func(err error) []error {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs
	}
	tx, err := s.beginWrite(context.Background())
	if err != nil {
		return all(s.wrap(err, "begin transaction")), true
	}
	// The calls' events are queued (appendEvent): all of them go in just
	// before the commit, or each call's at its end where it has a
	// savepoint, so that a failing insert fails that call alone. Whatever
	// is left when the group ends unstored was rolled back.
	defer s.dropEvents()
	ran := 0
	for i, c := range calls {
		if err := c.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		ctx := context.WithoutCancel(c.ctx)
		if !savepoints || len(calls) == 1 {
			if errs[i] = c.run(ctx, tx); errs[i] != nil {
				_ = tx.Rollback()
				if len(calls) == 1 {
					return errs, true
				}
				return nil, false
			}
			ran++
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT g`); err != nil {
			_ = tx.Rollback()
			return all(s.wrap(err, "savepoint")), true
		}
		if errs[i] = c.run(ctx, tx); errs[i] == nil {
			errs[i] = s.flushEvents(ctx, tx)
		}
		if errs[i] != nil {
			s.dropEvents() // its own: the calls before it flushed theirs
			// Undo this call's statements only. Should the engine have
			// ended the transaction itself (a disk error does), nothing of
			// the group is stored.
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO g`); err != nil {
				_ = tx.Rollback()
				return all(fmt.Errorf("sqlstore: group transaction lost after %w (rollback to savepoint: %v)", errs[i], err)), true
			}
		} else {
			ran++
		}
		if _, err := tx.ExecContext(ctx, `RELEASE g`); err != nil {
			_ = tx.Rollback()
			return all(s.wrap(err, "release savepoint")), true
		}
	}
	if ran == 0 {
		_ = tx.Rollback()
		return errs, true
	}
	if err := s.flushEvents(context.Background(), tx); err != nil {
		_ = tx.Rollback()
		if len(calls) > 1 && !savepoints {
			return nil, false // found out by the run with savepoints
		}
		return all(err), true
	}
	if err := tx.Commit(); err != nil {
		return all(s.wrap(err, "commit")), true
	}
	return errs, true
}

// run calls the function; a panic becomes its error, so that it fails its
// own call rather than the leader's goroutine with the writer lock held.
func (c *groupCall) run(ctx context.Context, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlstore: write panicked: %v", p)
		}
	}()
	return c.fn(ctx, tx)
}
