package sqlstore

import (
	"context"
	"database/sql"
	"math/bits"
	"strconv"
	"strings"
	"sync"
)

// rowsChunk is the rows of the largest prepared multi-row INSERT; the others
// take 8, 4, 2 and 1 rows, so a batch of any size is a few statements (one
// statement per row cost 40 % more per audit record at the typical 12-row
// group).
const rowsChunk = 16

// insertRows inserts rows (each one value per column of insert's column
// list) with insert, which ends in "VALUES ", then suffix (an ON CONFLICT
// clause, or ""): on PostgreSQL as one multi-row INSERT (one round trip);
// elsewhere (SQLite, in process) with prepared statements of 16, 8, 4, 2 and
// 1 rows. Those use "?" placeholders: SQLite binds them by position, where
// numbered ones ("$1") are found by name, a cost that grows with the
// statement's parameters.
func (s *DB) insertRows(ctx context.Context, tx *sql.Tx, insert, suffix string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	if s.d.Name == "postgres" {
		var q strings.Builder
		q.WriteString(insert)
		args := make([]any, 0, len(rows)*cols)
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
		_, err := tx.ExecContext(ctx, q.String()+suffix, args...)
		return err
	}
	args := make([]any, 0, min(len(rows), rowsChunk)*cols)
	for len(rows) > 0 {
		// The largest prepared size that fits: 12 rows go as 8 + 4.
		n := min(rowsChunk, 1<<(bits.Len(uint(len(rows)))-1))
		ins, err := s.txStmt(ctx, tx, insert+valuesList(cols, n)+suffix)
		if err != nil {
			return err
		}
		args = args[:0]
		for _, row := range rows[:n] {
			args = append(args, row...)
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// valuesLists caches valuesList's answers by (columns, rows).
var valuesLists sync.Map // [2]int → string

// valuesList is the VALUES list of rows rows of cols "?" placeholders each.
func valuesList(cols, rows int) string {
	key := [2]int{cols, rows}
	if v, ok := valuesLists.Load(key); ok {
		return v.(string)
	}
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	v := strings.Repeat(row+", ", rows-1) + row
	valuesLists.Store(key, v)
	return v
}
