package postgres_test

import (
	"testing"

	"github.com/cofferhq/coffer/store/storetest"
)

// Batched and single appends from two pools on one database (two processes).
func TestAuditBatch(t *testing.T) {
	d := freshSchema(t)
	a, b := open(t, d), open(t, d)
	defer a.Close()
	defer b.Close()
	storetest.AuditBatchRace(t, 50, a, b)
}

func BenchmarkAppendAudit(b *testing.B) {
	storetest.BenchAppendAudit(b, open(b, freshSchema(b)))
}

func BenchmarkAppendAuditBatch64(b *testing.B) {
	storetest.BenchAppendAuditBatch(b, open(b, freshSchema(b)), 64)
}
