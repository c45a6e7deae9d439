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

func BenchmarkAppendAudit(b *testing.B) {
	storetest.BenchAppendAudit(b, open(b, filepath.Join(b.TempDir(), "coffer.db")))
}

func BenchmarkAppendAuditBatch64(b *testing.B) {
	storetest.BenchAppendAuditBatch(b, open(b, filepath.Join(b.TempDir(), "coffer.db")), 64)
}

// Groups of 12: what 32 sign-hash clients typically commit together.
func BenchmarkAppendAuditBatch12(b *testing.B) {
	storetest.BenchAppendAuditBatch(b, open(b, filepath.Join(b.TempDir(), "coffer.db")), 12)
}
