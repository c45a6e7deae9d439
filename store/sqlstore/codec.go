package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Encoding of query arguments.

func now() time.Time { return ts(time.Now()) }

// later is now, or a microsecond after last if now is not after it (a clock
// stepped back, or two writes in one microsecond): a row's updated_at moves
// on every write, so a writer can tell whether the row it holds is still
// the stored one by it.
func later(last time.Time) time.Time {
	t := now()
	if !t.After(last) {
		t = ts(last).Add(time.Microsecond)
	}
	return t
}

// ts normalises t the way it is stored, so that a value written and read back
// compares equal.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// stamp defaults *t to now and normalises it in place.
func stamp(t *time.Time) {
	if t.IsZero() {
		*t = now()
	} else {
		*t = ts(*t)
	}
}

func (s *DB) tm(t time.Time) any { return s.d.Time(ts(t)) }

func (s *DB) tmPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.tm(*t)
}

// addr is a's lower-case hex, as stored: encoded directly (Hex would compute
// the EIP-55 checksum, a Keccak-256, only for it to be lower-cased).
func addr(a common.Address) string { return hexutil.Encode(a[:]) }

func addrPtr(a *common.Address) any {
	if a == nil {
		return nil
	}
	return addr(*a)
}

func hash(h common.Hash) string { return h.Hex() } // Hex is lower-case

func hashPtr(h *common.Hash) any {
	if h == nil {
		return nil
	}
	return h.Hex()
}

func bigArg(b *big.Int) any {
	if b == nil {
		return nil
	}
	return b.String()
}

// tokenKey is a fixed-width hex form of a token id: text order equals numeric
// order in both engines, which decimal text in SQLite would not give.
func tokenKey(id *big.Int) string { return fmt.Sprintf("%064x", id) }

func u64(v uint64) int64 { return int64(v) }

func u64Ptr(v *uint64) any {
	if v == nil {
		return nil
	}
	return int64(*v)
}

// nullStr stores "" as NULL, for columns where only set values must be unique.
func nullStr(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func blob(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// Decoding of columns: small sql.Scanner adapters that accept what either
// driver hands back.

func asString(src any) (string, bool, error) {
	switch v := src.(type) {
	case nil:
		return "", false, nil
	case string:
		return v, true, nil
	case []byte:
		return string(v), true, nil
	case int64:
		return strconv.FormatInt(v, 10), true, nil
	}
	return "", false, fmt.Errorf("sqlstore: cannot decode %T as text", src)
}

type timeCol struct{ p *time.Time }

func (c timeCol) Scan(src any) error {
	var t time.Time
	switch v := src.(type) {
	case nil:
	case time.Time:
		t = v
	default:
		s, _, err := asString(src)
		if err != nil {
			return err
		}
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return err
		}
	}
	if !t.IsZero() {
		t = ts(t)
	}
	*c.p = t
	return nil
}

type nullTimeCol struct{ p **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.p = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.p = &t
	return nil
}

type addrCol struct{ p *common.Address }

func (c addrCol) Scan(src any) error {
	s, ok, err := asString(src)
	if err != nil || !ok {
		*c.p = common.Address{}
		return err
	}
	if !common.IsHexAddress(s) {
		return fmt.Errorf("sqlstore: bad address %q", s)
	}
	*c.p = common.HexToAddress(s)
	return nil
}

type addrPtrCol struct{ p **common.Address }

func (c addrPtrCol) Scan(src any) error {
	if src == nil {
		*c.p = nil
		return nil
	}
	var a common.Address
	if err := (addrCol{&a}).Scan(src); err != nil {
		return err
	}
	*c.p = &a
	return nil
}

type hashCol struct{ p *common.Hash }

func (c hashCol) Scan(src any) error {
	s, _, err := asString(src)
	if err != nil {
		return err
	}
	*c.p = common.HexToHash(s)
	return nil
}

type hashPtrCol struct{ p **common.Hash }

func (c hashPtrCol) Scan(src any) error {
	if src == nil {
		*c.p = nil
		return nil
	}
	var h common.Hash
	if err := (hashCol{&h}).Scan(src); err != nil {
		return err
	}
	*c.p = &h
	return nil
}

type bigCol struct{ p **big.Int }

func (c bigCol) Scan(src any) error {
	s, ok, err := asString(src)
	if err != nil || !ok {
		*c.p = nil
		return err
	}
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return fmt.Errorf("sqlstore: bad integer %q", s)
	}
	*c.p = b
	return nil
}

type u64Col struct{ p *uint64 }

func (c u64Col) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = 0
	case int64:
		*c.p = uint64(v)
	default:
		s, _, err := asString(src)
		if err != nil {
			return err
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return err
		}
		*c.p = n
	}
	return nil
}

type u64PtrCol struct{ p **uint64 }

func (c u64PtrCol) Scan(src any) error {
	if src == nil {
		*c.p = nil
		return nil
	}
	var n uint64
	if err := (u64Col{&n}).Scan(src); err != nil {
		return err
	}
	*c.p = &n
	return nil
}

// strCol reads a nullable text column as "" for NULL.
type strCol struct{ p *string }

func (c strCol) Scan(src any) error {
	s, _, err := asString(src)
	*c.p = s
	return err
}

// bytesCol copies a byte column; empty reads as nil so that both drivers agree.
type bytesCol struct{ p *[]byte }

func (c bytesCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = nil
	case []byte:
		if len(v) == 0 {
			*c.p = nil
		} else {
			*c.p = append([]byte(nil), v...)
		}
	case string:
		if v == "" {
			*c.p = nil
		} else {
			*c.p = []byte(v)
		}
	default:
		return fmt.Errorf("sqlstore: cannot decode %T as bytes", src)
	}
	return nil
}

// IDs and cursors.

func defaultID(id *string, prefix string) {
	if *id == "" {
		*id = coffer.NewID(prefix)
	}
}

const (
	defaultLimit = 50
	maxLimit     = 500
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

// encodeCursor joins parts with '|' and hides them behind base64; parts never
// contain '|' (ids, hex, decimal).
func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))
}

func decodeCursor(c string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.Split(string(b), "|")
	if err != nil || len(parts) != n {
		return nil, coffer.Errorf(coffer.EINVALID, "bad cursor")
	}
	return parts, nil
}

// timeCursor encodes (t, id) for newest-first listings.
func timeCursor(t time.Time, id string) string {
	return encodeCursor(strconv.FormatInt(t.UnixMicro(), 10), id)
}

func decodeTimeCursor(c string) (time.Time, string, error) {
	p, err := decodeCursor(c, 2)
	if err != nil {
		return time.Time{}, "", err
	}
	us, err := strconv.ParseInt(p[0], 10, 64)
	if err != nil {
		return time.Time{}, "", coffer.Errorf(coffer.EINVALID, "bad cursor")
	}
	return time.UnixMicro(us).UTC(), p[1], nil
}

// where builds a WHERE clause with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

// add appends a condition; each "?" in cond becomes the next $N.
func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	i := 0
	for _, r := range cond {
		if r == '?' {
			w.args = append(w.args, args[i])
			i++
			fmt.Fprintf(&b, "$%d", len(w.args))
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

// arg adds one argument and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

// limit adds n as an argument and returns a LIMIT clause taking it. SQLite
// plans "LIMIT $k" with the value bound and so marks the statement expired
// by every new binding: a prepared statement was compiled again on each
// run: BenchmarkCollections, a page of three, took 30 µs instead of 14.
// A CAST is not looked into.
func (w *where) limit(n int) string {
	return ` LIMIT CAST(` + w.arg(n) + ` AS INTEGER)`
}

// in adds n > 0 arguments, val(0) … val(n-1), and returns them as an IN
// list: "$3, $4, $5, $6". The list is padded to a power of two with the
// last value again (the same set), so a query built around it has one of
// a few texts and can be a prepared statement (prep) instead of being
// parsed again at every call.
func (w *where) in(n int, val func(i int) any) string {
	var b strings.Builder
	for i := range padIn(n) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(w.arg(val(min(i, n-1))))
	}
	return b.String()
}

// padIn is the length in gives a list of n values.
func padIn(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

// queryIn runs query, whose "IN (?)" takes the values of vals, once per
// inChunk of them (SQLite and PostgreSQL both limit a statement's
// parameters), and returns every row scanned.
func queryIn[V, T any](ctx context.Context, s *DB, what, query string, vals []V, arg func(V) any,
	scan func(row interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	var out []T
	for part := range slices.Chunk(vals, inChunk) {
		var w where
		in := w.in(len(part), func(i int) any { return arg(part[i]) })
		rows, err := s.prep(s.db).QueryContext(ctx, strings.Replace(query, "IN (?)", "IN ("+in+")", 1), w.args...)
		if err != nil {
			return nil, s.wrap(err, "%s", what)
		}
		got, err := collect(rows, scan)
		if err != nil {
			return nil, s.wrap(err, "%s", what)
		}
		out = append(out, got...)
	}
	return out, nil
}

// inChunk bounds the values of one IN (...) list.
const inChunk = 500

// anyOf passes a value as a query argument unchanged.
func anyOf[V any](v V) any { return v }

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// collect reads every row of rows with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(row interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// page trims a result read with LIMIT limit+1 to limit rows and returns the
// cursor of its last row when a further row shows there is another page.
func page[T any](out []T, limit int, cursor func(last T) string) ([]T, string) {
	if len(out) <= limit {
		return out, ""
	}
	out = out[:limit]
	return out, cursor(out[limit-1])
}
