package local

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKey wraps and unwraps the per-key data keys of the local backend. The
// static implementation below keeps a 32-byte key in memory; a KMS-backed one
// can implement the same three methods.
type MasterKey interface {
	// ID names the master key; records remember which one wrapped them.
	ID() string
	Wrap(ctx context.Context, dataKey []byte) ([]byte, error)
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
}

const (
	wrapVersion = 1
	// wrapAAD binds wrapped blobs to their purpose, so a master key used for
	// something else cannot be tricked into unwrapping them (or vice versa).
	wrapAAD = "coffer/keys/local/data-key/v1"
)

// ErrWrongMaster means a record was wrapped by a master key other than the one
// the backend was given.
var ErrWrongMaster = errors.New("local keys: record was wrapped by a different master key")

type staticMaster struct {
	id   string
	aead cipher.AEAD
}

// NewStaticMaster returns a master key held in memory that wraps with
// AES-256-GCM. Its ID is the hex of the first 8 bytes of SHA-256(key): stable,
// and useless for recovering the key.
func NewStaticMaster(key [32]byte) MasterKey {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(key[:])
	return &staticMaster{id: hex.EncodeToString(sum[:8]), aead: aead}
}

func (m *staticMaster) ID() string { return m.id }

func (m *staticMaster) Wrap(_ context.Context, dataKey []byte) ([]byte, error) {
	return seal(m.aead, wrapVersion, dataKey, []byte(wrapAAD)), nil
}

func (m *staticMaster) Unwrap(_ context.Context, wrapped []byte) ([]byte, error) {
	dk, err := open(m.aead, wrapVersion, wrapped, []byte(wrapAAD))
	if err != nil {
		return nil, fmt.Errorf("unwrap data key with master %s: %w", m.id, err)
	}
	return dk, nil
}

// MasterFromHex parses a master key given as 64 hex characters (for example
// from an environment variable). The error never echoes the input.
func MasterFromHex(s string) (MasterKey, error) {
	s = strings.TrimSpace(s)
	if len(s) != 64 {
		return nil, errors.New("master key must be 64 hex characters (32 bytes)")
	}
	var key [32]byte
	if _, err := hex.Decode(key[:], []byte(s)); err != nil {
		return nil, errors.New("master key must be 64 hex characters (32 bytes)")
	}
	m := NewStaticMaster(key)
	clear(key[:])
	return m, nil
}

// LoadOrCreateMasterFile reads the master key from path, a file holding 64 hex
// characters, or creates it with a fresh random key (mode 0600, parent
// directories 0700) when it does not exist. It refuses a file that group or
// others may read, since anyone who reads it can open every local key.
func LoadOrCreateMasterFile(path string) (m MasterKey, created bool, err error) {
	m, err = loadMasterFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return m, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create master key directory: %w", err)
	}
	var key [32]byte
	defer clear(key[:])
	if _, err := rand.Read(key[:]); err != nil {
		return nil, false, err
	}
	// O_EXCL: if another process created the file in between, use its key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		m, err = loadMasterFile(path)
		return m, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("create master key file: %w", err)
	}
	text := make([]byte, 65)
	hex.Encode(text, key[:])
	text[64] = '\n'
	_, err = f.Write(text)
	clear(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, false, fmt.Errorf("write master key file: %w", err)
	}
	return NewStaticMaster(key), true, nil
}

func loadMasterFile(path string) (MasterKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("master key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("master key file %s has mode %04o: it must not be readable by group or others (chmod 600)", path, perm)
	}
	buf, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("read master key file %s: %w", path, err)
	}
	defer clear(buf)
	m, err := MasterFromHex(string(bytes.TrimSpace(buf)))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return m, nil
}

// seal encrypts plain as version || nonce || ciphertext.
func seal(aead cipher.AEAD, version byte, plain, aad []byte) []byte {
	ns := aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return aead.Seal(out, out[1:], plain, aad)
}

func open(aead cipher.AEAD, version byte, blob, aad []byte) ([]byte, error) {
	ns := aead.NonceSize()
	if len(blob) < 1+ns+aead.Overhead() {
		return nil, errors.New("ciphertext too short")
	}
	if blob[0] != version {
		return nil, fmt.Errorf("unknown ciphertext version %d", blob[0])
	}
	plain, err := aead.Open(nil, blob[1:1+ns], blob[1+ns:], aad)
	if err != nil {
		return nil, errors.New("ciphertext does not authenticate")
	}
	return plain, nil
}
