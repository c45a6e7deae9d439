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
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

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
	// chmod: the process's umask clears bits of filePerm, so Put sets the
	// mode itself (with the usual umasks the create already gives it).
	chmod bool
	// dirs keeps each shard directory open once synced: a Put syncs its
	// directory after the rename, and opening it every time was two more
	// system calls per object.
	dirs sync.Map // directory path → *os.File
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
	_, err = os.Stat(abs)
	made := errors.Is(err, fs.ErrNotExist)
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
	s := &Store{dir: abs, chmod: umaskClears(abs)}
	if made && s.chmod {
		if err := os.Chmod(abs, dirPerm); err != nil {
			return nil, fmt.Errorf("blob/fs: %w", err)
		}
	}
	return s, nil
}

// mkdir makes dir (and its parents) with dirPerm whatever the umask.
func (s *Store) mkdir(dir string) error {
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return err
	}
	if s.chmod {
		return os.Chmod(dir, dirPerm)
	}
	return nil
}

// umaskClears reports whether a file created in dir with filePerm gets fewer
// permissions (the umask): a probe file says, and when it cannot be made,
// Put sets the mode every time.
func umaskClears(dir string) bool {
	f, name, err := createTemp(dir)
	if err != nil {
		return true
	}
	defer os.Remove(name)
	defer f.Close()
	fi, err := f.Stat()
	return err != nil || fi.Mode().Perm() != filePerm
}

// createTemp creates a new temporary file in dir with filePerm (less the
// umask): os.CreateTemp's, which makes 0o600, would need a chmod every time.
func createTemp(dir string) (*os.File, string, error) {
	for {
		name := filepath.Join(dir, ".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
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
	f, tmp, err := createTemp(dir)
	if errors.Is(err, fs.ErrNotExist) {
		s.dirs.Delete(dir) // made anew: a handle kept open is the old one's
		if err := s.mkdir(dir); err != nil {
			return fmt.Errorf("blob/fs: put %q: %w", key, err)
		}
		f, tmp, err = createTemp(dir)
	}
	if err != nil {
		return fmt.Errorf("blob/fs: put %q: %w", key, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// The documented mode regardless of umask.
	if s.chmod {
		if err := f.Chmod(filePerm); err != nil {
			return fmt.Errorf("blob/fs: put %q: %w", key, err)
		}
	}
	if _, err := f.Write(append(header(key, ct, len(data)), data...)); err != nil {
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
	if err := s.syncDir(dir); err != nil {
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
	if err := s.syncDir(dir); err != nil {
		return fmt.Errorf("blob/fs: delete %q: sync directory: %w", key, err)
	}
	return nil
}

// header is the file's header, with room after it for extra bytes.
func header(key, ct string, extra int) []byte {
	var b bytes.Buffer
	b.Grow(len(magic) + len(key) + len(ct) + 32 + extra)
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

// syncDir flushes dir's entries (a rename, a removal) to disk, through a
// handle kept open after the first time.
func (s *Store) syncDir(dir string) error {
	if d, ok := s.dirs.Load(dir); ok {
		return d.(*os.File).Sync()
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	if _, kept := s.dirs.LoadOrStore(dir, d); kept {
		d.Close()
	}
	return nil
}
