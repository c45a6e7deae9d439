package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cofferhq/coffer"
)

// maxAuditBatch bounds one batch (and so one write transaction).
const maxAuditBatch = 512

// AppendAuditBatch appends rs to the hash chain in order, in one transaction:
// each record chains to the one before it and the first to the stored last
// record; either all are stored (and the head advanced to the last) or none
// is. Like AppendAudit it fills Seq, PrevHash and Hash, and it is serialised
// with every other append, AppendAudit's and other processes'. It is what a
// group-committing writer (custody) calls with the records of concurrent
// signing requests: one write transaction instead of one per signature.
func (s *DB) AppendAuditBatch(ctx context.Context, rs []*coffer.AuditRecord) error {
	if len(rs) == 0 {
		return nil
	}
	if len(rs) > maxAuditBatch {
		return fmt.Errorf("sqlstore: audit batch of %d records (at most %d)", len(rs), maxAuditBatch)
	}
	return s.groupTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if s.d.LockAudit != "" {
			if _, err := tx.ExecContext(ctx, s.d.LockAudit); err != nil {
				return s.wrap(err, "lock audit log")
			}
		}
		var last int64
		var prev []byte
		lastRec, err := s.txStmt(ctx, tx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`)
		if err != nil {
			return err
		}
		err = lastRec.QueryRowContext(ctx).Scan(&last, bytesCol{&prev})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.wrap(err, "read audit log")
		}
		rows := make([][]any, len(rs))
		for i, r := range rs {
			// The hash covers the time as stored, so normalise it first.
			stamp(&r.Time)
			r.Seq, r.PrevHash = last+1+int64(i), prev
			r.Hash = coffer.AuditHash(prev, r)
			prev = r.Hash
			rows[i] = []any{r.Seq, s.tm(r.Time), r.Principal, addr(r.Wallet), r.KeyID, r.Kind, hash(r.Digest), u64(r.ChainID),
				addrPtr(r.To), bigArg(r.Value), r.RequestID, r.Outcome, blob(r.PrevHash), r.Hash}
		}
		if err := s.insertRows(ctx, tx, `INSERT INTO audit_log (`+auditCols+`) VALUES `, "", rows); err != nil {
			return s.wrap(err, "append audit records")
		}
		end := rs[len(rs)-1]
		head, err := s.txStmt(ctx, tx, auditHeadUpsert)
		if err != nil {
			return err
		}
		_, err = head.ExecContext(ctx, end.Seq, end.Hash)
		return s.wrap(err, "advance audit head")
	})
}

const auditHeadUpsert = `INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`
