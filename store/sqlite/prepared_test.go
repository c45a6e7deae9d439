package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer/store/storetest"
)

// The hot queries run as prepared statements, correctly, across two pools
// (two processes) on one file.
func TestPreparedStatements(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coffer.db")
	a, b := open(t, path), open(t, path)
	defer a.Close()
	defer b.Close()
	storetest.Prepared(t, a, b)
}

// An IN list of any length takes one of a few query texts (padded to a
// power of two), so such queries are prepared once each rather than parsed
// at every call or filling the statement cache with one text per length.
func TestInListShapes(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "coffer.db"))
	defer s.Close()
	ctx := context.Background()
	before := s.PreparedStatements()
	var ids []string
	for n := 1; n <= 40; n++ {
		ids = append(ids, fmt.Sprintf("tx_missing_%d", n))
		got, err := s.TransactionsByID(ctx, ids)
		if err != nil || len(got) != 0 {
			t.Fatalf("%d ids: %v, %v", n, got, err)
		}
	}
	if added := s.PreparedStatements() - before; added != 7 {
		t.Fatalf("lists of 1 to 40 ids took %d statements, want 7 (1, 2, 4, … 64)", added)
	}
}
