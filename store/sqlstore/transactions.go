package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/common"
)

const txCols = `id, owner_id, kind, chain_id, from_addr, to_addr, value, data, nonce, gas, gas_price, fee_cap, tip_cap,
	hash, raw, status, block_number, block_hash, gas_used, contract_address, error, idempotency_key, request_hash,
	created_at, updated_at`

func scanTx(row interface{ Scan(...any) error }) (*coffer.Transaction, error) {
	t := new(coffer.Transaction)
	err := row.Scan(&t.ID, &t.OwnerID, &t.Kind, u64Col{&t.ChainID}, addrCol{&t.From}, addrPtrCol{&t.To}, bigCol{&t.Value},
		bytesCol{&t.Data}, u64PtrCol{&t.Nonce}, u64Col{&t.Gas}, bigCol{&t.GasPrice}, bigCol{&t.FeeCap}, bigCol{&t.TipCap},
		hashPtrCol{&t.Hash}, bytesCol{&t.Raw}, &t.Status, u64PtrCol{&t.BlockNumber}, hashPtrCol{&t.BlockHash},
		u64PtrCol{&t.GasUsed}, addrPtrCol{&t.ContractAddress}, &t.Error, strCol{&t.IdempotencyKey}, bytesCol{&t.RequestHash},
		timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt})
	return t, err
}

// insertTx writes t and its attempts; it fills ID, Status and times.
func (s *DB) insertTx(ctx context.Context, q *sql.Tx, t *coffer.Transaction) error {
	defaultID(&t.ID, "tx")
	if t.Status == "" {
		t.Status = coffer.TxQueued
	}
	stamp(&t.CreatedAt)
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	stamp(&t.UpdatedAt)
	_, err := s.prep(q).ExecContext(ctx, `INSERT INTO transactions (`+txCols+`) VALUES
		($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)`,
		t.ID, t.OwnerID, t.Kind, u64(t.ChainID), addr(t.From), addrPtr(t.To), bigArg(t.Value), blob(t.Data), u64Ptr(t.Nonce),
		u64(t.Gas), bigArg(t.GasPrice), bigArg(t.FeeCap), bigArg(t.TipCap), hashPtr(t.Hash), blob(t.Raw), t.Status,
		u64Ptr(t.BlockNumber), hashPtr(t.BlockHash), u64Ptr(t.GasUsed), addrPtr(t.ContractAddress), t.Error,
		nullStr(t.IdempotencyKey), blob(t.RequestHash), s.tm(t.CreatedAt), s.tm(t.UpdatedAt))
	if err != nil {
		return s.wrap(err, "transaction %s", t.ID)
	}
	for i := range t.Attempts {
		if err := s.insertAttempt(ctx, q, t.ID, &t.Attempts[i]); err != nil {
			return err
		}
	}
	return s.appendEvent(ctx, q, coffer.TransactionEvent(t))
}

func (s *DB) insertAttempt(ctx context.Context, q querier, txID string, a *coffer.TxAttempt) error {
	stamp(&a.CreatedAt)
	_, err := s.prep(q).ExecContext(ctx, `INSERT INTO tx_attempts (tx_id, kind, hash, raw, gas_price, fee_cap, tip_cap, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		txID, a.Kind, hash(a.Hash), blob(a.Raw), bigArg(a.GasPrice), bigArg(a.FeeCap), bigArg(a.TipCap), s.tm(a.CreatedAt))
	return s.wrap(err, "attempt %s of %s", a.Hash.Hex(), txID)
}

func (s *DB) CreateTransaction(ctx context.Context, t *coffer.Transaction) error {
	return s.groupTx(ctx, func(ctx context.Context, tx *sql.Tx) error { return s.insertTx(ctx, tx, t) })
}

// loadTx reads one transaction matching cond (one "$1" argument) with its attempts.
func (s *DB) loadTx(ctx context.Context, q querier, cond string, arg any, lock bool) (*coffer.Transaction, error) {
	query := `SELECT ` + txCols + ` FROM transactions WHERE ` + cond
	if lock {
		query += s.d.ForUpdate
	}
	t, err := scanTx(s.prep(q).QueryRowContext(ctx, query, arg))
	if err != nil {
		return nil, err
	}
	if err := s.loadAttempts(ctx, q, t); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *DB) loadAttempts(ctx context.Context, q querier, t *coffer.Transaction) error {
	rows, err := s.prep(q).QueryContext(ctx, `SELECT kind, hash, raw, gas_price, fee_cap, tip_cap, created_at
		FROM tx_attempts WHERE tx_id = $1 ORDER BY id`, t.ID)
	if err != nil {
		return s.wrap(err, "attempts of %s", t.ID)
	}
	defer rows.Close()
	t.Attempts = nil
	for rows.Next() {
		var a coffer.TxAttempt
		if err := rows.Scan(&a.Kind, hashCol{&a.Hash}, bytesCol{&a.Raw}, bigCol{&a.GasPrice}, bigCol{&a.FeeCap}, bigCol{&a.TipCap},
			timeCol{&a.CreatedAt}); err != nil {
			return err
		}
		t.Attempts = append(t.Attempts, a)
	}
	return rows.Err()
}

// readTx runs a consistent multi-statement read. PostgreSQL and SQLite (WAL)
// give a read-only transaction one snapshot without blocking writers.
func (s *DB) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(s.uninterrupted(ctx), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s.wrap(err, "begin read")
	}
	defer tx.Rollback()
	return fn(tx)
}

func (s *DB) Transaction(ctx context.Context, id string) (*coffer.Transaction, error) {
	t, err := s.loadTx(ctx, s.db, `id = $1`, id, false)
	if err != nil {
		return nil, s.notFound(err, "transaction %s", id)
	}
	return t, nil
}

func (s *DB) TransactionByIdempotencyKey(ctx context.Context, key string) (*coffer.Transaction, error) {
	t, err := s.loadTx(ctx, s.db, `idempotency_key = $1`, key, false)
	if err != nil {
		return nil, s.notFound(err, "transaction with idempotency key %q", key)
	}
	return t, nil
}

// TransactionByHash finds the transaction whose current hash or any earlier
// attempt is h, so a receipt for a replaced attempt still finds its owner.
func (s *DB) TransactionByHash(ctx context.Context, h common.Hash) (*coffer.Transaction, error) {
	t, err := s.loadTx(ctx, s.db, `hash = $1 OR id IN (SELECT tx_id FROM tx_attempts WHERE hash = $1) LIMIT 1`, hash(h), false)
	if err != nil {
		return nil, s.notFound(err, "transaction %s", h.Hex())
	}
	return t, nil
}

func (s *DB) queryTxs(ctx context.Context, q querier, query string, args ...any) ([]*coffer.Transaction, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(err, "list transactions")
	}
	var out []*coffer.Transaction
	for rows.Next() {
		t, err := scanTx(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.loadAttemptsOf(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Transactions lists newest first by (created_at, id); the cursor is the last
// row's pair.
func (s *DB) Transactions(ctx context.Context, f coffer.TxFilter) ([]*coffer.Transaction, string, error) {
	limit := clampLimit(f.Limit)
	var w where
	if f.OwnerID != "" {
		w.add(`owner_id = ?`, f.OwnerID)
	}
	if f.From != nil {
		w.add(`from_addr = ?`, addr(*f.From))
	}
	if f.Status != "" {
		w.add(`status = ?`, f.Status)
	}
	if f.Kind != "" {
		w.add(`kind = ?`, f.Kind)
	}
	if f.To != nil {
		w.add(`to_addr = ?`, addr(*f.To))
	}
	if f.Cursor != "" {
		t, id, err := decodeTimeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		w.add(`(created_at, id) < (?, ?)`, s.tm(t), id)
	}
	query := `SELECT ` + txCols + ` FROM transactions` + w.String() +
		` ORDER BY created_at DESC, id DESC` + w.limit(limit+1)
	var out []*coffer.Transaction
	err := s.readTx(ctx, func(tx *sql.Tx) (err error) {
		out, err = s.queryTxs(ctx, tx, query, w.args...)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(last *coffer.Transaction) string { return timeCursor(last.CreatedAt, last.ID) })
	return out, next, nil
}

// maxStatusLimit caps TransactionsByStatus, the transaction manager's read
// of its queue and of every open transaction (2,000 a round): not an API
// page, so not capped at maxLimit.
const maxStatusLimit = 5000

func statusLimit(n int) int {
	if n <= 0 {
		return defaultLimit
	}
	return min(n, maxStatusLimit)
}

func (s *DB) TransactionsByStatus(ctx context.Context, chainID uint64, statuses []string, limit int) ([]*coffer.Transaction, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	w := statusWhere(chainID, statuses)
	query := `SELECT ` + txCols + ` FROM transactions` + w.String() +
		` ORDER BY created_at, id` + w.limit(statusLimit(limit))
	var out []*coffer.Transaction
	err := s.readTx(ctx, func(tx *sql.Tx) (err error) {
		out, err = s.queryTxs(ctx, s.prep(tx), query, w.args...)
		return err
	})
	return out, err
}

// statusWhere selects a chain's transactions in any of statuses.
func statusWhere(chainID uint64, statuses []string) *where {
	var w where
	w.add(`chain_id = ?`, u64(chainID))
	in := w.in(len(statuses), func(i int) any { return statuses[i] })
	w.conds = append(w.conds, `status IN (`+in+`)`)
	return &w
}

func (s *DB) TransactionsByStatusKnown(ctx context.Context, chainID uint64, statuses []string, limit int, known map[string]*coffer.Transaction) ([]*coffer.Transaction, error) {
	if len(known) == 0 || len(statuses) == 0 {
		return s.TransactionsByStatus(ctx, chainID, statuses, limit)
	}
	w := statusWhere(chainID, statuses)
	query := `SELECT id, updated_at FROM transactions` + w.String() + ` ORDER BY created_at, id` + w.limit(statusLimit(limit))
	type stamp struct {
		id string
		at time.Time
	}
	var out []*coffer.Transaction
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := s.prep(tx).QueryContext(ctx, query, w.args...)
		if err != nil {
			return s.wrap(err, "list transactions")
		}
		stamps, err := collect(rows, func(row interface{ Scan(...any) error }) (st stamp, err error) {
			return st, row.Scan(&st.id, timeCol{&st.at})
		})
		if err != nil {
			return s.wrap(err, "list transactions")
		}
		// Rows not known, or changed since, are read in full in the same
		// snapshot.
		out = make([]*coffer.Transaction, len(stamps))
		at := map[string]int{}
		var stale []string
		for i, st := range stamps {
			if k := known[st.id]; k != nil && k.UpdatedAt.Equal(st.at) {
				out[i] = k
				continue
			}
			at[st.id] = i
			stale = append(stale, st.id)
		}
		for part := range slices.Chunk(stale, inChunk) {
			var w where
			in := w.in(len(part), func(i int) any { return part[i] })
			got, err := s.queryTxs(ctx, s.prep(tx), `SELECT `+txCols+` FROM transactions WHERE id IN (`+in+`)`, w.args...)
			if err != nil {
				return err
			}
			for _, t := range got {
				out[at[t.ID]] = t
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(out, func(t *coffer.Transaction) bool { return t == nil }), nil
}

func (s *DB) AddAttempt(ctx context.Context, id string, a *coffer.TxAttempt) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		s.forgetTx(id)
		stamp(&a.CreatedAt)
		// COALESCE keeps the fee fields an attempt does not use (legacy vs 1559).
		res, err := tx.ExecContext(ctx, `UPDATE transactions SET hash = $1, raw = $2,
			gas_price = COALESCE($3, gas_price), fee_cap = COALESCE($4, fee_cap), tip_cap = COALESCE($5, tip_cap),
			updated_at = $6 WHERE id = $7`,
			hash(a.Hash), blob(a.Raw), bigArg(a.GasPrice), bigArg(a.FeeCap), bigArg(a.TipCap), s.tm(a.CreatedAt), id)
		if err != nil {
			return s.wrap(err, "update transaction %s", id)
		}
		if err := mustAffect(res, "transaction %s", id); err != nil {
			return err
		}
		return s.insertAttempt(ctx, tx, id, a)
	})
}

func (s *DB) CreateSignedTransaction(ctx context.Context, t *coffer.Transaction) error {
	if t.Kind != coffer.KindRaw || t.Hash == nil || t.Nonce == nil || len(t.Raw) == 0 {
		return coffer.Errorf(coffer.EINVALID, "a signed transaction needs kind raw, nonce, hash and raw bytes")
	}
	t.Status = coffer.TxPending
	if len(t.Attempts) == 0 {
		t.Attempts = []coffer.TxAttempt{{Hash: *t.Hash, Raw: t.Raw, GasPrice: t.GasPrice, FeeCap: t.FeeCap, TipCap: t.TipCap, CreatedAt: t.CreatedAt}}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM transactions WHERE hash = $1 AND kind = $2`,
			hash(*t.Hash), coffer.KindRaw).Scan(&n); err != nil {
			return s.wrap(err, "transaction %s", t.Hash.Hex())
		}
		if n > 0 {
			return coffer.Errorf(coffer.ECONFLICT, "transaction %s was already submitted", t.Hash.Hex())
		}
		return s.insertTx(ctx, tx, t)
	})
}

func (s *DB) CancelQueued(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		s.forgetTx(id)
		res, err := tx.ExecContext(ctx, `UPDATE transactions SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
			coffer.TxCancelled, s.tm(now()), id, coffer.TxQueued)
		if err != nil {
			return s.wrap(err, "cancel transaction %s", id)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			if err != nil {
				return err
			}
			t, err := s.txEvent(ctx, tx, id)
			if err != nil {
				return err
			}
			return s.followMint(ctx, tx, t, nil)
		}
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM transactions WHERE id = $1`, id).Scan(&status); err != nil {
			return s.notFound(err, "transaction %s", id)
		}
		return coffer.Errorf(coffer.ECONFLICT, "transaction %s is %s, not queued", id, status)
	})
}

func (s *DB) UpdateTransaction(ctx context.Context, id string, u coffer.TxUpdate) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := s.updateTx(ctx, tx, id, u)
		return err
	})
}

func (s *DB) UpdateTransactions(ctx context.Context, cs []coffer.TxChange) ([]*coffer.Transaction, error) {
	out := make([]*coffer.Transaction, len(cs))
	err := s.groupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for i, c := range cs {
			t, err := s.updateTx(ctx, tx, c.ID, c.Update)
			if err != nil {
				return err
			}
			out[i] = t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// updateTx applies u to transaction id inside tx, appends its event when the
// status changed, and returns the row as updated (without attempts).
//
// The row is read first (locked, where the engine locks rows) and the
// update is applied to it here as well as in the table, so that no second
// read is needed for the event, unless the mined attempt is not the current
// one: its bytes and fees then come from tx_attempts, and the row is read
// back.
//
// Where writes are serialised, the row need not even be read: the row as
// this process last signed or updated it is kept (txRows), and the UPDATE
// applies only if the row still has its updated_at and status, which every
// write moves. If another write came between, nothing is updated and the
// row is read as above. (As for mints: see updateMint.)
func (s *DB) updateTx(ctx context.Context, tx *sql.Tx, id string, u coffer.TxUpdate) (*coffer.Transaction, error) {
	var kept *coffer.Transaction
	if s.d.SerializeWrites {
		kept = s.txRows.take(id) // put back below once written
		if kept != nil && u.Hash != nil && (kept.Hash == nil || *kept.Hash != *u.Hash) {
			kept = nil // another attempt was mined: its columns are read back below
		}
	}
	t := kept
	if t != nil {
		t = ptrTo(*t)
	} else {
		var err error
		t, err = scanTx(s.prep(tx).QueryRowContext(ctx, `SELECT `+txCols+` FROM transactions WHERE id = $1`+s.d.ForUpdate, id))
		if err != nil {
			return nil, s.notFound(err, "transaction %s", id)
		}
	}
	before := t.Status // a change of status is an event
	var w where
	last := t.UpdatedAt
	t.UpdatedAt = later(last)
	set := `updated_at = ` + w.arg(s.tm(t.UpdatedAt))
	if u.Status != "" {
		set += `, status = ` + w.arg(u.Status)
		t.Status = u.Status
	}
	if u.BlockNumber != nil {
		set += `, block_number = ` + w.arg(u64Ptr(u.BlockNumber))
		t.BlockNumber = ptrTo(*u.BlockNumber)
	}
	if u.BlockHash != nil {
		set += `, block_hash = ` + w.arg(hashPtr(u.BlockHash))
		t.BlockHash = ptrTo(*u.BlockHash)
	}
	if u.GasUsed != nil {
		set += `, gas_used = ` + w.arg(u64Ptr(u.GasUsed))
		t.GasUsed = ptrTo(*u.GasUsed)
	}
	if u.ContractAddress != nil {
		set += `, contract_address = ` + w.arg(addrPtr(u.ContractAddress))
		t.ContractAddress = ptrTo(*u.ContractAddress)
	}
	if u.Error != nil {
		set += `, error = ` + w.arg(*u.Error)
		t.Error = *u.Error
	}
	if u.Hash != nil && (t.Hash == nil || *t.Hash != *u.Hash) {
		// Another attempt was mined: it becomes current, with its bytes and
		// fees (the latest attempt with that hash).
		h := w.arg(hash(*u.Hash))
		txID := w.arg(id)
		att := func(col string) string {
			return `(SELECT ` + col + ` FROM tx_attempts WHERE tx_id = ` + txID + ` AND hash = ` + h + ` ORDER BY id DESC LIMIT 1)`
		}
		set += `, hash = ` + h
		for _, col := range []string{"raw", "gas_price", "fee_cap", "tip_cap"} {
			set += `, ` + col + ` = COALESCE(` + att(col) + `, ` + col + `)`
		}
		var err error
		if t, err = scanTx(s.updateRow(ctx, tx, "transactions", set, &w, id, txCols)); err != nil {
			return nil, s.wrap(err, "update transaction %s", id)
		}
	} else {
		cond := `id = ` + w.arg(id)
		if kept != nil {
			cond += ` AND updated_at = ` + w.arg(s.tm(last)) + ` AND status = ` + w.arg(before)
		}
		res, err := s.prep(tx).ExecContext(ctx, `UPDATE transactions SET `+set+` WHERE `+cond, w.args...)
		if err != nil {
			return nil, s.wrap(err, "update transaction %s", id)
		}
		if kept != nil {
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return s.updateTx(ctx, tx, id, u) // changed meanwhile (it is no longer kept): read it
			}
		}
	}
	s.keepTx(t)
	if t.Status != before {
		if err := s.appendEvent(ctx, tx, coffer.TransactionEvent(t)); err != nil {
			return nil, err
		}
	}
	if u.Status != "" || u.Hash != nil || u.TokenID != nil {
		if err := s.followMint(ctx, tx, t, u.TokenID); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// keepTx keeps t as just written (without its attempts) for updateTx, where
// writes are serialised, until it is final. Like every row the store hands
// out, the copy shares t's pointers and slices, which nobody writes through.
func (s *DB) keepTx(t *coffer.Transaction) {
	if !s.d.SerializeWrites {
		return
	}
	final := t.Status == coffer.TxConfirmed || t.Status == coffer.TxFailed || t.Status == coffer.TxCancelled
	k := *t
	k.Attempts = nil
	s.txRows.keep(t.ID, &k, final)
}

// forgetTx drops the kept row of a transaction written without keepTx.
func (s *DB) forgetTx(id string) {
	if s.d.SerializeWrites {
		s.txRows.take(id)
	}
}

// ptrTo is a pointer to a copy of v.
func ptrTo[T any](v T) *T { return &v }

func (s *DB) TransactionsByID(ctx context.Context, ids []string) ([]*coffer.Transaction, error) {
	got, err := queryIn(ctx, s, "read transactions", `SELECT `+txCols+` FROM transactions WHERE id IN (?)`, ids, anyOf, scanTx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*coffer.Transaction, len(got))
	for _, t := range got {
		byID[t.ID] = t
	}
	out := make([]*coffer.Transaction, 0, len(byID))
	for _, id := range ids {
		if t := byID[id]; t != nil {
			out = append(out, t)
			delete(byID, id) // an id given twice is returned once
		}
	}
	return out, nil
}

func (s *DB) NextNonce(ctx context.Context, chainID uint64, from common.Address) (uint64, error) {
	var n uint64
	err := s.db.QueryRowContext(ctx, `SELECT next_nonce FROM nonces WHERE chain_id = $1 AND address = $2`,
		u64(chainID), addr(from)).Scan(u64Col{&n})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, s.wrap(err, "nonce of %s", from.Hex())
}

func (s *DB) SetNextNonce(ctx context.Context, chainID uint64, from common.Address, next uint64) error {
	_, err := s.exec(ctx, `INSERT INTO nonces (chain_id, address, next_nonce) VALUES ($1, $2, $3)
		ON CONFLICT (chain_id, address) DO UPDATE SET next_nonce = excluded.next_nonce`,
		u64(chainID), addr(from), u64(next))
	return s.wrap(err, "set nonce of %s", from.Hex())
}
