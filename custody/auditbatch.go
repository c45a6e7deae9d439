package custody

import (
	"context"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cofferhq/coffer"
)

// auditBatcher group-commits audit records: concurrent signing requests'
// records go to the store together, in one transaction, instead of one write
// transaction each (on SQLite every append otherwise waits for the single
// writer in turn). There is no standing goroutine: the first caller to find
// no write in progress becomes the writer and appends what has queued up;
// records arriving meanwhile form the next batch, written as soon as the
// current write ends (by a goroutine the writer starts, so that its caller
// returns at once). Each caller returns only when its own record is committed
// (or the batch failed), so "no audit record, no signature" holds as before;
// the store keeps the hash chain (records of a batch chain in arrival order).
//
// Under load the writer lingers before taking a batch (like PostgreSQL's
// commit_delay with commit_siblings): when at least lingerSiblings signing
// requests are in custody at once (counted by the signing methods, whether
// before, in or after their audit append), it waits until half of them, at
// most lingerTarget, are queued, or until the oldest queued record has
// waited auditLinger, whichever comes first. A write transaction costs about
// the same for 1 record as for 10 (BEGIN, last record, head, COMMIT and its
// WAL frames), so at high rates fewer, bigger batches save CPU that the
// signatures then use, while the other half keeps the cores busy signing.
// The wait is bounded and never taken at low concurrency, where it would
// only add latency.
//
// Stores without AppendAuditBatch get one AppendAudit per record.
type auditBatcher struct {
	mu        sync.Mutex
	queue     []*auditReq
	writing   bool
	lingering bool          // the writer waits for the queue to reach lingerTarget
	full      chan struct{} // wakes a lingering writer (capacity 1)
	active    atomic.Int64  // signing requests in custody (signing)

	stats auditStats
}

type auditReq struct {
	ctx  context.Context
	rec  *coffer.AuditRecord
	at   time.Time // when it was queued
	done chan error
}

const (
	// maxAuditBatch is the largest group (the store accepts up to 512).
	maxAuditBatch = 256
	// lingerSiblings is the number of signing requests in custody from
	// which the writer lingers; lingerTarget caps the queue that ends the
	// wait early; auditLinger bounds how long a queued record waits for its
	// batch to start.
	lingerSiblings = 4
	lingerTarget   = 32
	auditLinger    = 300 * time.Microsecond
)

type auditBatchAppender interface {
	AppendAuditBatch(ctx context.Context, rs []*coffer.AuditRecord) error
}

// append stores r through st, batched with concurrent appends.
func (b *auditBatcher) append(ctx context.Context, st coffer.Store, r *coffer.AuditRecord) error {
	ba, ok := st.(auditBatchAppender)
	if !ok {
		return st.AppendAudit(ctx, r)
	}
	req := &auditReq{ctx: ctx, rec: r, at: time.Now(), done: make(chan error, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, req)
	if b.writing {
		if b.lingering && len(b.queue) >= b.target() {
			select {
			case b.full <- struct{}{}:
			default:
			}
		}
		b.mu.Unlock()
		// A write is in progress; ours is in the next batch.
		select {
		case err := <-req.done:
			return err
		case <-ctx.Done():
			// The record may still be written (as a request that then did
			// not sign); the caller signs nothing.
			return ctx.Err()
		}
	}
	b.writing = true
	b.mu.Unlock()
	b.write(ba)
	return <-req.done
}

// write appends one batch from the queue (it holds the caller's own record,
// queued before writing was set) and hands writing on to the next batch's
// first member, or clears it.
func (b *auditBatcher) write(ba auditBatchAppender) {
	b.mu.Lock()
	if b.active.Load() >= lingerSiblings && len(b.queue) < b.target() {
		if d := auditLinger - time.Since(b.queue[0].at); d > 0 {
			if b.full == nil {
				b.full = make(chan struct{}, 1)
			}
			b.lingering = true
			b.mu.Unlock()
			t := time.NewTimer(d)
			select {
			case <-b.full:
			case <-t.C:
			}
			t.Stop()
			b.mu.Lock()
			b.lingering = false
			select {
			case <-b.full:
			default:
			}
		}
	}
	n := min(len(b.queue), maxAuditBatch)
	batch := b.queue[:n:n]
	b.queue = append([]*auditReq(nil), b.queue[n:]...)
	b.mu.Unlock()
	b.stats.add(n)

	recs := make([]*coffer.AuditRecord, len(batch))
	for i, q := range batch {
		recs[i] = q.rec
	}
	// The batch belongs to all its members: one caller giving up must not
	// fail the others.
	err := ba.AppendAuditBatch(context.WithoutCancel(batch[0].ctx), recs)
	for _, q := range batch {
		q.done <- err
	}

	b.mu.Lock()
	if len(b.queue) == 0 {
		b.writing = false
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	// Those queued meanwhile are waiting; write their batch without making
	// this caller (whose record is stored) wait for it.
	go b.write(ba)
}

// enter and leave bracket a signing request in custody (leave when it has
// its signature or was refused).
func (b *auditBatcher) enter() { b.active.Add(1) }
func (b *auditBatcher) leave() { b.active.Add(-1) }

// target is the queue length that ends a linger: half the signing requests
// in custody, at most lingerTarget.
func (b *auditBatcher) target() int {
	return int(min(lingerTarget, max(2, b.active.Load()/2)))
}

// auditStats counts group-committed batches by size.
type auditStats struct {
	batches, records atomic.Int64
	bySize           [10]atomic.Int64 // 1, 2–3, 4–7, …, 256–511 records
}

func (s *auditStats) add(n int) {
	s.batches.Add(1)
	s.records.Add(int64(n))
	s.bySize[min(bits.Len(uint(n))-1, len(s.bySize)-1)].Add(1)
}

// AuditGroupStats counts the audit batches custody has group-committed since
// it started: Batches and Records in all, and BySize[i] the batches of 2^i to
// 2^(i+1)-1 records.
type AuditGroupStats struct {
	Batches, Records int64
	BySize           [10]int64
}

// AuditGroups reports the audit group commit's batches so far (for
// benchmarks and metrics).
func (s *Service) AuditGroups() AuditGroupStats {
	var st AuditGroupStats
	st.Batches = s.audits.stats.batches.Load()
	st.Records = s.audits.stats.records.Load()
	for i := range st.BySize {
		st.BySize[i] = s.audits.stats.bySize[i].Load()
	}
	return st
}
