package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/cofferhq/coffer"
)

// AssignNonce has two strategies, chosen by Dialect.SignOutsideTx.
//
// In PostgreSQL it is the obvious one: one transaction locks the transaction
// row and the nonce row, calls sign, and writes. sign may use the store (the
// custody service appends an audit record while signing) because that runs
// on other pooled connections and takes no lock AssignNonce holds.
//
// SQLite has a single writer: while one transaction holds it, a write from
// inside sign would wait for itself. So there sign runs outside the write
// transaction, on the nonce read just before, and the write transaction
// checks that the nonce is still the next one; if another process took it
// meanwhile the signature is thrown away and the attempt repeated. Within one
// process the per-sender lock below makes that race impossible.
//
// Either way a nonce is consumed only together with the stored signed bytes,
// and a failing sign consumes nothing.

// errSign carries sign's error out of the store transaction unchanged.
type errSign struct{ err error }

func (e errSign) Error() string { return e.err.Error() }

// errNonceMoved makes the optimistic strategy try again.
var errNonceMoved = errors.New("sqlstore: nonce moved while signing")

// senderLock serialises AssignNonce per (chain, sender) within the process;
// a fixed set of stripes keeps it allocation-free.
func (s *DB) senderLock(t *coffer.Transaction) func() {
	h := fnv.New32a()
	h.Write(t.From[:])
	h.Write([]byte{byte(t.ChainID), byte(t.ChainID >> 8), byte(t.ChainID >> 16), byte(t.ChainID >> 24)})
	mu := &s.senders[h.Sum32()%uint32(len(s.senders))]
	mu.Lock()
	return mu.Unlock
}

func (s *DB) AssignNonce(ctx context.Context, id string, sign func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error)) (*coffer.Transaction, error) {
	t, err := s.Transaction(ctx, id)
	if err != nil {
		return nil, err
	}
	defer s.senderLock(t)()
	// Bound the AssignNonce calls holding a connection while sign, which may
	// need a connection of its own, runs: the pool can never be exhausted by
	// callers waiting on each other.
	select {
	case s.assignSlots <- struct{}{}:
		defer func() { <-s.assignSlots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if !s.d.SignOutsideTx {
		t, err = s.assignInTx(ctx, id, sign)
	} else {
		for range 50 {
			if t, err = s.assignOptimistic(ctx, id, sign); err != errNonceMoved {
				break
			}
		}
	}
	if se, ok := err.(errSign); ok {
		return nil, se.err
	}
	if err == errNonceMoved {
		// Internal, so that the caller retries rather than failing the transaction.
		return nil, fmt.Errorf("assign nonce to %s: %w", id, err)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (s *DB) assignInTx(ctx context.Context, id string, sign func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error)) (*coffer.Transaction, error) {
	var t *coffer.Transaction
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Lock order is always transaction row, then nonce row, so two
		// AssignNonce calls cannot deadlock.
		var err error
		t, err = s.loadTx(ctx, tx, `id = $1`, id, true)
		if err != nil {
			return s.notFound(err, "transaction %s", id)
		}
		if t.Status != coffer.TxQueued {
			return notQueued(t)
		}
		// The no-op upsert creates the row at 0 and locks it until commit,
		// so callers for one sender in other processes queue here.
		var next uint64
		err = tx.QueryRowContext(ctx, `INSERT INTO nonces (chain_id, address, next_nonce) VALUES ($1, $2, 0)
			ON CONFLICT (chain_id, address) DO UPDATE SET next_nonce = nonces.next_nonce
			RETURNING next_nonce`, u64(t.ChainID), addr(t.From)).Scan(u64Col{&next})
		if err != nil {
			return s.wrap(err, "nonce of %s", t.From.Hex())
		}
		a, err := sign(t, next)
		if err != nil {
			return errSign{err}
		}
		return s.storeSigned(ctx, tx, t, next, a)
	})
	return t, err
}

func (s *DB) assignOptimistic(ctx context.Context, id string, sign func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error)) (*coffer.Transaction, error) {
	t, err := s.Transaction(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Status != coffer.TxQueued {
		return nil, notQueued(t)
	}
	next, err := s.NextNonce(ctx, t.ChainID, t.From)
	if err != nil {
		return nil, err
	}
	a, err := sign(t, next)
	if err != nil {
		return nil, errSign{err}
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM transactions WHERE id = $1`, id).Scan(&status); err != nil {
			return s.notFound(err, "transaction %s", id)
		}
		if status != coffer.TxQueued {
			t.Status = status
			return notQueued(t)
		}
		var now uint64
		err := tx.QueryRowContext(ctx, `SELECT next_nonce FROM nonces WHERE chain_id = $1 AND address = $2`,
			u64(t.ChainID), addr(t.From)).Scan(u64Col{&now})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.wrap(err, "nonce of %s", t.From.Hex())
		}
		if now != next {
			return errNonceMoved
		}
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO nonces (chain_id, address, next_nonce) VALUES ($1, $2, 0)`,
				u64(t.ChainID), addr(t.From)); err != nil {
				return s.wrap(err, "nonce of %s", t.From.Hex())
			}
		}
		return s.storeSigned(ctx, tx, t, next, a)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func notQueued(t *coffer.Transaction) error {
	return coffer.Errorf(coffer.ECONFLICT, "transaction %s is %s, not queued", t.ID, t.Status)
}

// storeSigned writes the signed attempt a with nonce into t (in memory too)
// and advances the sender's next nonce.
func (s *DB) storeSigned(ctx context.Context, tx *sql.Tx, t *coffer.Transaction, nonce uint64, a *coffer.TxAttempt) error {
	if err := s.writeSigned(ctx, tx, t, nonce, a); err != nil {
		return err
	}
	return s.advanceNonce(ctx, tx, t, nonce+1)
}

// advanceNonce sets the next nonce of t's (chain, sender).
func (s *DB) advanceNonce(ctx context.Context, tx *sql.Tx, t *coffer.Transaction, next uint64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE nonces SET next_nonce = $1 WHERE chain_id = $2 AND address = $3`,
		u64(next), u64(t.ChainID), addr(t.From)); err != nil {
		return s.wrap(err, "advance nonce of %s", t.From.Hex())
	}
	return nil
}

// writeSigned writes the signed attempt a with nonce into t (in memory too),
// status pending, and its event; the nonces row is the caller's.
func (s *DB) writeSigned(ctx context.Context, tx *sql.Tx, t *coffer.Transaction, nonce uint64, a *coffer.TxAttempt) error {
	if a == nil {
		return errors.New("sqlstore: sign returned no attempt")
	}
	stamp(&a.CreatedAt)
	t.Nonce, t.Hash, t.Raw, t.Status, t.UpdatedAt = &nonce, &a.Hash, a.Raw, coffer.TxPending, a.CreatedAt
	if a.GasPrice != nil {
		t.GasPrice = a.GasPrice
	}
	if a.FeeCap != nil {
		t.FeeCap = a.FeeCap
	}
	if a.TipCap != nil {
		t.TipCap = a.TipCap
	}
	if _, err := s.prep(tx).ExecContext(ctx, `UPDATE transactions SET nonce = $1, hash = $2, raw = $3, gas_price = $4,
		fee_cap = $5, tip_cap = $6, status = $7, updated_at = $8, gas = $9 WHERE id = $10`,
		u64(nonce), hash(a.Hash), blob(a.Raw), bigArg(t.GasPrice), bigArg(t.FeeCap), bigArg(t.TipCap),
		t.Status, s.tm(t.UpdatedAt), u64(t.Gas), t.ID); err != nil {
		return s.wrap(err, "update transaction %s", t.ID)
	}
	if err := s.insertAttempt(ctx, tx, t.ID, a); err != nil {
		return err
	}
	t.Attempts = append(t.Attempts, *a)
	s.keepTx(t)
	if err := s.appendEvent(ctx, tx, coffer.TransactionEvent(t)); err != nil {
		return err
	}
	return s.followMint(ctx, tx, t, nil)
}
