package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

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
	return s.tx(ctx, func(tx *sql.Tx) error {
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
		if err := s.insertAuditRows(ctx, tx, rows); err != nil {
			return err
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

// insertAuditRows inserts the rows: on PostgreSQL as one multi-row INSERT
// (one round trip); elsewhere (SQLite, in process) with prepared statements
// of 16, 8, 4, 2 and 1 rows. Those use "?" placeholders: SQLite
// binds them by position, where numbered ones ("$1") are found by name, a
// cost that grows with the statement's parameters.
func (s *DB) insertAuditRows(ctx context.Context, tx *sql.Tx, rows [][]any) error {
	const insert = `INSERT INTO audit_log (` + auditCols + `) VALUES `
	if s.d.Name == "postgres" {
		var q strings.Builder
		q.WriteString(insert)
		args := make([]any, 0, len(rows)*len(rows[0]))
		for i, row := range rows {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteByte('(')
			for j := range row {
				if j > 0 {
					q.WriteString(", ")
				}
				q.WriteString("$" + strconv.Itoa(len(args)+j+1))
			}
			q.WriteByte(')')
			args = append(args, row...)
		}
		_, err := tx.ExecContext(ctx, q.String(), args...)
		return s.wrap(err, "append audit records")
	}
	for len(rows) > 0 {
		// The largest prepared size that fits: 12 rows go as 8 + 4.
		n := min(auditChunk, 1<<(bits.Len(uint(len(rows)))-1))
		ins, err := s.txStmt(ctx, tx, insert+auditValues[n])
		if err != nil {
			return err
		}
		args := make([]any, 0, n*len(rows[0]))
		for _, row := range rows[:n] {
			args = append(args, row...)
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return s.wrap(err, "append audit records")
		}
		rows = rows[n:]
	}
	return nil
}

// auditChunk is the rows of the largest prepared audit INSERT; the others
// take 8, 4, 2 and 1 rows, so a batch of any size is a few statements (one
// statement per row cost 40 % more per record at the typical 12-row group).
const auditChunk = 16

// auditValues[n] is the VALUES list of n audit rows with "?" placeholders,
// for n a power of two up to auditChunk.
var auditValues = func() map[int]string {
	row := "(" + strings.Repeat("?, ", strings.Count(auditCols, ",")) + "?)"
	m := map[int]string{}
	for n := 1; n <= auditChunk; n *= 2 {
		m[n] = strings.Repeat(row+", ", n-1) + row
	}
	return m
}()
