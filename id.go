package coffer

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"time"
)

// idEncoding is base32 with the "extended hex" alphabet (0-9, then a-v once
// lower-cased), whose text sorts as its bytes do.
var idEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// NewID returns an identifier such as "tx_06c4u…": a prefix naming the kind
// of thing, then 48 bits of Unix milliseconds and 80 random bits, 26
// characters of lower-case base32 that sort by creation time.
//
// Why time first: the ids are primary keys and indexed columns. Random ones
// land on a random leaf of each index, so every insert reads and dirties
// pages all over the tree (and writes them to the WAL at commit); ids made
// in the same moment land next to each other, on the few pages at the
// tree's right edge. Uniqueness is the 80 random bits' (per millisecond);
// the ids reveal when the thing was made, which the API shows anyway.
func NewID(prefix string) string {
	return newID(prefix, time.Now())
}

func newID(prefix string, at time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(at.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("coffer: crypto/rand failed: " + err.Error())
	}
	return prefix + "_" + strings.ToLower(idEncoding.EncodeToString(b[:]))
}
