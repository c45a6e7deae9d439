package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

// AuditBatcher is a store that appends several audit records in one
// transaction (sqlstore.DB).
type AuditBatcher interface {
	AppendAuditBatch(ctx context.Context, rs []*coffer.AuditRecord) error
}

// AuditBatchRace appends n batches of 1–7 records and n single records
// concurrently, spread over stores (pools on one database stand in for
// processes); the chain must hold every record once, verify, and end at the
// head; each batch must be contiguous and in the order given. Every store
// must be an AuditBatcher.
func AuditBatchRace(t testing.TB, n int, stores ...coffer.Store) {
	t.Helper()
	before := len(auditChain(t, stores[0]))
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	batches := make([][]*coffer.AuditRecord, n)
	for i := range n {
		batch := make([]*coffer.AuditRecord, 1+i%7)
		for j := range batch {
			batch[j] = &coffer.AuditRecord{Time: time.Now(), Principal: "apikey:bench", Wallet: address(i % 4), KeyID: "k",
				Kind: "hash", Digest: hashOf(i, j), RequestID: fmt.Sprint("batch", i, "-", j), Outcome: "allowed"}
			if j%3 == 2 {
				batch[j].Kind, batch[j].ChainID, batch[j].To, batch[j].Value = "transaction", 1, ptr(address(9)), maxU256
			}
		}
		batches[i] = batch
		wg.Go(func() {
			errs <- stores[i%len(stores)].(AuditBatcher).AppendAuditBatch(ctx, batch)
		})
		wg.Go(func() {
			errs <- stores[(i+1)%len(stores)].AppendAudit(ctx, &coffer.AuditRecord{Principal: "txm", Wallet: address(5), KeyID: "k",
				Kind: "message", Digest: hashOf("single", i), RequestID: fmt.Sprint("single", i), Outcome: "refused: rule"})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	total := n
	for _, b := range batches {
		total += len(b)
		for j := 1; j < len(b); j++ {
			if b[j].Seq != b[j-1].Seq+1 || string(b[j].PrevHash) != string(b[j-1].Hash) {
				t.Fatalf("batch records %d and %d are not chained: seq %d then %d", j-1, j, b[j-1].Seq, b[j].Seq)
			}
		}
	}
	all := auditChain(t, stores[0])
	if len(all) != before+total {
		t.Fatalf("%d records, want %d", len(all), before+total)
	}
	ok(t, coffer.VerifyAuditChain(all))
	seq, head, err := stores[0].AuditHead(ctx)
	ok(t, err)
	if end := all[len(all)-1]; seq != end.Seq || string(head) != string(end.Hash) {
		t.Fatalf("head %d, last record %d", seq, end.Seq)
	}
	for _, b := range batches {
		for _, r := range b {
			if got := all[r.Seq-1]; got.RequestID != r.RequestID || string(got.Hash) != string(r.Hash) {
				t.Fatalf("record %d is %s, the batch says %s", r.Seq, got.RequestID, r.RequestID)
			}
		}
	}
	if err := stores[0].(AuditBatcher).AppendAuditBatch(ctx, nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
}

// BenchAppendAudit appends one record per operation, one transaction each.
func BenchAppendAudit(b *testing.B, s coffer.Store) {
	i := 0
	for b.Loop() {
		i++
		if err := s.AppendAudit(ctx, &coffer.AuditRecord{Principal: "apikey:bench", Wallet: address(1), KeyID: "k", Kind: "hash",
			Digest: hashOf(i), RequestID: "req", Outcome: "allowed"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchAppendAuditBatch appends records in batches of size; an operation is
// one record, so ns/op compares with BenchAppendAudit's.
func BenchAppendAuditBatch(b *testing.B, s coffer.Store, size int) {
	ab := s.(AuditBatcher)
	batch := make([]*coffer.AuditRecord, 0, size)
	flush := func() {
		if err := ab.AppendAuditBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	i := 0
	for b.Loop() {
		i++
		batch = append(batch, &coffer.AuditRecord{Principal: "apikey:bench", Wallet: address(1), KeyID: "k", Kind: "hash",
			Digest: hashOf(i), RequestID: "req", Outcome: "allowed"})
		if len(batch) == size {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
}
