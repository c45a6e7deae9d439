package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/cofferhq/coffer"
)

const auditCols = `seq, time, principal, wallet, key_id, kind, digest, chain_id, to_addr, value, request_id, outcome,
	prev_hash, hash`

func scanAudit(row interface{ Scan(...any) error }) (*coffer.AuditRecord, error) {
	r := new(coffer.AuditRecord)
	err := row.Scan(&r.Seq, timeCol{&r.Time}, &r.Principal, addrCol{&r.Wallet}, &r.KeyID, &r.Kind, hashCol{&r.Digest},
		u64Col{&r.ChainID}, addrPtrCol{&r.To}, bigCol{&r.Value}, &r.RequestID, &r.Outcome, bytesCol{&r.PrevHash},
		bytesCol{&r.Hash})
	return r, err
}

// AppendAudit chains r to the last record. Appends are serialised (the write
// lock in SQLite, an advisory lock in PostgreSQL) so that two writers never
// chain to the same predecessor.
func (s *DB) AppendAudit(ctx context.Context, r *coffer.AuditRecord) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if s.d.LockAudit != "" {
			if _, err := tx.ExecContext(ctx, s.d.LockAudit); err != nil {
				return s.wrap(err, "lock audit log")
			}
		}
		var last int64
		var prev []byte
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&last, bytesCol{&prev})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.wrap(err, "read audit log")
		}
		// The hash covers the time as stored, so normalise it first.
		stamp(&r.Time)
		r.Seq, r.PrevHash = last+1, prev
		r.Hash = coffer.AuditHash(prev, r)
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditCols+`) VALUES
			($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			r.Seq, s.tm(r.Time), r.Principal, addr(r.Wallet), r.KeyID, r.Kind, hash(r.Digest), u64(r.ChainID),
			addrPtr(r.To), bigArg(r.Value), r.RequestID, r.Outcome, blob(r.PrevHash), r.Hash)
		if err != nil {
			return s.wrap(err, "append audit record")
		}
		// The head lives apart from the log, so truncating the log's tail
		// also means rewriting it (see AuditHead).
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, r.Seq, r.Hash)
		return s.wrap(err, "advance audit head")
	})
}

// AuditHead returns the seq and hash of the last appended record (0, nil
// when none was ever appended).
func (s *DB) AuditHead(ctx context.Context) (int64, []byte, error) {
	var seq int64
	var h []byte
	err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, bytesCol{&h})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, s.wrap(err, "read audit head")
	}
	return seq, h, nil
}

// AuditRecords lists newest first; the cursor is the last row's seq.
func (s *DB) AuditRecords(ctx context.Context, f coffer.AuditFilter) ([]*coffer.AuditRecord, string, error) {
	limit := clampLimit(f.Limit)
	var w where
	if f.Wallet != nil {
		w.add(`wallet = ?`, addr(*f.Wallet))
	}
	if f.Principal != "" {
		w.add(`principal = ?`, f.Principal)
	}
	if f.Kind != "" {
		w.add(`kind = ?`, f.Kind)
	}
	if f.Outcome != "" {
		// "refused" matches every "refused: <rule>".
		w.add(`(outcome = ? OR substr(outcome, 1, ?) = ?)`, f.Outcome, len(f.Outcome)+2, f.Outcome+": ")
	}
	if f.Since != nil {
		w.add(`time >= ?`, s.tm(*f.Since))
	}
	if f.Until != nil {
		w.add(`time < ?`, s.tm(*f.Until))
	}
	if f.Cursor != "" {
		p, err := decodeCursor(f.Cursor, 1)
		if err != nil {
			return nil, "", err
		}
		seq, err := strconv.ParseInt(p[0], 10, 64)
		if err != nil {
			return nil, "", coffer.Errorf(coffer.EINVALID, "bad cursor")
		}
		w.add(`seq < ?`, seq)
	}
	out, err := s.queryAudit(ctx, `SELECT `+auditCols+` FROM audit_log`+w.String()+
		` ORDER BY seq DESC`+w.limit(limit+1), w.args...)
	if err != nil {
		return nil, "", err
	}
	out, next := page(out, limit, func(last *coffer.AuditRecord) string { return encodeCursor(strconv.FormatInt(last.Seq, 10)) })
	return out, next, nil
}

// AuditChain returns up to limit records with seq > afterSeq in ascending
// order (limit <= 0: all of them), for verifying the chain page by page: pass
// the last seq of one page as afterSeq of the next.
func (s *DB) AuditChain(ctx context.Context, afterSeq int64, limit int) ([]*coffer.AuditRecord, error) {
	q := `SELECT ` + auditCols + ` FROM audit_log WHERE seq > $1 ORDER BY seq`
	args := []any{afterSeq}
	if limit > 0 {
		q += ` LIMIT CAST($2 AS INTEGER)` // see where.limit
		args = append(args, limit)
	}
	return s.queryAudit(ctx, q, args...)
}

func (s *DB) queryAudit(ctx context.Context, q string, args ...any) ([]*coffer.AuditRecord, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(err, "read audit log")
	}
	return collect(rows, scanAudit)
}
