// Package siwe parses, re-serialises and verifies EIP-4361 "Sign-In with
// Ethereum" messages.
//
// Parsing follows the EIP-4361 ABNF exactly (including the optional
// "scheme://" before the domain) with these deliberate choices:
//   - the address must be in EIP-55 checksum form: all-lower hex is rejected
//     (the published test vectors require it) and so is all-upper, so that
//     String reproduces the address exactly;
//   - the statement is limited to RFC 3986 reserved/unreserved characters
//     and space, as in the ABNF (so no '%', '"', non-ASCII, tabs, ...);
//   - Chain ID must not have leading zeros, so that String can reproduce it;
//   - lines are separated by a single LF; CR and a trailing LF are rejected.
//
// A typical sign-in endpoint calls [Verify] and then consumes the nonce.
// Only EOA signatures (EIP-191 personal_sign) are supported; contract wallets
// (ERC-1271) need chain access and are out of scope.
package siwe

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

const headerSuffix = " wants you to sign in with your Ethereum account:"

// Message is a parsed EIP-4361 message. Optional fields are nil (or "" for
// Scheme) when absent.
type Message struct {
	Scheme    string // optional; "" when the first line has no "scheme://"
	Domain    string // RFC 3986 authority, e.g. "example.com:8080"
	Address   common.Address
	Statement *string // nil when absent; may point to "" (an empty statement line)
	URI       string
	Version   string // always "1"; String writes "1" when empty
	ChainID   uint64
	Nonce     string
	IssuedAt  time.Time

	ExpirationTime *time.Time
	NotBefore      *time.Time
	RequestID      *string
	// Resources is nil when there is no "Resources:" line. A non-nil empty
	// slice means a "Resources:" line with no entries, which the ABNF allows.
	Resources []string

	// The timestamps exactly as written. String prefers these so a parsed
	// message re-serialises byte for byte; a raw value is ignored once it no
	// longer denotes the same instant as its field, so editing the time.Time
	// is enough.
	IssuedAtRaw, ExpirationTimeRaw, NotBeforeRaw string
}

// ErrMalformed is wrapped by every *ParseError.
var ErrMalformed = errors.New("siwe: malformed message")

// ParseError says where and why a message departs from the EIP-4361 grammar.
// Its text is meant for a person debugging their client.
type ParseError struct {
	Line  int    // 1-based line number
	Field string // grammar element, e.g. "address", "Issued At"
	Msg   string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("siwe: line %d (%s): %s", e.Line, e.Field, e.Msg)
}

func (e *ParseError) Unwrap() error { return ErrMalformed }

// fieldOrder lists the tagged lines in the only order the ABNF allows; it
// also lets errors name a misplaced field.
var fieldOrder = []struct{ prefix, name string }{
	{"URI: ", "URI"},
	{"Version: ", "Version"},
	{"Chain ID: ", "Chain ID"},
	{"Nonce: ", "Nonce"},
	{"Issued At: ", "Issued At"},
	{"Expiration Time: ", "Expiration Time"},
	{"Not Before: ", "Not Before"},
	{"Request ID: ", "Request ID"},
	{"Resources:", "Resources"},
}

type parser struct {
	lines []string
	n     int // lines consumed; the current line's number once next returns
}

func (p *parser) peek() (string, bool) {
	if p.n < len(p.lines) {
		return p.lines[p.n], true
	}
	return "", false
}

func (p *parser) next() (string, bool) {
	l, ok := p.peek()
	if ok {
		p.n++
	}
	return l, ok
}

func (p *parser) errf(field, format string, args ...any) error {
	return &ParseError{Line: p.n, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// eof reports a message that stops where field was expected.
func (p *parser) eof(field string) error {
	return &ParseError{Line: p.n + 1, Field: field, Msg: "message ends here but " + field + " is required"}
}

// describe names what a line is, pointing out a known field in the wrong place.
func describe(line string) string {
	if line == "" {
		return "an empty line"
	}
	for _, f := range fieldOrder {
		if strings.HasPrefix(line, f.prefix) {
			return fmt.Sprintf("the %s line (out of order, duplicated, or an earlier line is missing)", f.name)
		}
	}
	return quote(line)
}

// tagged consumes the required line "<prefix><value>" for fieldOrder[i].
func (p *parser) tagged(i int) (string, error) {
	f := fieldOrder[i]
	line, ok := p.next()
	if !ok {
		return "", p.eof(f.name)
	}
	if !strings.HasPrefix(line, f.prefix) {
		return "", p.errf(f.name, "expected %q, got %s", f.prefix+"...", describe(line))
	}
	return line[len(f.prefix):], nil
}

// Parse parses an EIP-4361 message. Any deviation from the grammar yields a
// *ParseError naming the line and field.
func Parse(s string) (*Message, error) {
	p := &parser{lines: strings.Split(s, "\n")}
	m := &Message{}

	// Line 1: [ scheme "://" ] domain " wants you to sign in ..."
	hdr, _ := p.next() // Split always yields at least one element
	prefix, ok := strings.CutSuffix(hdr, headerSuffix)
	if !ok {
		return nil, p.errf("header", "expected %q, got %s", "[scheme://]domain"+headerSuffix, quote(hdr))
	}
	domain := prefix
	if scheme, rest, found := strings.Cut(prefix, "://"); found {
		if err := validScheme(scheme); err != nil {
			return nil, p.errf("scheme", "%v", err)
		}
		m.Scheme, domain = scheme, rest
	}
	if domain == "" {
		return nil, p.errf("domain", "domain is missing before %q", strings.TrimPrefix(headerSuffix, " "))
	}
	if err := validAuthority(domain, true); err != nil {
		return nil, p.errf("domain", "%s is not an RFC 3986 authority: %v", quote(domain), err)
	}
	m.Domain = domain

	// Line 2: address.
	addr, ok := p.next()
	if !ok {
		return nil, p.eof("address")
	}
	if err := parseAddress(addr, &m.Address); err != nil {
		return nil, p.errf("address", "%v", err)
	}

	// Line 3: blank.
	if err := p.blank("blank line after the address"); err != nil {
		return nil, err
	}

	// [ statement LF ] LF. An empty line followed by another empty line is
	// an empty statement; an empty line followed by anything else means the
	// statement is absent.
	line, ok := p.next()
	if !ok {
		return nil, p.eof("URI")
	}
	if next, more := p.peek(); line != "" || (more && next == "") {
		if i := scan(line, mStatement, false); i >= 0 {
			return nil, p.errf("statement", "%v (only RFC 3986 reserved/unreserved characters and spaces are allowed)", badChar("statement", line, i))
		}
		st := line
		m.Statement = &st
		switch l, ok := p.next(); {
		case !ok:
			return nil, p.eof("blank line after the statement")
		case l != "":
			return nil, p.errf("blank line after the statement", "expected an empty line, got %s; a statement must be a single line", describe(l))
		}
	}

	// Required tagged lines, in order.
	v, err := p.tagged(0)
	if err != nil {
		return nil, err
	}
	if err := validURI(v); err != nil {
		return nil, p.errf("URI", "%v", err)
	}
	m.URI = v

	if v, err = p.tagged(1); err != nil {
		return nil, err
	}
	if v != "1" {
		return nil, p.errf("Version", "unsupported version %s; EIP-4361 defines only 1", quote(v))
	}
	m.Version = v

	if v, err = p.tagged(2); err != nil {
		return nil, err
	}
	if m.ChainID, err = parseChainID(v); err != nil {
		return nil, p.errf("Chain ID", "%v", err)
	}

	if v, err = p.tagged(3); err != nil {
		return nil, err
	}
	if err := validNonce(v); err != nil {
		return nil, p.errf("Nonce", "%v", err)
	}
	m.Nonce = v

	if v, err = p.tagged(4); err != nil {
		return nil, err
	}
	if m.IssuedAt, err = parseDateTime(v); err != nil {
		return nil, p.errf("Issued At", "%v", err)
	}
	m.IssuedAtRaw = v

	// Optional tagged lines, each at most once and in order.
	for i := 5; i < len(fieldOrder); i++ {
		line, ok := p.peek()
		if !ok {
			break
		}
		f := fieldOrder[i]
		if !strings.HasPrefix(line, f.prefix) {
			continue
		}
		p.next()
		v := line[len(f.prefix):]
		switch f.name {
		case "Expiration Time", "Not Before":
			t, err := parseDateTime(v)
			if err != nil {
				return nil, p.errf(f.name, "%v", err)
			}
			if f.name == "Expiration Time" {
				m.ExpirationTime, m.ExpirationTimeRaw = &t, v
			} else {
				m.NotBefore, m.NotBeforeRaw = &t, v
			}
		case "Request ID":
			if j := scan(v, mPchar, true); j >= 0 {
				return nil, p.errf(f.name, "%v", badChar("request ID", v, j))
			}
			m.RequestID = &v
		case "Resources":
			if v != "" {
				return nil, p.errf(f.name, "expected %q alone on its line, with each resource on its own \"- \" line", "Resources:")
			}
			m.Resources = []string{}
			// resources = *( LF "- " URI ) and nothing may follow them.
			for {
				r, ok := p.next()
				if !ok {
					break
				}
				u, found := strings.CutPrefix(r, "- ")
				if !found {
					return nil, p.errf("Resources", "expected a resource line \"- <URI>\", got %s", describe(r))
				}
				if err := validURI(u); err != nil {
					return nil, p.errf("Resources", "resource %d: %v", len(m.Resources)+1, err)
				}
				m.Resources = append(m.Resources, u)
			}
		}
	}

	if line, ok := p.next(); ok {
		if line == "" && p.n == len(p.lines) {
			return nil, p.errf("end", "trailing newline after the last field")
		}
		return nil, p.errf("end", "expected the end of the message, got %s", describe(line))
	}
	return m, nil
}

func (p *parser) blank(what string) error {
	line, ok := p.next()
	if !ok {
		return p.eof(what)
	}
	if line != "" {
		return p.errf(what, "expected an empty line, got %s", describe(line))
	}
	return nil
}

// parseAddress accepts only the EIP-55 checksummed form so that a typo in a
// hand-copied address is caught and String reproduces the input exactly.
func parseAddress(s string, out *common.Address) error {
	if s == "" {
		return errors.New("address is missing")
	}
	if len(s) != 42 || !strings.HasPrefix(s, "0x") {
		return fmt.Errorf("%s is not an address: expected 0x followed by 40 hex digits", quote(s))
	}
	for i := 2; i < len(s); i++ {
		if !isHex(s[i]) {
			return fmt.Errorf("%s is not an address: non-hex character %q", quote(s), s[i])
		}
	}
	a := common.HexToAddress(s)
	if want := a.Hex(); want != s {
		return fmt.Errorf("address %s does not match its EIP-55 checksum; the checksummed form is %s", s, want)
	}
	*out = a
	return nil
}

func parseChainID(s string) (uint64, error) {
	if s == "" {
		return 0, errors.New("chain ID is empty")
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, fmt.Errorf("chain ID %s must be a decimal number", quote(s))
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("chain ID %s must not have leading zeros", quote(s))
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("chain ID %s does not fit in 64 bits", quote(s))
	}
	return id, nil
}

func validNonce(s string) error {
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) && !isDigit(s[i]) {
			return fmt.Errorf("nonce %s must contain only letters and digits", quote(s))
		}
	}
	if len(s) < 8 {
		return fmt.Errorf("nonce %s is too short: at least 8 letters or digits are required", quote(s))
	}
	return nil
}

// String serialises m in EIP-4361 form. For a message returned by Parse it
// reproduces the input exactly. It does not validate: a hand-built Message
// with invalid fields yields text that Parse rejects.
func (m *Message) String() string {
	var b strings.Builder
	b.Grow(256 + len(m.Domain) + len(m.URI) + len(m.Nonce))
	if m.Scheme != "" {
		b.WriteString(m.Scheme)
		b.WriteString("://")
	}
	b.WriteString(m.Domain)
	b.WriteString(headerSuffix)
	b.WriteByte('\n')
	b.WriteString(m.Address.Hex())
	b.WriteString("\n\n")
	if m.Statement != nil {
		b.WriteString(*m.Statement)
		b.WriteByte('\n')
	}
	b.WriteString("\nURI: ")
	b.WriteString(m.URI)
	b.WriteString("\nVersion: ")
	if m.Version == "" {
		b.WriteString("1")
	} else {
		b.WriteString(m.Version)
	}
	b.WriteString("\nChain ID: ")
	b.WriteString(strconv.FormatUint(m.ChainID, 10))
	b.WriteString("\nNonce: ")
	b.WriteString(m.Nonce)
	b.WriteString("\nIssued At: ")
	b.WriteString(formatTime(m.IssuedAt, m.IssuedAtRaw))
	if m.ExpirationTime != nil {
		b.WriteString("\nExpiration Time: ")
		b.WriteString(formatTime(*m.ExpirationTime, m.ExpirationTimeRaw))
	}
	if m.NotBefore != nil {
		b.WriteString("\nNot Before: ")
		b.WriteString(formatTime(*m.NotBefore, m.NotBeforeRaw))
	}
	if m.RequestID != nil {
		b.WriteString("\nRequest ID: ")
		b.WriteString(*m.RequestID)
	}
	if m.Resources != nil {
		b.WriteString("\nResources:")
		for _, r := range m.Resources {
			b.WriteString("\n- ")
			b.WriteString(r)
		}
	}
	return b.String()
}

// formatTime prefers the parsed text; otherwise UTC, because Go's RFC 3339
// output drops sub-minute zone offsets and would shift the instant.
func formatTime(t time.Time, raw string) string {
	if raw != "" {
		if rt, err := parseDateTime(raw); err == nil && rt.Equal(t) {
			return raw
		}
	}
	return t.UTC().Format(time.RFC3339Nano)
}
