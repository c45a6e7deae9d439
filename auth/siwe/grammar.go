package siwe

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Character classes from RFC 3986 (and the EIP-4361 statement rule), as bit
// masks in one table so every validator is a single lookup per byte.
const (
	mUnreserved = 1 << iota // ALPHA / DIGIT / "-" / "." / "_" / "~"
	mSubDelim               // "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
	mPchar                  // unreserved / sub-delims / ":" / "@"
	mUserinfo               // unreserved / sub-delims / ":"
	mQuery                  // pchar / "/" / "?"   (also fragment)
	mPath                   // pchar / "/"
	mScheme                 // ALPHA / DIGIT / "+" / "-" / "."
	mStatement              // reserved / unreserved / " "
)

const mRegName = mUnreserved | mSubDelim

var class = func() (t [256]uint8) {
	set := func(chars string, m uint8) {
		for i := 0; i < len(chars); i++ {
			t[chars[i]] |= m
		}
	}
	const (
		alpha    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		digit    = "0123456789"
		unres    = alpha + digit + "-._~"
		subDelim = "!$&'()*+,;="
		genDelim = ":/?#[]@"
	)
	set(unres, mUnreserved|mPchar|mUserinfo|mQuery|mPath|mStatement)
	set(subDelim, mSubDelim|mPchar|mUserinfo|mQuery|mPath|mStatement)
	set(":@", mPchar|mQuery|mPath)
	set(":", mUserinfo)
	set("/", mQuery|mPath)
	set("?", mQuery)
	set(genDelim+" ", mStatement)
	set(alpha+digit+"+-.", mScheme)
	return t
}()

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// scan returns the index of the first byte of s outside mask, or -1. When
// pct is set, well-formed pct-encoded triplets ("%" HEXDIG HEXDIG) pass too.
func scan(s string, mask uint8, pct bool) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if class[c]&mask != 0 {
			continue
		}
		if pct && c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			i += 2
			continue
		}
		return i
	}
	return -1
}

// badChar describes the offending byte at index i of s for an error message.
func badChar(what, s string, i int) error {
	if s[i] == '%' {
		return fmt.Errorf("%s has a malformed percent-encoding at position %d", what, i+1)
	}
	return fmt.Errorf("%s has a character not allowed here: %q at position %d", what, s[i], i+1)
}

func validScheme(s string) error {
	if s == "" {
		return errors.New("scheme is empty")
	}
	if !isAlpha(s[0]) {
		return fmt.Errorf("scheme %s must start with a letter", quote(s))
	}
	if i := scan(s, mScheme, false); i >= 0 {
		return badChar("scheme", s, i)
	}
	return nil
}

// validAuthority checks RFC 3986 authority = [ userinfo "@" ] host [ ":" port ].
// RFC 3986 allows an empty host; requireHost rejects it, as a sign-in domain
// without a host names nothing.
func validAuthority(s string, requireHost bool) error {
	host := s
	// userinfo cannot contain '@', so only the last one can be the separator;
	// any earlier '@' is caught by the userinfo scan.
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		if i := scan(s[:at], mUserinfo, true); i >= 0 {
			return badChar("userinfo", s[:at], i)
		}
		host = s[at+1:]
	}
	var port string
	hasPort := false
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return fmt.Errorf("IP literal %s is missing its closing ']'", quote(host))
		}
		if err := validIPLiteral(host[1:end]); err != nil {
			return err
		}
		if rest := host[end+1:]; rest != "" {
			if rest[0] != ':' {
				return fmt.Errorf("unexpected %s after IP literal", quote(rest))
			}
			port, hasPort = rest[1:], true
		}
	} else {
		if c := strings.IndexByte(host, ':'); c >= 0 {
			host, port, hasPort = host[:c], host[c+1:], true
		}
		if i := scan(host, mRegName, true); i >= 0 {
			return badChar("host", host, i)
		}
		if requireHost && host == "" {
			return errors.New("host is empty")
		}
	}
	if hasPort {
		for i := 0; i < len(port); i++ {
			if !isDigit(port[i]) {
				return fmt.Errorf("port %s must be decimal digits", quote(port))
			}
		}
	}
	return nil
}

// validIPLiteral checks the inside of "[...]": IPv6address / IPvFuture.
func validIPLiteral(s string) error {
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
		dot := strings.IndexByte(s, '.')
		if dot < 2 || dot == len(s)-1 {
			return fmt.Errorf("malformed IPvFuture literal %s", quote(s))
		}
		for i := 1; i < dot; i++ {
			if !isHex(s[i]) {
				return fmt.Errorf("malformed IPvFuture literal %s", quote(s))
			}
		}
		if i := scan(s[dot+1:], mUserinfo, false); i >= 0 {
			return fmt.Errorf("malformed IPvFuture literal %s", quote(s))
		}
		return nil
	}
	// netip also accepts zones ("%eth0") and bare IPv4, neither of which
	// RFC 3986's IPv6address allows.
	a, err := netip.ParseAddr(s)
	if err != nil || strings.IndexByte(s, '%') >= 0 || !a.Is6() {
		return fmt.Errorf("invalid IPv6 literal [%s]", s)
	}
	return nil
}

// validURI checks RFC 3986 URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ].
func validURI(s string) error {
	if s == "" {
		return errors.New("URI is empty")
	}
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return fmt.Errorf("URI %s has no scheme", quote(s))
	}
	if err := validScheme(s[:colon]); err != nil {
		return fmt.Errorf("URI %s: %w", quote(s), err)
	}
	rest := s[colon+1:]
	if h := strings.IndexByte(rest, '#'); h >= 0 {
		if i := scan(rest[h+1:], mQuery, true); i >= 0 {
			return fmt.Errorf("URI %s: %w", quote(s), badChar("fragment", rest[h+1:], i))
		}
		rest = rest[:h]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		if i := scan(rest[q+1:], mQuery, true); i >= 0 {
			return fmt.Errorf("URI %s: %w", quote(s), badChar("query", rest[q+1:], i))
		}
		rest = rest[:q]
	}
	if strings.HasPrefix(rest, "//") {
		rest = rest[2:]
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		if err := validAuthority(rest[:end], false); err != nil {
			return fmt.Errorf("URI %s: %w", quote(s), err)
		}
		rest = rest[end:]
	}
	// Without an authority the path cannot start with "//", which the branch
	// above guarantees; otherwise every path form is *( pchar / "/" ).
	if i := scan(rest, mPath, true); i >= 0 {
		return fmt.Errorf("URI %s: %w", quote(s), badChar("path", rest, i))
	}
	return nil
}

// parseDateTime parses an RFC 3339 date-time strictly. time.Parse is not
// used because it also accepts ',' before fractional seconds and rejects
// the lower-case 't'/'z' and leap seconds that RFC 3339 permits.
func parseDateTime(s string) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%s is not an RFC 3339 date-time (e.g. 2021-09-30T16:25:24Z): %s", quote(s), why)
	}
	if len(s) < len("2006-01-02T15:04:05Z") {
		return bad("too short")
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if !isDigit(c) {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || sec < 0 ||
		s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return bad("expected YYYY-MM-DDTHH:MM:SS")
	}
	if s[10] != 'T' && s[10] != 't' {
		return bad("expected 'T' between date and time")
	}
	switch {
	case month < 1 || month > 12:
		return bad("month out of range")
	case day < 1 || day > daysIn(month, year):
		return bad("day out of range")
	case hour > 23:
		return bad("hour out of range")
	case minute > 59:
		return bad("minute out of range")
	case sec > 60: // 60 is a leap second; time.Date normalises it
		return bad("second out of range")
	}
	i, nsec := 19, 0
	if s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			if j-i <= 9 { // digits past nanoseconds are truncated
				nsec = nsec*10 + int(s[j]-'0')
			}
			j++
		}
		if j == i+1 {
			return bad("no digits after '.'")
		}
		for k := j - i - 1; k < 9; k++ {
			nsec *= 10
		}
		i = j
	}
	var loc *time.Location
	switch rest := s[i:]; {
	case rest == "Z" || rest == "z":
		loc = time.UTC
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, om := num(i+1, 2), num(i+4, 2)
		if oh < 0 || om < 0 || oh > 23 || om > 59 {
			return bad("invalid UTC offset")
		}
		off := (oh*60 + om) * 60
		if rest[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	case rest == "":
		return bad("missing time zone ('Z' or ±hh:mm)")
	default:
		return bad("invalid time zone " + quote(rest))
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), nil
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// quote renders untrusted input for an error message, bounded in length so
// a hostile message cannot blow up logs.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
