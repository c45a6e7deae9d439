package coffer

import (
	"encoding/hex"
	"encoding/json"
	"math/big"
	"strconv"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// jsonObject appends one JSON object's members, byte for byte as
// encoding/json writes the same fields (the tests hold the two equal). A
// mint appends seven events, and reflection made their data a noticeable
// share of a mint's CPU.
type jsonObject struct{ b []byte }

func newJSONObject(size int) jsonObject {
	return jsonObject{b: append(make([]byte, 0, size), '{')}
}

// done closes the object and returns it.
func (o *jsonObject) done() json.RawMessage { return append(o.b, '}') }

func (o *jsonObject) key(k string) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

// strOmit is str, left out when v is empty (omitempty).
func (o *jsonObject) strOmit(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *jsonObject) null(k string) {
	o.key(k)
	o.b = append(o.b, "null"...)
}

func (o *jsonObject) u64(k string, v uint64) {
	o.key(k)
	o.b = strconv.AppendUint(o.b, v, 10)
}

func (o *jsonObject) u64Ptr(k string, v *uint64) {
	if v == nil {
		o.null(k)
		return
	}
	o.u64(k, *v)
}

// u64String is v as a decimal string, or null.
func (o *jsonObject) u64String(k string, v *uint64) {
	if v == nil {
		o.null(k)
		return
	}
	o.key(k)
	o.b = append(o.b, '"')
	o.b = strconv.AppendUint(o.b, *v, 10)
	o.b = append(o.b, '"')
}

// bigString is v as a decimal string, or null.
func (o *jsonObject) bigString(k string, v *big.Int) {
	if v == nil {
		o.null(k)
		return
	}
	o.key(k)
	o.b = append(o.b, '"')
	o.b = v.Append(o.b, 10)
	o.b = append(o.b, '"')
}

// addr is a checksummed address (eventAddr).
func (o *jsonObject) addr(k string, a common.Address) { o.str(k, AddressHex(a)) }

func (o *jsonObject) addrPtr(k string, a *common.Address) {
	if a == nil {
		o.null(k)
		return
	}
	o.addr(k, *a)
}

func (o *jsonObject) hash(k string, h common.Hash) {
	o.key(k)
	o.b = append(o.b, '"', '0', 'x')
	o.b = hex.AppendEncode(o.b, h[:])
	o.b = append(o.b, '"')
}

func (o *jsonObject) hashPtr(k string, h *common.Hash) {
	if h == nil {
		o.null(k)
		return
	}
	o.hash(k, *h)
}

// time is t as time.Time.MarshalJSON writes it (RFC 3339, nanoseconds).
func (o *jsonObject) time(k string, t time.Time) {
	o.key(k)
	o.b = append(o.b, '"')
	o.b = t.AppendFormat(o.b, time.RFC3339Nano)
	o.b = append(o.b, '"')
}

// appendJSONString appends s quoted. Strings of plain printable ASCII —
// ids, statuses, addresses, most URIs — are copied; any other goes through
// encoding/json, for its escaping (HTML characters, control characters,
// invalid UTF-8, U+2028 and U+2029).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
