package siwe

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

const testAddr = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"

// full is a message using every optional field.
const full = "https://example.com:8443 wants you to sign in with your Ethereum account:\n" +
	testAddr + "\n\n" +
	"I accept the ExampleOrg Terms of Service: https://example.com/tos\n\n" +
	"URI: https://example.com/login?next=%2Fhome#top\n" +
	"Version: 1\n" +
	"Chain ID: 137\n" +
	"Nonce: Abc123XyZ789\n" +
	"Issued At: 2021-09-30T16:25:24.123456Z\n" +
	"Expiration Time: 2021-09-30T17:25:24+02:00\n" +
	"Not Before: 2021-09-30T16:25:00Z\n" +
	"Request ID: req-42%20a:b@c\n" +
	"Resources:\n" +
	"- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/\n" +
	"- https://example.com/my-web2-claim.json"

// build assembles a message from its lines so cases can vary one line.
func build(header, addr, stmtBlock string, rest ...string) string {
	return header + " wants you to sign in with your Ethereum account:\n" + addr + "\n\n" + stmtBlock +
		strings.Join(append([]string{
			"URI: https://example.com/login",
			"Version: 1",
			"Chain ID: 1",
			"Nonce: 32891756",
			"Issued At: 2021-09-30T16:25:24Z",
		}, rest...), "\n")
}

func TestParseFull(t *testing.T) {
	m, err := Parse(full)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2021, 9, 30, 15, 25, 24, 0, time.UTC)
	nb := time.Date(2021, 9, 30, 16, 25, 0, 0, time.UTC)
	switch {
	case m.Scheme != "https", m.Domain != "example.com:8443":
		t.Errorf("scheme/domain = %q %q", m.Scheme, m.Domain)
	case m.Address != common.HexToAddress(testAddr):
		t.Errorf("address = %s", m.Address)
	case m.Statement == nil || *m.Statement != "I accept the ExampleOrg Terms of Service: https://example.com/tos":
		t.Errorf("statement = %v", m.Statement)
	case m.URI != "https://example.com/login?next=%2Fhome#top", m.Version != "1", m.ChainID != 137, m.Nonce != "Abc123XyZ789":
		t.Errorf("uri/version/chain/nonce = %q %q %d %q", m.URI, m.Version, m.ChainID, m.Nonce)
	case !m.IssuedAt.Equal(time.Date(2021, 9, 30, 16, 25, 24, 123456000, time.UTC)):
		t.Errorf("issued at = %v", m.IssuedAt)
	case m.ExpirationTime == nil || !m.ExpirationTime.Equal(exp):
		t.Errorf("expiration = %v", m.ExpirationTime)
	case m.NotBefore == nil || !m.NotBefore.Equal(nb):
		t.Errorf("not before = %v", m.NotBefore)
	case m.RequestID == nil || *m.RequestID != "req-42%20a:b@c":
		t.Errorf("request id = %v", m.RequestID)
	case len(m.Resources) != 2 || m.Resources[1] != "https://example.com/my-web2-claim.json":
		t.Errorf("resources = %q", m.Resources)
	}
	if s := m.String(); s != full {
		t.Errorf("String():\n%s\nwant\n%s", s, full)
	}
}

func TestParseAccepts(t *testing.T) {
	a := testAddr
	cases := []struct {
		name, msg string
		check     func(t *testing.T, m *Message)
	}{
		{"empty statement", build("example.com", a, "\n\n"), func(t *testing.T, m *Message) {
			if m.Statement == nil || *m.Statement != "" {
				t.Errorf("statement = %v, want pointer to empty", m.Statement)
			}
		}},
		{"no statement", build("example.com", a, "\n"), func(t *testing.T, m *Message) {
			if m.Statement != nil {
				t.Errorf("statement = %q, want nil", *m.Statement)
			}
		}},
		{"statement with reserved chars", build("example.com", a, "Hi! It's [x] (y) *z*, a=b; c&d $e @f #g ?h ~i\n\n"), nil},
		{"empty resources list", build("example.com", a, "\n", "Resources:"), func(t *testing.T, m *Message) {
			if m.Resources == nil || len(m.Resources) != 0 {
				t.Errorf("resources = %#v, want empty non-nil", m.Resources)
			}
		}},
		{"empty request id", build("example.com", a, "\n", "Request ID: "), func(t *testing.T, m *Message) {
			if m.RequestID == nil || *m.RequestID != "" {
				t.Errorf("request id = %v", m.RequestID)
			}
		}},
		{"http scheme and localhost", build("http://localhost:3000", a, "\n"), func(t *testing.T, m *Message) {
			if m.Scheme != "http" || m.Domain != "localhost:3000" {
				t.Errorf("got %q %q", m.Scheme, m.Domain)
			}
		}},
		{"custom scheme", build("my-app+v2.x://example.com", a, "\n"), nil},
		{"IPvFuture domain", build("[v1.fe80::a+en1]", a, "\n"), nil},
		{"IPv4-in-IPv6 domain", build("[::ffff:192.0.2.1]:443", a, "\n"), nil},
		{"empty port", build("example.com:", a, "\n"), nil},
		{"pct-encoded host", build("ex%41mple.com", a, "\n"), nil},
		{"urn URI and did resource", strings.Replace(build("example.com", a, "\n", "Resources:", "- did:pkh:eip155:1:"+a, "- urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"),
			"URI: https://example.com/login", "URI: urn:isbn:0451450523", 1), nil},
		{"URI with empty authority", strings.Replace(build("example.com", a, "\n"),
			"URI: https://example.com/login", "URI: file:///etc/hosts", 1), nil},
		{"lower-case t and z", build("example.com", a, "\n", "Expiration Time: 2021-09-30t16:25:24z"), nil},
		{"long fraction", build("example.com", a, "\n", "Expiration Time: 2021-09-30T16:25:24.1234567891234Z"), func(t *testing.T, m *Message) {
			if m.ExpirationTime.Nanosecond() != 123456789 {
				t.Errorf("nanoseconds = %d", m.ExpirationTime.Nanosecond())
			}
		}},
		{"leap second", build("example.com", a, "\n", "Expiration Time: 2016-12-31T23:59:60Z"), func(t *testing.T, m *Message) {
			if !m.ExpirationTime.Equal(time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("expiration = %v", m.ExpirationTime)
			}
		}},
		{"leap day", build("example.com", a, "\n", "Expiration Time: 2024-02-29T00:00:00-00:00"), nil},
		{"max chain id", strings.Replace(build("example.com", a, "\n"), "Chain ID: 1", "Chain ID: 18446744073709551615", 1), func(t *testing.T, m *Message) {
			if m.ChainID != math.MaxUint64 {
				t.Errorf("chain id = %d", m.ChainID)
			}
		}},
		{"chain id zero", strings.Replace(build("example.com", a, "\n"), "Chain ID: 1", "Chain ID: 0", 1), nil},
		{"long nonce", strings.Replace(build("example.com", a, "\n"), "Nonce: 32891756", "Nonce: "+strings.Repeat("aZ9", 40), 1), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse(c.msg)
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, c.msg)
			}
			if c.check != nil {
				c.check(t, m)
			}
			if s := m.String(); s != c.msg {
				t.Errorf("String():\n%q\nwant\n%q", s, c.msg)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	a := testAddr
	ok := build("example.com", a, "\n")
	sub := func(old, new string) string {
		if !strings.Contains(ok, old) {
			t.Fatalf("test bug: %q not in base message", old)
		}
		return strings.Replace(ok, old, new, 1)
	}
	cases := []struct {
		name, msg, field string
		line             int
	}{
		{"empty input", "", "header", 1},
		{"trailing newline", ok + "\n", "end", 10},
		{"CRLF line endings", strings.ReplaceAll(ok, "\n", "\r\n"), "header", 1},
		{"truncated after address", "example.com wants you to sign in with your Ethereum account:\n" + a, "blank line after the address", 3},
		{"wrong header text", sub("wants you to sign in", "wants you to log in"), "header", 1},
		{"domain with path", build("example.com/login", a, "\n"), "domain", 1},
		{"domain with space", build("exa mple.com", a, "\n"), "domain", 1},
		{"scheme without domain", build("https://", a, "\n"), "domain", 1},
		{"scheme starting with digit", build("1http://example.com", a, "\n"), "scheme", 1},
		{"scheme with bad char", build("ht_tp://example.com", a, "\n"), "scheme", 1},
		{"userinfo only", build("user@", a, "\n"), "domain", 1},
		{"port not numeric", build("example.com:80a", a, "\n"), "domain", 1},
		{"bad IPv6", build("[::g]", a, "\n"), "domain", 1},
		{"IPv6 zone", build("[fe80::1%25eth0]", a, "\n"), "domain", 1},
		{"IPv4 in brackets", build("[192.0.2.1]", a, "\n"), "domain", 1},
		{"unclosed IP literal", build("[::1", a, "\n"), "domain", 1},
		{"junk after IP literal", build("[::1]x", a, "\n"), "domain", 1},
		{"bad percent encoding", build("ex%4", a, "\n"), "domain", 1},
		{"all upper-case address", build("example.com", "0xC02AAA39B223FE8D0A0E5C4F27EAD9083C756CC2", "\n"), "address", 2},
		{"upper-case 0X", build("example.com", "0XC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "\n"), "address", 2},
		{"short address", build("example.com", a[:41], "\n"), "address", 2},
		{"non-hex address", build("example.com", a[:41]+"g", "\n"), "address", 2},
		{"bad checksum", build("example.com", "0xc02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "\n"), "address", 2},
		{"no blank after address", "example.com wants you to sign in with your Ethereum account:\n" + a + "\nURI: x:y", "blank line after the address", 3},
		{"statement with percent", build("example.com", a, "100% safe\n\n"), "statement", 4},
		{"statement with quote", build("example.com", a, "say \"hi\"\n\n"), "statement", 4},
		{"statement non-ASCII", build("example.com", a, "café\n\n"), "statement", 4},
		{"statement with tab", build("example.com", a, "a\tb\n\n"), "statement", 4},
		{"statement without blank after", build("example.com", a, "hello\n"), "blank line after the statement", 5},
		{"URI with space", sub("URI: https://example.com/login", "URI: https://example.com/a b"), "URI", 5},
		{"URI relative", sub("URI: https://example.com/login", "URI: /login"), "URI", 5},
		{"URI empty", sub("URI: https://example.com/login", "URI: "), "URI", 5},
		{"URI bad authority", sub("URI: https://example.com/login", "URI: https://exa<mple.com/"), "URI", 5},
		{"URI bad fragment", sub("URI: https://example.com/login", "URI: https://example.com/#a#b"), "URI", 5},
		{"URI bad query", sub("URI: https://example.com/login", "URI: https://example.com/?a=\"b\""), "URI", 5},
		{"lower-case tag", sub("URI: ", "uri: "), "URI", 5},
		{"version with space", sub("Version: 1", "Version: 1 "), "Version", 6},
		{"chain id leading zero", sub("Chain ID: 1", "Chain ID: 01"), "Chain ID", 7},
		{"chain id overflow", sub("Chain ID: 1", "Chain ID: 18446744073709551616"), "Chain ID", 7},
		{"chain id negative", sub("Chain ID: 1", "Chain ID: -1"), "Chain ID", 7},
		{"chain id empty", sub("Chain ID: 1", "Chain ID: "), "Chain ID", 7},
		{"chain id hex", sub("Chain ID: 1", "Chain ID: 0x1"), "Chain ID", 7},
		{"nonce with symbol", sub("Nonce: 32891756", "Nonce: 3289175-6"), "Nonce", 8},
		{"issued at no zone", sub("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-09-30T16:25:24"), "Issued At", 9},
		{"issued at comma fraction", sub("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-09-30T16:25:24,5Z"), "Issued At", 9},
		{"issued at empty fraction", sub("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-09-30T16:25:24.Z"), "Issued At", 9},
		{"issued at space separator", sub("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-09-30 16:25:24Z"), "Issued At", 9},
		{"issued at Feb 30", sub("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-02-29T16:25:24Z"), "Issued At", 9},
		{"issued at hour 24", sub("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-09-30T24:00:00Z"), "Issued At", 9},
		{"issued at offset 24h", sub("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-09-30T16:25:24+24:00"), "Issued At", 9},
		{"issued at offset no colon", sub("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-09-30T16:25:24+0200"), "Issued At", 9},
		{"issued at trailing junk", sub("Issued At: 2021-09-30T16:25:24Z", "Issued At: 2021-09-30T16:25:24Zx"), "Issued At", 9},
		{"duplicate expiration", build("example.com", a, "\n", "Expiration Time: 2021-09-30T16:25:24Z", "Expiration Time: 2021-09-30T16:25:24Z"), "end", 11},
		{"bad not before", build("example.com", a, "\n", "Not Before: yesterday"), "Not Before", 10},
		{"request id with space", build("example.com", a, "\n", "Request ID: a b"), "Request ID", 10},
		{"request id with slash", build("example.com", a, "\n", "Request ID: a/b"), "Request ID", 10},
		{"resources with inline value", build("example.com", a, "\n", "Resources: https://x.y"), "Resources", 10},
		{"resource without space", build("example.com", a, "\n", "Resources:", "-https://x.y"), "Resources", 11},
		{"resource empty", build("example.com", a, "\n", "Resources:", "- "), "Resources", 11},
		{"unknown trailing field", build("example.com", a, "\n", "Foo: bar"), "end", 10},
		{"blank line before optional field", build("example.com", a, "\n", "", "Request ID: x"), "end", 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse(c.msg)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", m)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if pe.Field != c.field || pe.Line != c.line {
				t.Errorf("error at line %d (%s), want line %d (%s): %v", pe.Line, pe.Field, c.line, c.field, err)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error does not wrap ErrMalformed")
			}
		})
	}
}

// A hand-built message (no raw timestamps, arbitrary zones) must serialise
// to text that parses back to the same message.
func TestStringRoundTripBuilt(t *testing.T) {
	st, rid := "Sign in to Coffer", "abc"
	ist := time.FixedZone("IST", 5*3600+30*60)
	exp := time.Date(2030, 1, 2, 3, 4, 5, 600, ist)
	nb := time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC)
	m := &Message{
		Domain:         "coffer.example",
		Address:        common.HexToAddress(testAddr),
		Statement:      &st,
		URI:            "https://coffer.example/auth",
		ChainID:        8453,
		Nonce:          "nonce1234",
		IssuedAt:       time.Date(2029, 12, 31, 23, 59, 59, 0, ist),
		ExpirationTime: &exp,
		NotBefore:      &nb,
		RequestID:      &rid,
		Resources:      []string{"https://coffer.example/tos"},
	}
	s := m.String()
	got, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(String()): %v\n%s", err, s)
	}
	m.Version = "1" // String defaults an empty Version to 1
	if err := sameMessage(m, got); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}

	// Changing a parsed time must win over the stale raw text.
	later := got.IssuedAt.Add(time.Hour)
	got.IssuedAt = later
	again, err := Parse(got.String())
	if err != nil {
		t.Fatal(err)
	}
	if !again.IssuedAt.Equal(later) {
		t.Errorf("edited IssuedAt lost: got %v, want %v", again.IssuedAt, later)
	}
}

// sameMessage compares messages field by field, times by instant.
func sameMessage(a, b *Message) error {
	eqPtr := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqTime := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	eqRes := func(x, y []string) bool {
		if (x == nil) != (y == nil) || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	switch {
	case a.Scheme != b.Scheme, a.Domain != b.Domain, a.Address != b.Address:
		return errors.New("scheme, domain or address differ")
	case !eqPtr(a.Statement, b.Statement):
		return errors.New("statement differs")
	case a.URI != b.URI, a.Version != b.Version, a.ChainID != b.ChainID, a.Nonce != b.Nonce:
		return errors.New("URI, version, chain ID or nonce differ")
	case !a.IssuedAt.Equal(b.IssuedAt), !eqTime(a.ExpirationTime, b.ExpirationTime), !eqTime(a.NotBefore, b.NotBefore):
		return errors.New("timestamps differ")
	case !eqPtr(a.RequestID, b.RequestID):
		return errors.New("request ID differs")
	case !eqRes(a.Resources, b.Resources):
		return errors.New("resources differ")
	}
	return nil
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(full)))
	for b.Loop() {
		if _, err := Parse(full); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkString(b *testing.B) {
	m, err := Parse(full)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.String()
	}
}
