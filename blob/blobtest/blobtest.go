// Package blobtest is the conformance suite every coffer.Blob implementation
// runs, so that blob/fs and blob/s3 behave the same.
package blobtest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/blob"
)

// Run runs the suite. newStore must return an empty store; it is called once
// per subtest.
func Run(t *testing.T, newStore func(t *testing.T) coffer.Blob) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		key := "metadata/" + strings.Repeat("ab", 32) + ".json"
		data := []byte(`{"name":"coffer #1"}`)
		mustPut(t, s, key, data, "application/json")
		expect(t, s, key, data, "application/json")
	})

	t.Run("ContentTypePreserved", func(t *testing.T) {
		s := newStore(t)
		for i, ct := range []string{
			"image/png",
			"application/json; charset=utf-8",
			"text/plain",
			"application/vnd.coffer+json; profile=\"x y\"",
		} {
			key := fmt.Sprintf("ct/%d", i)
			mustPut(t, s, key, []byte("x"), ct)
			expect(t, s, key, []byte("x"), ct)
		}
	})

	t.Run("EmptyContentTypeDefaults", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, "noct", []byte("x"), "")
		expect(t, s, "noct", []byte("x"), blob.DefaultContentType)
	})

	t.Run("InvalidContentType", func(t *testing.T) {
		s := newStore(t)
		for _, ct := range []string{"text/plain\r\nX-Evil: 1", "text/plain\n", "tëxt/plain", strings.Repeat("a", blob.MaxContentTypeLen+1)} {
			err := s.Put(context.Background(), "badct", []byte("x"), ct)
			if coffer.ErrorCode(err) != coffer.EINVALID {
				t.Errorf("Put with content type %q: err = %v, want %s", ct, err, coffer.EINVALID)
			}
		}
		expectNotFound(t, s, "badct")
	})

	t.Run("Overwrite", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, "media/x.png", []byte("first version, longer"), "image/png")
		mustPut(t, s, "media/x.png", []byte("second"), "image/jpeg")
		expect(t, s, "media/x.png", []byte("second"), "image/jpeg")
	})

	t.Run("MissingKey", func(t *testing.T) {
		s := newStore(t)
		expectNotFound(t, s, "metadata/missing.json")
		// A missing key under an existing "directory" too.
		mustPut(t, s, "dir/present", []byte("x"), "text/plain")
		expectNotFound(t, s, "dir/absent")
		expectNotFound(t, s, "dir")
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, "del/me", []byte("x"), "text/plain")
		mustPut(t, s, "del/keep", []byte("y"), "text/plain")
		if err := s.Delete(context.Background(), "del/me"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		expectNotFound(t, s, "del/me")
		expect(t, s, "del/keep", []byte("y"), "text/plain")
		// Put after Delete works again.
		mustPut(t, s, "del/me", []byte("z"), "text/plain")
		expect(t, s, "del/me", []byte("z"), "text/plain")
	})

	t.Run("DeleteMissing", func(t *testing.T) {
		s := newStore(t)
		if err := s.Delete(context.Background(), "never/there"); err != nil {
			t.Fatalf("Delete of a missing key: %v", err)
		}
		mustPut(t, s, "twice", []byte("x"), "")
		for range 2 {
			if err := s.Delete(context.Background(), "twice"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		s := newStore(t)
		ctx := context.Background()
		bad := []string{
			"",
			"/abs",
			"/",
			"..",
			"../escape",
			"a/../../escape",
			"a/..",
			"a..b",
			".",
			"./a",
			"a/./b",
			"a//b",
			"trailing/",
			"back\\slash",
			"space here",
			"nul\x00byte",
			"new\nline",
			"ütf8",
			"q?uery",
			"per%2Fcent",
			"star*",
			"tilde~",
			strings.Repeat("k", blob.MaxKeyLen+1),
		}
		for _, key := range bad {
			if err := s.Put(ctx, key, []byte("evil"), "text/plain"); coffer.ErrorCode(err) != coffer.EINVALID {
				t.Errorf("Put(%q): err = %v, want %s", key, err, coffer.EINVALID)
			}
			if _, _, err := s.Get(ctx, key); coffer.ErrorCode(err) != coffer.EINVALID {
				t.Errorf("Get(%q): err = %v, want %s", key, err, coffer.EINVALID)
			}
			if err := s.Delete(ctx, key); coffer.ErrorCode(err) != coffer.EINVALID {
				t.Errorf("Delete(%q): err = %v, want %s", key, err, coffer.EINVALID)
			}
		}
		// Nothing was written under any name the bad keys could have been
		// cleaned or truncated into.
		for _, key := range bad {
			for _, k := range []string{
				strings.TrimLeft(path.Clean("/"+key), "/"),
				strings.TrimLeft(path.Clean(key), "/"),
				strings.Trim(key, "/"),
				path.Base(key),
				"escape",
			} {
				if blob.ValidKey(k) == nil {
					expectNotFound(t, s, k)
				}
			}
		}
	})

	t.Run("KeyLimits", func(t *testing.T) {
		s := newStore(t)
		long := strings.Repeat("k", blob.MaxKeyLen)
		mustPut(t, s, long, []byte("long"), "text/plain")
		expect(t, s, long, []byte("long"), "text/plain")
		deep := strings.TrimSuffix(strings.Repeat("d/", 100), "/")
		mustPut(t, s, deep, []byte("deep"), "text/plain")
		expect(t, s, deep, []byte("deep"), "text/plain")
		for _, key := range []string{"a", "Z", "0", "_", "-", ".hidden", "a.b-c_d/E.F", "CaSe", "case"} {
			mustPut(t, s, key, []byte(key), "text/plain")
		}
		for _, key := range []string{"a", "Z", "0", "_", "-", ".hidden", "a.b-c_d/E.F", "CaSe", "case"} {
			expect(t, s, key, []byte(key), "text/plain")
		}
	})

	t.Run("KeyAndPrefixCoexist", func(t *testing.T) {
		// Object stores allow both "a" and "a/b"; every backend must.
		s := newStore(t)
		mustPut(t, s, "a", []byte("file"), "text/plain")
		mustPut(t, s, "a/b", []byte("nested"), "text/plain")
		mustPut(t, s, "a/b/c", []byte("deeper"), "text/plain")
		expect(t, s, "a", []byte("file"), "text/plain")
		expect(t, s, "a/b", []byte("nested"), "text/plain")
		expect(t, s, "a/b/c", []byte("deeper"), "text/plain")
		if err := s.Delete(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
		expectNotFound(t, s, "a")
		expect(t, s, "a/b", []byte("nested"), "text/plain")
	})

	t.Run("BinaryData", func(t *testing.T) {
		s := newStore(t)
		data := make([]byte, 0, 4096)
		for i := range 4096 {
			data = append(data, byte(i))
		}
		// Bytes that look like headers or line structure must survive too.
		data = append(data, "\r\n\r\ncontent-type: evil\n\x00\xff"...)
		mustPut(t, s, "bin/all-bytes", data, "application/octet-stream")
		expect(t, s, "bin/all-bytes", data, "application/octet-stream")
	})

	t.Run("EmptyData", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, "empty", nil, "text/plain")
		expect(t, s, "empty", []byte{}, "text/plain")
	})

	t.Run("CallerMayReuseBuffer", func(t *testing.T) {
		s := newStore(t)
		buf := []byte("original")
		mustPut(t, s, "buf", buf, "text/plain")
		copy(buf, "XXXXXXXX")
		got, _, err := s.Get(context.Background(), "buf")
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "original" {
			t.Fatalf("stored data changed with the caller's buffer: %q", got)
		}
		got[0] = 'Y'
		expect(t, s, "buf", []byte("original"), "text/plain")
	})

	t.Run("Large", func(t *testing.T) {
		s := newStore(t)
		data := randBytes(5 << 20)
		mustPut(t, s, "media/large.bin", data, "application/octet-stream")
		expect(t, s, "media/large.bin", data, "application/octet-stream")
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		s := newStore(t)
		const n = 16
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				key := fmt.Sprintf("concurrent/%02d.json", i)
				if err := s.Put(context.Background(), key, []byte(key), "application/json"); err != nil {
					errs <- fmt.Errorf("Put(%q): %w", key, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		for i := range n {
			key := fmt.Sprintf("concurrent/%02d.json", i)
			expect(t, s, key, []byte(key), "application/json")
		}
	})

	t.Run("ConcurrentOverwriteIsAtomic", func(t *testing.T) {
		// Readers racing writers of one key see some whole version, never a
		// torn or mixed one.
		s := newStore(t)
		ctx := context.Background()
		versions := make(map[string]string) // data -> content type
		var vals [][]byte
		for i := range 4 {
			d := bytes.Repeat([]byte{byte('a' + i)}, 64<<10+i*1000)
			vals = append(vals, d)
			versions[string(d)] = fmt.Sprintf("text/v%d", i)
		}
		mustPut(t, s, "race", vals[0], versions[string(vals[0])])
		var wg sync.WaitGroup
		stop := make(chan struct{})
		errs := make(chan error, 64)
		for i := range vals {
			wg.Go(func() {
				for range 10 {
					if err := s.Put(ctx, "race", vals[i], versions[string(vals[i])]); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		var readers sync.WaitGroup
		for range 2 {
			readers.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					got, ct, err := s.Get(ctx, "race")
					if err != nil {
						errs <- fmt.Errorf("Get during overwrite: %w", err)
						return
					}
					want, ok := versions[string(got)]
					if !ok {
						errs <- fmt.Errorf("Get during overwrite: torn data of %d bytes", len(got))
						return
					}
					if ct != want {
						errs <- fmt.Errorf("Get during overwrite: content type %q with data of %q", ct, want)
						return
					}
				}
			})
		}
		wg.Wait()
		close(stop)
		readers.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Put(ctx, "canceled", []byte("x"), "text/plain"); err == nil {
			t.Fatal("Put with a canceled context succeeded")
		}
		expectNotFound(t, s, "canceled")
		mustPut(t, s, "present", []byte("x"), "text/plain")
		if _, _, err := s.Get(ctx, "present"); err == nil {
			t.Fatal("Get with a canceled context succeeded")
		}
		if err := s.Delete(ctx, "present"); err == nil {
			t.Fatal("Delete with a canceled context succeeded")
		}
		expect(t, s, "present", []byte("x"), "text/plain")
	})
}

func mustPut(t *testing.T, s coffer.Blob, key string, data []byte, ct string) {
	t.Helper()
	if err := s.Put(context.Background(), key, data, ct); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func expect(t *testing.T, s coffer.Blob, key string, data []byte, ct string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, gotCT, err := s.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("Get(%q) = %d bytes %.40q, want %d bytes %.40q", key, len(got), got, len(data), data)
	}
	if got == nil {
		t.Fatalf("Get(%q) returned nil data, want a non-nil slice", key)
	}
	if gotCT != ct {
		t.Fatalf("Get(%q) content type = %q, want %q", key, gotCT, ct)
	}
}

func expectNotFound(t *testing.T, s coffer.Blob, key string) {
	t.Helper()
	_, _, err := s.Get(context.Background(), key)
	if coffer.ErrorCode(err) != coffer.ENOTFOUND {
		t.Fatalf("Get(%q): err = %v, want %s", key, err, coffer.ENOTFOUND)
	}
}

func randBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
