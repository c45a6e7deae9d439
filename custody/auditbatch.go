package custody

import (
	"context"
	"sync"

	"github.com/cofferhq/coffer"
)

// auditBatcher group-commits audit records: concurrent signing requests'
// records go to the store together, in one transaction, instead of one write
// transaction each (on SQLite every append otherwise waits for the single
// writer in turn). There is no timer and no standing goroutine: the first
// caller to find no write in progress becomes the writer and appends what
// has queued up; records arriving meanwhile form the next batch, written as
// soon as the current write ends (by a goroutine the writer starts, so that
// its caller returns at once). Each caller returns only
// when its own record is committed (or the batch failed), so "no audit
// record, no signature" holds as before; the store keeps the hash chain
// (records of a batch chain in arrival order).
//
// Stores without AppendAuditBatch get one AppendAudit per record.
type auditBatcher struct {
	mu      sync.Mutex
	queue   []*auditReq
	writing bool
}

type auditReq struct {
	ctx  context.Context
	rec  *coffer.AuditRecord
	done chan error
}

// maxAuditBatch is the largest group (the store accepts up to 512).
const maxAuditBatch = 256

type auditBatchAppender interface {
	AppendAuditBatch(ctx context.Context, rs []*coffer.AuditRecord) error
}

// append stores r through st, batched with concurrent appends.
func (b *auditBatcher) append(ctx context.Context, st coffer.Store, r *coffer.AuditRecord) error {
	ba, ok := st.(auditBatchAppender)
	if !ok {
		return st.AppendAudit(ctx, r)
	}
	req := &auditReq{ctx: ctx, rec: r, done: make(chan error, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, req)
	if b.writing {
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
	n := min(len(b.queue), maxAuditBatch)
	batch := b.queue[:n:n]
	b.queue = append([]*auditReq(nil), b.queue[n:]...)
	b.mu.Unlock()

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
