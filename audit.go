package coffer

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// AuditHash is the hash of record r chained to prev: SHA-256 over prev and a
// length-prefixed encoding of every field, so no two records encode alike.
func AuditHash(prev []byte, r *AuditRecord) []byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field(prev)
	field(fmt.Appendf(nil, "%d", r.Seq))
	field([]byte(r.Time.UTC().Format(time.RFC3339Nano)))
	field([]byte(r.Principal))
	field(r.Wallet.Bytes())
	field([]byte(r.KeyID))
	field([]byte(r.Kind))
	field(r.Digest.Bytes())
	field(fmt.Appendf(nil, "%d", r.ChainID))
	if r.To != nil {
		field(r.To.Bytes())
	} else {
		field(nil)
	}
	if r.Value != nil {
		field([]byte(r.Value.String()))
	} else {
		field(nil)
	}
	field([]byte(r.RequestID))
	field([]byte(r.Outcome))
	return h.Sum(nil)
}

// VerifyAuditChain checks that records (in ascending Seq order, starting at
// the first record ever written) form an unbroken hash chain. It returns the
// Seq of the first bad record, or an error naming the gap.
func VerifyAuditChain(records []*AuditRecord) error {
	var prev []byte
	var want int64 = 1
	for _, r := range records {
		if r.Seq != want {
			return fmt.Errorf("audit: record %d missing (found %d)", want, r.Seq)
		}
		if !bytes.Equal(r.PrevHash, prev) {
			return fmt.Errorf("audit: record %d does not follow record %d", r.Seq, r.Seq-1)
		}
		if !bytes.Equal(AuditHash(prev, r), r.Hash) {
			return fmt.Errorf("audit: record %d was altered", r.Seq)
		}
		prev, want = r.Hash, want+1
	}
	return nil
}
