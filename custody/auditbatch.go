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
// requests were in custody at once (counted by the signing methods, whether
// before, in or after their audit append) at some moment since the previous
// batch was taken, it waits until three quarters of that many, at most
// lingerTarget, are queued, or for auditLinger from when the writer became free (the first
// caller's arrival, or the end of the previous write), whichever comes first.
// A write transaction costs about the same for 1 record as for 10 (BEGIN,
// last record, head, COMMIT and its WAL frames), so at high rates fewer,
// bigger batches save CPU that the signatures then use, while the requests
// not yet queued (in HTTP, signing or answering) keep the cores busy.
//
// Both measures are taken over the last write on purpose. The number in
// custody swings widely at a high rate (most of a request's life is HTTP,
// and a committed batch releases its members together), so an instant
// reading often finds fewer than lingerSiblings and wrote a lone record at
// once: a third of the groups held one record at 64 clients. And a window
// counted from the oldest record's arrival was usually over before the
// previous write ended, so the next batch went without waiting either.
// A record still waits at most for the write in progress, auditLinger and its
// own write; below lingerSiblings concurrent signers nothing ever waits, so a
// lone request's latency is unchanged.
//
// Stores without AppendAuditBatch get one AppendAudit per record.
type auditBatcher struct {
	mu        sync.Mutex
	queue     []*auditReq
	writing   bool
	lingering int           // > 0: the writer waits for the queue to reach this length
	full      chan struct{} // wakes a lingering writer (capacity 1)
	active    atomic.Int64  // signing requests in custody now
	peak      atomic.Int64  // the most in custody at once since the last batch was taken

	// Tests only: the clock (nil: time.Now) and the linger (0: auditLinger).
	now    func() time.Time
	linger time.Duration

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
	// wait early; auditLinger bounds how long a free writer waits for more
	// records before taking a batch (1 ms rather than 0.3: in three
	// alternating bench sign pairs at 32 clients it gave 2–15 % more
	// signatures per second, p99 unchanged). Waiting for three quarters of
	// the signers rather than half grew the groups at 32 clients from 13 to
	// 17 records and took 3–18 µs off each request's CPU in two alternating
	// pairs (a 2 ms linger instead grew them to 15 and saved nothing).
	lingerSiblings = 4
	lingerTarget   = 48
	auditLinger    = time.Millisecond
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
	req := &auditReq{ctx: ctx, rec: r, at: b.clock(), done: make(chan error, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, req)
	if b.writing {
		if b.lingering > 0 && len(b.queue) >= b.lingering {
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
	b.write(ba, req.at)
	return <-req.done
}

// write appends one batch from the queue (it holds the caller's own record,
// queued before writing was set) and hands writing on to the next batch's
// first member, or clears it. free is when the writer became free: the
// linger is counted from it.
func (b *auditBatcher) write(ba auditBatchAppender, free time.Time) {
	b.mu.Lock()
	if want := lingerWant(max(b.peak.Load(), b.active.Load())); len(b.queue) < want {
		linger := b.linger
		if linger == 0 {
			linger = auditLinger
		}
		if d := linger - b.clock().Sub(free); d > 0 {
			if b.full == nil {
				b.full = make(chan struct{}, 1)
			}
			b.lingering = want
			b.mu.Unlock()
			t := time.NewTimer(d)
			select {
			case <-b.full:
			case <-t.C:
			}
			t.Stop()
			b.mu.Lock()
			b.lingering = 0
			select {
			case <-b.full:
			default:
			}
		}
	}
	n := min(len(b.queue), maxAuditBatch)
	batch := b.queue[:n:n]
	b.queue = append([]*auditReq(nil), b.queue[n:]...)
	// The next batch's peak starts from those in custody now.
	b.peak.Store(b.active.Load())
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
	// this caller (whose record is stored) wait for it. Its linger counts
	// from now, when the writer is free again.
	go b.write(ba, b.clock())
}

func (b *auditBatcher) clock() time.Time {
	if b.now != nil {
		return b.now()
	}
	return time.Now()
}

// enter and leave bracket a signing request in custody (leave when it has
// its signature or was refused).
func (b *auditBatcher) enter() {
	n := b.active.Add(1)
	for p := b.peak.Load(); n > p && !b.peak.CompareAndSwap(p, n); p = b.peak.Load() {
	}
}
func (b *auditBatcher) leave() { b.active.Add(-1) }

// lingerWant is the queue length a free writer waits for when up to conc
// signing requests were in custody at once: none below lingerSiblings, else
// three quarters of them, at least 2 and at most lingerTarget.
func lingerWant(conc int64) int {
	if conc < lingerSiblings {
		return 0
	}
	return int(min(lingerTarget, max(2, conc*3/4)))
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
