package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/cofferhq/coffer"
)

// AssignNonces takes the same two strategies as AssignNonce (nonce.go) for a
// run of transactions of one sender: in PostgreSQL one transaction locks the
// transaction rows (in id order) and the nonce row, signs and writes; in
// SQLite the signatures are made outside the write transaction on the nonce
// read before it, and the write transaction checks that the nonce and every
// status are unchanged, or signs again. Either way the nonces, signed bytes
// and statuses of the whole run are committed together, and a nonce is used
// only if its signed bytes are stored.
//
// The signatures of a run are made concurrently (up to signParallel at once),
// each with the nonce its position gives it; when one fails, the signatures
// after it are discarded, so the nonces stay contiguous.

// maxAssignBatch bounds one AssignNonces call (the write transaction holds
// SQLite's single writer for all of it).
const maxAssignBatch = 512

// signParallel is how many signatures of one run are made at once: all of
// the transaction manager's run of 32, so their audit records share one
// group commit instead of waiting for two in turn (on SQLite each waits for
// the single writer, busy with the API's inserts).
const signParallel = 32

func (s *DB) AssignNonces(ctx context.Context, ids []string, sign func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error)) ([]*coffer.Transaction, error) {
	out := make([]*coffer.Transaction, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > maxAssignBatch {
		return nil, coffer.Errorf(coffer.EINVALID, "at most %d transactions per nonce batch, got %d", maxAssignBatch, len(ids))
	}
	// The sender's lock needs the sender: read it from the first row found.
	list, err := s.queuedRun(ctx, s.db, ids, false)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return out, nil
	}
	defer s.senderLock(list[0])()
	select {
	case s.assignSlots <- struct{}{}:
		defer func() { <-s.assignSlots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var stored []*coffer.Transaction
	var serr *coffer.AssignError
	if !s.d.SignOutsideTx {
		stored, serr, err = s.assignRunInTx(ctx, ids, sign)
	} else {
		for range 50 {
			if stored, serr, err = s.assignRunOptimistic(ctx, ids, sign); err != errNonceMoved {
				break
			}
		}
		if err == errNonceMoved {
			return nil, fmt.Errorf("assign nonces: %w", err)
		}
	}
	if err != nil {
		return nil, err
	}
	at := make(map[string]int, len(ids))
	for i, id := range ids {
		if _, dup := at[id]; !dup {
			at[id] = i
		}
	}
	for _, t := range stored {
		out[at[t.ID]] = t
	}
	if serr != nil {
		return out, serr
	}
	return out, nil
}

// queuedRun reads the transactions of ids that are queued, in the order of
// ids (duplicates once), with their attempts; they must share chain and
// sender. lock reads them FOR UPDATE, in id order.
func (s *DB) queuedRun(ctx context.Context, q querier, ids []string, lock bool) ([]*coffer.Transaction, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var w where
	in := w.in(len(ids), func(i int) any { return ids[i] })
	query := `SELECT ` + txCols + ` FROM transactions WHERE id IN (` + in + `) ORDER BY id`
	if lock {
		query += s.d.ForUpdate
	}
	rows, err := s.prep(q).QueryContext(ctx, query, w.args...)
	if err != nil {
		return nil, s.wrap(err, "read transactions to sign")
	}
	byID := map[string]*coffer.Transaction{}
	for rows.Next() {
		t, err := scanTx(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		byID[t.ID] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "read transactions to sign")
	}
	var ref *coffer.Transaction // the first row found: the others must share its chain and sender
	var list []*coffer.Transaction
	for _, id := range ids {
		t := byID[id]
		if t == nil {
			continue
		}
		delete(byID, id) // a duplicate id is taken once
		if ref == nil {
			ref = t
		}
		if t.ChainID != ref.ChainID || t.From != ref.From {
			return nil, coffer.Errorf(coffer.EINVALID, "one nonce batch must be one sender on one chain: %s is %s on chain %d, %s is %s on chain %d",
				ref.ID, ref.From.Hex(), ref.ChainID, t.ID, t.From.Hex(), t.ChainID)
		}
		if t.Status == coffer.TxQueued {
			list = append(list, t)
		}
	}
	if err := s.loadAttemptsOf(ctx, q, list); err != nil {
		return nil, err
	}
	return list, nil
}

// attemptsPerQuery bounds the transactions whose attempts one query reads
// (SQLite looks numbered parameters up linearly).
const attemptsPerQuery = 256

// loadAttemptsOf reads the attempts of every transaction of list, one query
// per attemptsPerQuery transactions (not one per transaction: the
// transaction manager reads up to 2,000 open ones each round).
func (s *DB) loadAttemptsOf(ctx context.Context, q querier, list []*coffer.Transaction) error {
	for len(list) > attemptsPerQuery {
		if err := s.loadAttemptsOf(ctx, q, list[:attemptsPerQuery]); err != nil {
			return err
		}
		list = list[attemptsPerQuery:]
	}
	if len(list) == 0 {
		return nil
	}
	var w where
	in := w.in(len(list), func(i int) any { return list[i].ID })
	byID := make(map[string]*coffer.Transaction, len(list))
	for _, t := range list {
		byID[t.ID] = t
		t.Attempts = nil
	}
	rows, err := s.prep(q).QueryContext(ctx, `SELECT tx_id, kind, hash, raw, gas_price, fee_cap, tip_cap, created_at
		FROM tx_attempts WHERE tx_id IN (`+in+`) ORDER BY id`, w.args...)
	if err != nil {
		return s.wrap(err, "attempts of %d transactions", len(list))
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var a coffer.TxAttempt
		if err := rows.Scan(&id, &a.Kind, hashCol{&a.Hash}, bytesCol{&a.Raw}, bigCol{&a.GasPrice}, bigCol{&a.FeeCap}, bigCol{&a.TipCap},
			timeCol{&a.CreatedAt}); err != nil {
			return err
		}
		if t := byID[id]; t != nil {
			t.Attempts = append(t.Attempts, a)
		}
	}
	return rows.Err()
}

// signRun signs list[i] with nonce next+i, concurrently. It returns the
// attempts of the longest prefix that signed, and the error of the first one
// that did not (nil when all did).
func signRun(list []*coffer.Transaction, next uint64, sign func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error)) ([]*coffer.TxAttempt, *coffer.AssignError) {
	atts := make([]*coffer.TxAttempt, len(list))
	errs := make([]error, len(list))
	sem := make(chan struct{}, signParallel)
	var wg sync.WaitGroup
	for i, t := range list {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			atts[i], errs[i] = sign(t, next+uint64(i))
			if errs[i] == nil && atts[i] == nil {
				errs[i] = errors.New("sqlstore: sign returned no attempt")
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return atts[:i], &coffer.AssignError{ID: list[i].ID, Err: err}
		}
	}
	return atts, nil
}

func (s *DB) assignRunInTx(ctx context.Context, ids []string, sign func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error)) ([]*coffer.Transaction, *coffer.AssignError, error) {
	var stored []*coffer.Transaction
	var serr *coffer.AssignError
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Lock order as in AssignNonce: transaction rows, then the nonce row.
		list, err := s.queuedRun(ctx, tx, ids, true)
		if err != nil || len(list) == 0 {
			return err
		}
		first := list[0]
		var next uint64
		err = tx.QueryRowContext(ctx, `INSERT INTO nonces (chain_id, address, next_nonce) VALUES ($1, $2, 0)
			ON CONFLICT (chain_id, address) DO UPDATE SET next_nonce = nonces.next_nonce
			RETURNING next_nonce`, u64(first.ChainID), addr(first.From)).Scan(u64Col{&next})
		if err != nil {
			return s.wrap(err, "nonce of %s", first.From.Hex())
		}
		var atts []*coffer.TxAttempt
		atts, serr = signRun(list, next, sign)
		if len(atts) == 0 {
			return nil
		}
		for i, a := range atts {
			if err := s.writeSigned(ctx, tx, list[i], next+uint64(i), a); err != nil {
				return err
			}
		}
		if err := s.advanceNonce(ctx, tx, first, next+uint64(len(atts))); err != nil {
			return err
		}
		stored = list[:len(atts)]
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return stored, serr, nil
}

func (s *DB) assignRunOptimistic(ctx context.Context, ids []string, sign func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error)) ([]*coffer.Transaction, *coffer.AssignError, error) {
	list, err := s.queuedRun(ctx, s.db, ids, false)
	if err != nil || len(list) == 0 {
		return nil, nil, err
	}
	first := list[0]
	next, err := s.NextNonce(ctx, first.ChainID, first.From)
	if err != nil {
		return nil, nil, err
	}
	atts, serr := signRun(list, next, sign)
	if len(atts) == 0 {
		return nil, serr, nil
	}
	list = list[:len(atts)]
	err = s.tx(ctx, func(tx *sql.Tx) error {
		// Everything signed must still be queued, at the nonce signed for.
		var w where
		status := w.arg(coffer.TxQueued)
		in := w.in(len(list), func(i int) any { return list[i].ID })
		var queued int
		if err := s.prep(tx).QueryRowContext(ctx, `SELECT COUNT(*) FROM transactions WHERE status = `+status+
			` AND id IN (`+in+`)`, w.args...).Scan(&queued); err != nil {
			return s.wrap(err, "status of transactions to sign")
		}
		if queued != len(list) {
			return errNonceMoved // one was cancelled or sent meanwhile: read again
		}
		var now uint64
		err := tx.QueryRowContext(ctx, `SELECT next_nonce FROM nonces WHERE chain_id = $1 AND address = $2`,
			u64(first.ChainID), addr(first.From)).Scan(u64Col{&now})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.wrap(err, "nonce of %s", first.From.Hex())
		}
		if now != next {
			return errNonceMoved
		}
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO nonces (chain_id, address, next_nonce) VALUES ($1, $2, 0)`,
				u64(first.ChainID), addr(first.From)); err != nil {
				return s.wrap(err, "nonce of %s", first.From.Hex())
			}
		}
		for i, a := range atts {
			if err := s.writeSigned(ctx, tx, list[i], next+uint64(i), a); err != nil {
				return err
			}
		}
		return s.advanceNonce(ctx, tx, first, next+uint64(len(atts)))
	})
	if err != nil {
		return nil, nil, err
	}
	return list, serr, nil
}
