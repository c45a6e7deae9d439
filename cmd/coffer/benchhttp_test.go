package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The bench client's response parser: status, Content-Length, keep-alive and
// close, and the responses it refuses.
func TestBenchResponseParser(t *testing.T) {
	two := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 5\r\n\r\nhello" +
		"HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n"
	br := bufio.NewReader(strings.NewReader(two))
	r, buf, err := readBenchResponse(br, nil)
	if err != nil || r.status != 200 || string(r.body) != "hello" || r.close {
		t.Fatalf("first: %+v %q, %v", r, r.body, err)
	}
	r, buf, err = readBenchResponse(br, buf)
	if err != nil || r.status != 403 || string(r.body) != "no\n" || !r.close {
		t.Fatalf("second: %+v %q, %v", r, r.body, err)
	}
	if _, _, err := readBenchResponse(br, buf); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("after the last response: %v", err)
	}

	for _, c := range []struct {
		name, in string
		status   int
		body     string
		close    bool
	}{
		{"HTTP/1.0 closes by default", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok", true},
		{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", 200, "ok", false},
		{"no reason phrase", "HTTP/1.1 204\r\n\r\n", 204, "", false},
		{"no length: body to the end", "HTTP/1.1 500 Internal Server Error\r\n\r\noops", 500, "oops", true},
		{"identity", "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 1\r\n\r\nx", 200, "x", false},
		{"connection list", "HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n", 200, "", true},
	} {
		r, _, err := readBenchResponse(bufio.NewReader(strings.NewReader(c.in)), nil)
		if err != nil || r.status != c.status || string(r.body) != c.body || r.close != c.close {
			t.Errorf("%s: %+v %q, %v", c.name, r, r.body, err)
		}
	}

	for _, c := range []struct{ name, in, want string }{
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "Content-Length"},
		{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", "before a whole response"},
		{"truncated headers", "HTTP/1.1 200 OK\r\nContent-Len", "before a whole response"},
		{"empty", "", "before a whole response"},
		{"not HTTP", "SSH-2.0-OpenSSH_9.6\r\n", "status line"},
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", "status line"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length"},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", "Content-Length"},
		{"header without colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", "header line"},
		{"interim", "HTTP/1.1 100 Continue\r\n\r\n", "interim"},
	} {
		_, _, err := readBenchResponse(bufio.NewReader(strings.NewReader(c.in)), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error about %q", c.name, err, c.want)
		}
	}
}

// Against net/http's server: a prebuilt request answered on one connection
// many times, and a server's Connection: close seen.
func TestBenchClientNetHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer k" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "headers", http.StatusBadRequest)
			return
		}
		if string(b) == `{"x":"close"}` {
			w.Header().Set("Connection", "close")
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	defer srv.Close()
	tgt, err := newBenchTarget(srv.URL+"/", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tgt.dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	req, off := benchRequest(tgt.host, "/sign", "Bearer k", "application/json", []byte(`{"x":"aaaaa"}`))
	var buf []byte
	for _, v := range []string{"bbbbb", "ccccc", "close"} {
		copy(req[off+6:], v)
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		var r benchResponse
		r, buf, err = readBenchResponse(br, buf)
		if err != nil || r.status != 200 || string(r.body) != `{"x":"`+v+`"}` || r.close != (v == "close") {
			t.Fatalf("%s: %+v %q, %v", v, r, r.body, err)
		}
	}
	if _, _, err := readBenchResponse(br, buf); err == nil {
		t.Fatal("read a response after the server closed the connection")
	}

	for _, bad := range []string{"ftp://x", "http://", "unix:///tmp/s"} {
		if _, err := newBenchTarget(bad, time.Second); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if tgt, err := newBenchTarget("https://example.com", time.Second); err != nil || tgt.addr != "example.com:443" || tgt.tls == nil {
		t.Errorf("https: %+v, %v", tgt, err)
	}
}
