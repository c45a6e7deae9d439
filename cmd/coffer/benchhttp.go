package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"
)

// A minimal HTTP/1.1 keep-alive client for `coffer bench sign`, like wrk's:
// each worker owns one connection and has one request in flight on it (no
// pipelining); the request is prebuilt once and written with one Write, the
// response read from a bufio.Reader without allocating per request. On this
// 2-core machine net/http's client (transport goroutines, header maps,
// per-request allocations) cost ≈ 21 µs of the 159 µs per signed request,
// CPU that the server under test shares when the load runs in its process.
// It speaks only what the benchmark needs: responses with Content-Length,
// or none and closed by the server; a chunked response is an error.

// benchTarget is where a benchmark connection goes.
type benchTarget struct {
	addr    string      // host:port to dial
	host    string      // Host header
	tls     *tls.Config // https: non-nil
	timeout time.Duration
}

// newBenchTarget parses an http:// or https:// base URL.
func newBenchTarget(base string, timeout time.Duration) (*benchTarget, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	t := &benchTarget{host: u.Host, timeout: timeout}
	port := u.Port()
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		t.tls = &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"http/1.1"}}
	default:
		return nil, fmt.Errorf("bench: %q: only http:// and https:// URLs", base)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("bench: %q has no host", base)
	}
	t.addr = net.JoinHostPort(u.Hostname(), port)
	return t, nil
}

// dial opens a connection (TLS handshake included for https).
func (t *benchTarget) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: min(t.timeout, 5*time.Second)}
	c, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	if t.tls != nil {
		tc := tls.Client(c, t.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, err
		}
		return tc, nil
	}
	return c, nil
}

// benchRequest builds a POST with a body of known length: the caller fills
// the body in place (at off) between sends.
func benchRequest(host, path, auth, contentType string, body []byte) (req []byte, off int) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		path, host, auth, contentType, len(body))
	off = b.Len()
	b.Write(body)
	return b.Bytes(), off
}

// benchResponse is one parsed response; body aliases the caller's buffer.
type benchResponse struct {
	status int
	body   []byte
	close  bool // the server closes the connection after it
}

var errBenchChunked = errors.New("bench: chunked (or other Transfer-Encoding) response; the bench client needs Content-Length")

// readBenchResponse reads one response from br, the body into buf (grown as
// needed; pass the returned buffer back next time).
func readBenchResponse(br *bufio.Reader, buf []byte) (benchResponse, []byte, error) {
	var r benchResponse
	line, err := br.ReadSlice('\n')
	if err != nil {
		return r, buf, benchEOF(err)
	}
	// HTTP/1.x SP 3DIGIT [SP reason] CRLF
	line = trimCRLF(line)
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return r, buf, fmt.Errorf("bench: malformed status line %q", line)
	}
	keepAlive := line[7] == '1' // HTTP/1.1 keeps the connection by default, 1.0 does not
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return r, buf, fmt.Errorf("bench: malformed status line %q", line)
		}
		r.status = r.status*10 + int(c-'0')
	}
	length := -1
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return r, buf, benchEOF(err)
		}
		line = trimCRLF(line)
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return r, buf, fmt.Errorf("bench: malformed header line %q", line)
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, ok := benchAtoi(value)
			if !ok || (length >= 0 && n != length) {
				return r, buf, fmt.Errorf("bench: bad Content-Length %q", value)
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("identity")) {
				return r, buf, errBenchChunked
			}
		case bytes.EqualFold(name, []byte("Connection")):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				tok = bytes.TrimSpace(tok)
				if bytes.EqualFold(tok, []byte("close")) {
					keepAlive = false
				} else if bytes.EqualFold(tok, []byte("keep-alive")) {
					keepAlive = true
				}
			}
		}
	}
	r.close = !keepAlive
	switch {
	case r.status < 200 || r.status == 204 || r.status == 304:
		if r.status < 200 {
			return r, buf, fmt.Errorf("bench: unexpected interim response %d", r.status)
		}
		length = 0
	case length < 0:
		// No length: the body runs to the end of the connection.
		r.close = true
		body, err := io.ReadAll(br)
		if err != nil {
			return r, buf, err
		}
		r.body = body
		return r, body, nil
	}
	if cap(buf) < length {
		buf = make([]byte, length)
	}
	r.body = buf[:length]
	if _, err := io.ReadFull(br, r.body); err != nil {
		return r, buf, benchEOF(err)
	}
	return r, buf, nil
}

// benchAtoi parses a decimal Content-Length (at most 1 GB) without allocating.
func benchAtoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= 1<<30
}

func trimCRLF(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// benchEOF turns a connection ending mid-response into an error that says so.
func benchEOF(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("bench: connection closed before a whole response: %w", io.ErrUnexpectedEOF)
	}
	if err == bufio.ErrBufferFull {
		return errors.New("bench: response line longer than the read buffer")
	}
	return err
}
