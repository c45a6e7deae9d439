package fs_test

import (
	"context"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/blob/blobtest"
	"github.com/cofferhq/coffer/blob/fs"
)

func newStore(t testing.TB) *fs.Store {
	t.Helper()
	s, err := fs.New(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuite(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) coffer.Blob { return newStore(t) })
}

var objectName = regexp.MustCompile(`^[0-9a-f]{2}/[0-9a-f]{64}$`)

// TestNoTraversal puts hostile keys into a store nested in a parent
// directory and checks that nothing appeared outside the store and that the
// store holds only the objects of valid keys.
func TestNoTraversal(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "store")
	s, err := fs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{
		"../escape", "../../escape", "a/../../escape", "/etc/passwd", "..",
		"a/..", "..\\escape", "%2e%2e/escape", "a/b/../../../escape",
		"/" + filepath.Join(parent, "escape"),
	} {
		if err := s.Put(ctx, key, []byte("evil"), "text/plain"); coffer.ErrorCode(err) != coffer.EINVALID {
			t.Errorf("Put(%q): err = %v, want %s", key, err, coffer.EINVALID)
		}
	}
	if err := s.Put(ctx, "ok/key", []byte("fine"), "text/plain"); err != nil {
		t.Fatal(err)
	}

	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "store" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("parent directory holds %v, want only [store]", names)
	}
	files := walk(t, dir)
	if len(files) != 1 || !objectName.MatchString(files[0]) {
		t.Fatalf("store holds %v, want one object", files)
	}
}

func walk(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Objects get 0o640 and directories 0o750 whatever the umask: one that
// grants more (0), the usual one (022), and one that grants less (077, where
// Put sets the mode itself).
func TestPermissions(t *testing.T) {
	for _, umask := range []int{0, 0o022, 0o077} {
		t.Run(fmt.Sprintf("umask %03o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)
			checkPermissions(t)
		})
	}
}

func checkPermissions(t *testing.T) {
	s := newStore(t)
	if err := s.Put(context.Background(), "media/x.png", []byte("png"), "image/png"); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(s.Dir(), func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := iofs.FileMode(0o640)
		if d.IsDir() {
			want = 0o750
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", p, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoTempFilesLeft checks that successful and failed writes both clean up.
func TestNoTempFilesLeft(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for i := range 20 {
		if err := s.Put(ctx, fmt.Sprintf("k/%d", i%3), []byte("data"), "text/plain"); err != nil {
			t.Fatal(err)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_ = s.Put(canceled, "k/canceled", []byte("data"), "text/plain")
	for _, f := range walk(t, s.Dir()) {
		if !objectName.MatchString(f) {
			t.Errorf("unexpected file %s", f)
		}
	}
	if n := len(walk(t, s.Dir())); n != 3 {
		t.Errorf("store holds %d files, want 3", n)
	}
}

// A shard directory removed behind the store's back (an operator cleaning
// up) is made again by the next Put, which syncs the new directory, not a
// handle kept from the old one.
func TestShardDirectoryRemoved(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.Put(ctx, "k/1", []byte("one"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	files := walk(t, s.Dir())
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	shard := filepath.Join(s.Dir(), filepath.Dir(files[0]))
	if err := os.RemoveAll(shard); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "k/1", []byte("again"), "text/plain"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := s.Get(ctx, "k/1"); err != nil || string(data) != "again" {
		t.Fatalf("after the directory was removed: %q, %v", data, err)
	}
	if err := s.Delete(ctx, "k/1"); err != nil {
		t.Fatal(err)
	}
	if n := len(walk(t, s.Dir())); n != 0 {
		t.Fatalf("%d files left after delete", n)
	}
}

func TestFileFormat(t *testing.T) {
	s := newStore(t)
	if err := s.Put(context.Background(), "metadata/1.json", []byte(`{"a":1}`), "application/json"); err != nil {
		t.Fatal(err)
	}
	files := walk(t, s.Dir())
	raw, err := os.ReadFile(filepath.Join(s.Dir(), files[0]))
	if err != nil {
		t.Fatal(err)
	}
	want := "coffer-blob 1\nkey: metadata/1.json\ncontent-type: application/json\n\n{\"a\":1}"
	if string(raw) != want {
		t.Fatalf("file = %q, want %q", raw, want)
	}
}

func TestCorruptFile(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for name, content := range map[string]string{
		"truncated header": "coffer-blob 1\nkey: k",
		"no magic":         "hello",
		"wrong key":        "coffer-blob 1\nkey: other\ncontent-type: text/plain\n\nx",
		"no blank line":    "coffer-blob 1\nkey: k\ncontent-type: text/plain\nx",
	} {
		if err := s.Put(ctx, "k", []byte("x"), "text/plain"); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(s.Dir(), walk(t, s.Dir())[0])
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.Get(ctx, "k")
		if code := coffer.ErrorCode(err); code != coffer.EINTERNAL {
			t.Errorf("%s: Get err = %v (code %q), want %s", name, err, code, coffer.EINTERNAL)
		}
	}
}

func TestNew(t *testing.T) {
	if _, err := fs.New(""); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Errorf("New(\"\"): err = %v, want %s", err, coffer.EINVALID)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.New(file); err == nil {
		t.Error("New on a regular file succeeded")
	}
	// Relative directories are made absolute so a later chdir cannot move the store.
	t.Chdir(t.TempDir())
	s, err := fs.New("rel")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(s.Dir()) || !strings.HasSuffix(s.Dir(), "rel") {
		t.Errorf("Dir() = %q, want an absolute path ending in rel", s.Dir())
	}
}

func BenchmarkPut(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s := newStore(b)
			data := make([]byte, size)
			ctx := context.Background()
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				if err := s.Put(ctx, fmt.Sprintf("bench/%d", i%64), data, "application/octet-stream"); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			s := newStore(b)
			data := make([]byte, size)
			ctx := context.Background()
			if err := s.Put(ctx, "bench/get", data, "application/octet-stream"); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, _, err := s.Get(ctx, "bench/get"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
