package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer/store/storetest"
)

// Batched and single appends from two pools on one file (two processes).
func TestAuditBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coffer.db")
	a, b := open(t, path), open(t, path)
	defer a.Close()
	defer b.Close()
	storetest.AuditBatchRace(t, 40, a, b)
}
