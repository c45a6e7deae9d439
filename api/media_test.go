package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
	blobfs "github.com/cofferhq/coffer/blob/fs"
)

// mediaEnv is an API server with only a blob store: POST /v1/media needs
// nothing else.
type mediaEnv struct {
	t    *testing.T
	srv  *Server
	blob *blobfs.Store
	user *coffer.Principal
}

const mediaLimit = 4 << 10

func newMediaEnv(t *testing.T) *mediaEnv {
	b, err := blobfs.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Deps{Blob: b, Log: slog.New(slog.DiscardHandler)}, Config{MaxUploadBytes: mediaLimit, PublicURL: "https://coffer.example/"})
	return &mediaEnv{t: t, srv: srv, blob: b, user: &coffer.Principal{UserID: "u1", Issuer: "test", Subject: "u1", Roles: []string{coffer.RoleUser}}}
}

type filePart struct {
	field, name, contentType string
	data                     []byte
}

func multipartBody(t *testing.T, parts ...filePart) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.name != "" {
			h.Set("Content-Disposition", `form-data; name="`+p.field+`"; filename="`+p.name+`"`)
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.field+`"`)
		}
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

func (e *mediaEnv) serve(p *coffer.Principal, r *http.Request) *httptest.ResponseRecorder {
	if p != nil {
		r = r.WithContext(coffer.NewContext(r.Context(), p))
	}
	w := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(w, r)
	return w
}

// upload posts parts as p and returns the status and the decoded answer.
func (e *mediaEnv) upload(p *coffer.Principal, parts ...filePart) (int, map[string]any) {
	e.t.Helper()
	body, ct := multipartBody(e.t, parts...)
	r := httptest.NewRequest("POST", "/v1/media", body)
	r.Header.Set("Content-Type", ct)
	w := e.serve(p, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		e.t.Fatalf("POST /v1/media: %d %q is not JSON", w.Code, w.Body)
	}
	return w.Code, out
}

func (e *mediaEnv) refused(p *coffer.Principal, status int, msg string, parts ...filePart) {
	e.t.Helper()
	code, out := e.upload(p, parts...)
	ae, _ := out["error"].(map[string]any)
	if code != status || ae == nil || !strings.Contains(ae["message"].(string), msg) {
		e.t.Fatalf("POST /v1/media: %d %v, want %d containing %q", code, out, status, msg)
	}
}

// stored counts the objects in the blob store.
func (e *mediaEnv) stored() int {
	n := 0
	filepath.WalkDir(e.blob.Dir(), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// testPNG is a real 1×1 PNG.
var testPNG = func() []byte {
	b, _ := hex.DecodeString("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2b3a0f90000000049454e44ae426082")
	return b
}()

const testSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#c0ffee"/><script>alert(document.cookie)</script></svg>`

// accept uploads data and checks the answer and what GET /media/… serves back.
func (e *mediaEnv) accept(part filePart, wantType string) *httptest.ResponseRecorder {
	e.t.Helper()
	code, out := e.upload(e.user, part)
	if code != http.StatusCreated {
		e.t.Fatalf("POST /v1/media: %d %v", code, out)
	}
	sum := sha256.Sum256(part.data)
	if out["sha256"] != "0x"+hex.EncodeToString(sum[:]) || out["content_type"] != wantType {
		e.t.Fatalf("answer %v, want sha256 0x%x and content_type %s", out, sum, wantType)
	}
	uri, _ := out["uri"].(string)
	path, ok := strings.CutPrefix(uri, "https://coffer.example/media/")
	if !ok || !strings.HasPrefix(path, hex.EncodeToString(sum[:])+".") {
		e.t.Fatalf("uri %q is not https://coffer.example/media/<sha256>.<ext>", uri)
	}
	w := e.serve(nil, httptest.NewRequest("GET", "/media/"+path, nil)) // a guest reads it
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), part.data) {
		e.t.Fatalf("GET %s: %d, %d bytes", uri, w.Code, w.Body.Len())
	}
	if got := w.Header().Get("Content-Type"); got != wantType {
		e.t.Errorf("GET %s: Content-Type %q, want %q", uri, got, wantType)
	}
	if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		e.t.Errorf("GET %s: X-Content-Type-Options %q", uri, got)
	}
	return w
}

func TestUploadMediaAccepted(t *testing.T) {
	e := newMediaEnv(t)
	t.Run("png", func(t *testing.T) {
		e.t = t
		w := e.accept(filePart{"file", "a.png", "image/png", testPNG}, "image/png")
		if csp := w.Header().Get("Content-Security-Policy"); csp != "" {
			t.Errorf("PNG served with CSP %q", csp)
		}
	})
	t.Run("png declared as anything", func(t *testing.T) {
		// The type is sniffed from the bytes, not taken from the client.
		e.t = t
		e.accept(filePart{"file", "a.bin", "application/octet-stream", append(bytes.Clone(testPNG), 0)}, "image/png")
	})
	t.Run("png at the limit", func(t *testing.T) {
		e.t = t
		data := append(bytes.Clone(testPNG), make([]byte, mediaLimit-len(testPNG))...)
		e.accept(filePart{"file", "big.png", "image/png", data}, "image/png")
	})
	for _, tc := range []struct{ name, declared, doc string }{
		{"svg", "image/svg+xml", testSVG},
		{"svg with an XML declaration", "image/svg+xml", `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + testSVG},
		{"svg declared with a charset", "image/svg+xml; charset=utf-8", testSVG},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			w := e.accept(filePart{"file", "a.svg", tc.declared, []byte(tc.doc)}, "image/svg+xml")
			// Scripts in an SVG opened directly never run, nor load anything.
			csp := w.Header().Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "sandbox"} {
				if !strings.Contains(csp, want) {
					t.Errorf("SVG served with CSP %q, want %q in it", csp, want)
				}
			}
			if strings.Contains(csp, "script-src") || strings.Contains(csp, "allow-scripts") {
				t.Errorf("SVG served with CSP %q allowing scripts", csp)
			}
		})
	}
	t.Run("other parts around the file", func(t *testing.T) {
		e.t = t
		code, out := e.upload(e.user, filePart{"note", "", "", []byte("hello")}, filePart{"file", "a.png", "image/png", testPNG}, filePart{"after", "", "", []byte("x")})
		if code != http.StatusCreated || out["content_type"] != "image/png" {
			t.Fatalf("%d %v", code, out)
		}
	})
	t.Run("admin", func(t *testing.T) {
		e.t = t
		admin := &coffer.Principal{Issuer: "apikey", Subject: "ops", Roles: []string{coffer.RoleAdmin}}
		if code, out := e.upload(admin, filePart{"file", "a.png", "image/png", testPNG}); code != http.StatusCreated {
			t.Fatalf("%d %v", code, out)
		}
	})
}

func TestUploadMediaRefused(t *testing.T) {
	e := newMediaEnv(t)
	for _, tc := range []struct {
		name   string
		p      *coffer.Principal
		parts  []filePart
		status int
		msg    string
	}{
		{"guest", nil, []filePart{{"file", "a.png", "image/png", testPNG}}, 401, "Authorization"},
		{"html", e.user, []filePart{{"file", "a.html", "text/html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")}}, 400, "media type text/html is not allowed"},
		{"html declared as png", e.user, []filePart{{"file", "a.png", "image/png", []byte("<html><body onload=alert(1)>")}}, 400, "text/html is not allowed"},
		{"html declared as svg", e.user, []filePart{{"file", "a.svg", "image/svg+xml", []byte(`<html><svg xmlns="http://www.w3.org/2000/svg"></svg><script>alert(1)</script></html>`)}}, 400, "text/html is not allowed"},
		{"xhtml declared as svg", e.user, []filePart{{"file", "a.svg", "image/svg+xml", []byte(`<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>`)}}, 400, "not allowed"},
		{"javascript", e.user, []filePart{{"file", "a.js", "text/javascript", []byte("alert(document.cookie)")}}, 400, "not allowed"},
		{"javascript declared as svg", e.user, []filePart{{"file", "a.svg", "image/svg+xml", []byte("fetch('/v1/me').then(r => r.text())")}}, 400, "not allowed"},
		{"javascript declared as png", e.user, []filePart{{"file", "a.png", "image/png", []byte("alert(1)")}}, 400, "not allowed"},
		{"svg not declared", e.user, []filePart{{"file", "a.svg", "application/octet-stream", []byte(testSVG)}}, 400, "not allowed"},
		{"pdf", e.user, []filePart{{"file", "a.pdf", "application/pdf", []byte("%PDF-1.7\n")}}, 400, "application/pdf is not allowed"},
		{"empty file", e.user, []filePart{{"file", "a.png", "image/png", nil}}, 400, "not allowed"},
		{"over the limit", e.user, []filePart{{"file", "big.png", "image/png", append(bytes.Clone(testPNG), make([]byte, mediaLimit-len(testPNG)+1)...)}}, 413, "larger than 4096 bytes"},
		{"far over the limit", e.user, []filePart{{"file", "big.png", "image/png", append(bytes.Clone(testPNG), make([]byte, 1<<20)...)}}, 413, "larger than 4096 bytes"},
		{"large other part", e.user, []filePart{{"junk", "", "", make([]byte, 1<<20)}, {"file", "a.png", "image/png", testPNG}}, 413, "larger than 4096 bytes"},
		{"no file part", e.user, []filePart{{"image", "a.png", "image/png", testPNG}}, 400, `no "file" part`},
		{"no parts", e.user, nil, 400, `no "file" part`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.refused(tc.p, tc.status, tc.msg, tc.parts...)
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		for _, ct := range []string{"", "application/json", "image/png", "multipart/form-data"} {
			r := httptest.NewRequest("POST", "/v1/media", bytes.NewReader(testPNG))
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			if w := e.serve(e.user, r); w.Code != http.StatusBadRequest {
				t.Errorf("Content-Type %q: %d %s", ct, w.Code, w.Body)
			}
		}
	})
	t.Run("truncated body", func(t *testing.T) {
		body, ct := multipartBody(t, filePart{"file", "a.png", "image/png", testPNG})
		r := httptest.NewRequest("POST", "/v1/media", io.LimitReader(body, int64(body.Len()-10)))
		r.Header.Set("Content-Type", ct)
		if w := e.serve(e.user, r); w.Code != http.StatusBadRequest {
			t.Errorf("%d %s", w.Code, w.Body)
		}
	})
	// Bad input changes nothing.
	if n := e.stored(); n != 0 {
		t.Fatalf("%d objects stored by refused uploads", n)
	}
}
