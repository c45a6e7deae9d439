package coffer

import (
	"bytes"
	"fmt"
)

// AuditVerifier checks the audit hash chain one record at a time, so that a
// log of any length can be verified in pages. Feed it every record in
// ascending Seq order from the first, then call Finish with the stored head.
type AuditVerifier struct {
	prev []byte
	next int64 // the Seq expected next
	n    int64
}

// AuditBreak describes the first broken record of a chain.
type AuditBreak struct {
	Seq    int64  // the record that is missing, altered or out of place
	Reason string // "missing", "altered", "does not follow its predecessor", "tail deleted", …
}

func (e *AuditBreak) Error() string { return fmt.Sprintf("audit: record %d: %s", e.Seq, e.Reason) }

// Add checks the next record.
func (v *AuditVerifier) Add(r *AuditRecord) error {
	if v.next == 0 {
		v.next = 1
	}
	switch {
	case r.Seq > v.next:
		return &AuditBreak{Seq: v.next, Reason: fmt.Sprintf("missing (deleted; the next record is %d)", r.Seq)}
	case r.Seq < v.next:
		return &AuditBreak{Seq: r.Seq, Reason: "out of order"}
	case !bytes.Equal(r.PrevHash, v.prev):
		return &AuditBreak{Seq: r.Seq, Reason: fmt.Sprintf("does not follow record %d (its prev_hash was changed, or record %d was replaced)", r.Seq-1, r.Seq-1)}
	case !bytes.Equal(AuditHash(v.prev, r), r.Hash):
		return &AuditBreak{Seq: r.Seq, Reason: "altered (its fields no longer match its hash)"}
	}
	v.prev, v.next, v.n = r.Hash, v.next+1, v.n+1
	return nil
}

// Count is how many records verified so far.
func (v *AuditVerifier) Count() int64 { return v.n }

// Last is the seq and hash of the last verified record.
func (v *AuditVerifier) Last() (int64, []byte) { return v.n, v.prev }

// Finish compares the end of the chain with the head the store keeps apart
// from the log (headSeq 0: none recorded). A log that ends before the head
// lost its tail; one that ends after it was appended to behind the store's back.
func (v *AuditVerifier) Finish(headSeq int64, headHash []byte) error {
	last, _ := v.Last()
	switch {
	case last < headSeq:
		return &AuditBreak{Seq: last + 1, Reason: fmt.Sprintf("missing: the log ends at %d but the audit head is %d (tail deleted)", last, headSeq)}
	case last > headSeq:
		return &AuditBreak{Seq: headSeq + 1, Reason: fmt.Sprintf("not recorded in the audit head (head %d, log ends at %d)", headSeq, last)}
	case last > 0 && !bytes.Equal(v.prev, headHash):
		return &AuditBreak{Seq: last, Reason: "does not match the audit head (the last record was replaced)"}
	}
	return nil
}
