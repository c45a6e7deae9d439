package postgres_test

import (
	"testing"

	"github.com/cofferhq/coffer/internal/testenv"
	"github.com/cofferhq/coffer/store/storetest"
)

// Batched and single appends from two pools on one database (two processes).
func TestAuditBatch(t *testing.T) {
	d := testenv.PostgresDSN(t)
	a, b := open(t, d), open(t, d)
	defer a.Close()
	defer b.Close()
	storetest.AuditBatchRace(t, 50, a, b)
}

func BenchmarkAppendAudit(b *testing.B) {
	storetest.BenchAppendAudit(b, open(b, testenv.PostgresDSN(b)))
}

func BenchmarkAppendAuditBatch64(b *testing.B) {
	storetest.BenchAppendAuditBatch(b, open(b, testenv.PostgresDSN(b)), 64)
}
