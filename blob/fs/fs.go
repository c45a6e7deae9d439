// Package fs is a coffer.Blob on the local file system.
//
// Layout: the object for key k lives at <dir>/<h[:2]>/<h>, where h is the hex
// SHA-256 of k. Hashing rather than mirroring the key means no key can reach
// outside dir, "a" and "a/b" can both exist (as in S3), long segments never hit
// NAME_MAX and case-insensitive file systems cannot merge keys.
//
// Each file holds a small text header followed by the data:
//
//	coffer-blob 1\n
//	key: <key>\n
//	content-type: <content type>\n
//	\n
//	<data>
//
// Keeping the content type in the same file as the data (not in a sidecar)
// means one rename replaces both together, so a reader never pairs new data
// with an old content type. The key is kept so that the tree can be listed or
// migrated without a database.
//
// Writes go to a temporary file in the destination directory, are fsynced and
// renamed over the target, and the directory is fsynced, so readers see either
// the old or the new object, whole, and a crash loses at most the write in
// flight. A crash can leave a ".tmp-*" file behind; such files are never read.
package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/blob"
)

const (
	dirPerm  = 0o750
	filePerm = 0o640
	magic    = "coffer-blob 1\n"
)

// Store keeps blobs under one directory. It is safe for concurrent use, also
// by several processes sharing the directory.
type Store struct {
	dir string
}

var _ coffer.Blob = (*Store)(nil)

// New returns a Store rooted at dir, creating it (0o750) if needed.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, coffer.Errorf(coffer.EINVALID, "blob directory is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob/fs: %w", err)
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, fmt.Errorf("blob/fs: create %s: %w", abs, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("blob/fs: %w", err)
	}
	if !fi.IsDir() {
		return nil, coffer.Errorf(coffer.EINVALID, "blob directory %s is not a directory", abs)
	}
	return &Store{dir: abs}, nil
}

// Dir is the root directory of the store.
func (s *Store) Dir() string { return s.dir }

// path returns the directory and file name that hold key.
func (s *Store) path(key string) (dir, file string) {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	dir = filepath.Join(s.dir, h[:2])
	return dir, filepath.Join(dir, h)
}

// Put stores data under key, replacing any previous object atomically.
func (s *Store) Put(ctx context.Context, key string, data []byte, contentType string) (err error) {
	if err := blob.ValidKey(key); err != nil {
		return err
	}
	ct, err := blob.ContentType(contentType)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir, name := s.path(key)
	// The directory is made when it is missing (after a first attempt, not
	// before every Put: that was a stat per object).
	f, err := os.CreateTemp(dir, ".tmp-*")
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, dirPerm); err != nil {
			return fmt.Errorf("blob/fs: put %q: %w", key, err)
		}
		f, err = os.CreateTemp(dir, ".tmp-*")
	}
	if err != nil {
		return fmt.Errorf("blob/fs: put %q: %w", key, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// CreateTemp makes 0o600; widen to the documented mode regardless of umask.
	if err := f.Chmod(filePerm); err != nil {
		return fmt.Errorf("blob/fs: put %q: %w", key, err)
	}
	if _, err := f.Write(header(key, ct)); err != nil {
		return fmt.Errorf("blob/fs: put %q: %w", key, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("blob/fs: put %q: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blob/fs: put %q: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("blob/fs: put %q: %w", key, err)
	}
	// Last chance to honour cancellation before the object becomes visible.
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("blob/fs: put %q: %w", key, err)
	}
	// The data is already in place; a failed directory sync only weakens
	// durability across a crash, so it is reported but the object stays.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("blob/fs: put %q: sync directory: %w", key, err)
	}
	return nil
}

// Get returns the data and content type stored under key.
func (s *Store) Get(ctx context.Context, key string) ([]byte, string, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, "", err
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	_, name := s.path(key)
	raw, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", coffer.Errorf(coffer.ENOTFOUND, "blob %q not found", key)
	}
	if err != nil {
		return nil, "", fmt.Errorf("blob/fs: get %q: %w", key, err)
	}
	storedKey, ct, data, err := parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("blob/fs: get %q: %s: %w", key, name, err)
	}
	if storedKey != key {
		// Only a SHA-256 collision or a hand-edited file gets here.
		return nil, "", fmt.Errorf("blob/fs: get %q: %s holds key %q", key, name, storedKey)
	}
	return data, ct, nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir, name := s.path(key)
	err := os.Remove(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob/fs: delete %q: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("blob/fs: delete %q: sync directory: %w", key, err)
	}
	return nil
}

func header(key, ct string) []byte {
	var b bytes.Buffer
	b.Grow(len(magic) + len(key) + len(ct) + 32)
	b.WriteString(magic)
	b.WriteString("key: ")
	b.WriteString(key)
	b.WriteString("\ncontent-type: ")
	b.WriteString(ct)
	b.WriteString("\n\n")
	return b.Bytes()
}

var errCorrupt = errors.New("corrupt blob header")

// parse splits a stored file into key, content type and data. The header
// fields cannot contain newlines (ValidKey and blob.ContentType forbid them),
// so each is exactly one line.
func parse(raw []byte) (key, ct string, data []byte, err error) {
	rest, ok := bytes.CutPrefix(raw, []byte(magic))
	if !ok {
		return "", "", nil, errCorrupt
	}
	line := func(prefix string) (string, bool) {
		l, r, ok := bytes.Cut(rest, []byte{'\n'})
		if !ok {
			return "", false
		}
		v, ok := strings.CutPrefix(string(l), prefix)
		rest = r
		return v, ok
	}
	if key, ok = line("key: "); !ok {
		return "", "", nil, errCorrupt
	}
	if ct, ok = line("content-type: "); !ok {
		return "", "", nil, errCorrupt
	}
	if rest, ok = bytes.CutPrefix(rest, []byte{'\n'}); !ok {
		return "", "", nil, errCorrupt
	}
	// rest aliases raw, which is ours alone; no copy needed. It is non-nil
	// even for empty data because raw holds the header.
	return key, ct, rest, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
