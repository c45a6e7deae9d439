// Package local is the key backend that keeps secp256k1 keys in coffer's own
// store, envelope-encrypted: each private key is sealed with AES-256-GCM under
// its own random data key, and the data key is wrapped by a master key that
// never touches the database.
package local

import (
	"bytes"
	"container/list"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

const (
	materialVersion = 1
	// DefaultCacheSize is how many decrypted keys a Backend keeps by default:
	// roughly 0.5 KiB each, so about 25 MiB when full.
	DefaultCacheSize = 50_000
)

// Backend is the local key backend. It is safe for concurrent use.
type Backend struct {
	ks     coffer.KeyStore
	master MasterKey
	cache  *lru
}

var _ coffer.KeyBackend = (*Backend)(nil)

// Option configures a Backend.
type Option func(*Backend)

// WithCacheSize bounds how many decrypted keys stay in memory (least recently
// used go first). n <= 0 keeps the default.
func WithCacheSize(n int) Option {
	return func(b *Backend) {
		if n > 0 {
			b.cache = newLRU(n)
		}
	}
}

// New returns a backend that persists records in ks and wraps data keys with
// master.
func New(ks coffer.KeyStore, master MasterKey, opts ...Option) *Backend {
	b := &Backend{ks: ks, master: master, cache: newLRU(DefaultCacheSize)}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Name is coffer.BackendLocal.
func (b *Backend) Name() string { return coffer.BackendLocal }

// CreateKey generates a key, stores its sealed record and returns the record.
func (b *Backend) CreateKey(ctx context.Context) (*coffer.KeyRecord, error) {
	priv, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("local keys: generate: %w", err)
	}
	return b.put(ctx, priv)
}

// ImportKey seals an existing secp256k1 key into the store. The caller owns
// priv and should drop it afterwards; uniqueness of the address across
// wallets is the caller's business.
func (b *Backend) ImportKey(ctx context.Context, priv *ecdsa.PrivateKey) (*coffer.KeyRecord, error) {
	if priv == nil || priv.D == nil {
		return nil, coffer.Errorf(coffer.EINVALID, "no private key")
	}
	d := crypto.FromECDSA(priv)
	defer clear(d)
	// Re-deriving from the scalar rejects keys of other curves and
	// out-of-range scalars, whatever priv claims to be.
	k, err := crypto.ToECDSA(d)
	if err != nil || priv.X == nil || priv.Y == nil || k.X.Cmp(priv.X) != 0 || k.Y.Cmp(priv.Y) != 0 {
		return nil, coffer.Errorf(coffer.EINVALID, "not a valid secp256k1 private key")
	}
	return b.put(ctx, k)
}

func (b *Backend) put(ctx context.Context, priv *ecdsa.PrivateKey) (*coffer.KeyRecord, error) {
	id, err := newKeyID()
	if err != nil {
		return nil, err
	}
	addr := crypto.PubkeyToAddress(priv.PublicKey)
	dataKey := make([]byte, 32)
	defer clear(dataKey)
	if _, err := rand.Read(dataKey); err != nil {
		return nil, err
	}
	plain := crypto.FromECDSA(priv)
	material, err := sealKey(dataKey, plain, id, addr)
	clear(plain)
	if err != nil {
		return nil, err
	}
	wrapped, err := b.master.Wrap(ctx, dataKey)
	if err != nil {
		return nil, fmt.Errorf("local keys: wrap data key: %w", err)
	}
	rec := &coffer.KeyRecord{
		ID:         id,
		Backend:    coffer.BackendLocal,
		Address:    addr,
		PublicKey:  crypto.FromECDSAPub(&priv.PublicKey),
		Material:   material,
		WrappedKey: wrapped,
		MasterID:   b.master.ID(),
		CreatedAt:  time.Now().UTC(),
	}
	if err := b.ks.PutKey(ctx, rec); err != nil {
		return nil, err
	}
	b.cache.add(id, newEntry(priv, rec.PublicKey))
	return rec, nil
}

// PublicKey returns the 65-byte uncompressed public key of keyID. It needs no
// secret, so it works even when the master key is wrong.
func (b *Backend) PublicKey(ctx context.Context, keyID string) ([]byte, error) {
	if e := b.cache.get(keyID); e != nil {
		return bytes.Clone(e.pub), nil
	}
	rec, err := b.record(ctx, keyID)
	if err != nil {
		return nil, err
	}
	addr, err := keys.PubkeyAddress(rec.PublicKey)
	if err != nil || addr != rec.Address {
		return nil, fmt.Errorf("local keys: key %s: stored public key does not match its address", keyID)
	}
	return bytes.Clone(rec.PublicKey), nil
}

// SignDigest signs digest with keyID using libsecp256k1 and proves that the
// signature is canonical and recovers to the key before returning it
// (keys.SignOwn, which uses the signature's nonce and the private key to
// prove it at about half the cost of recovering).
func (b *Backend) SignDigest(ctx context.Context, keyID string, digest [32]byte) ([]byte, error) {
	e, err := b.load(ctx, keyID)
	if err != nil {
		return nil, err
	}
	sig, err := keys.SignOwn(digest, &e.seckey, e.pub)
	if err != nil {
		return nil, fmt.Errorf("local keys: key %s: %w", keyID, err)
	}
	return sig, nil
}

// Purge drops every decrypted key from memory.
func (b *Backend) Purge() { b.cache.purge() }

func (b *Backend) record(ctx context.Context, keyID string) (*coffer.KeyRecord, error) {
	rec, err := b.ks.Key(ctx, keyID)
	if err != nil {
		if coffer.IsNotFound(err) {
			return nil, coffer.Errorf(coffer.ENOTFOUND, "key %q not found", keyID)
		}
		return nil, fmt.Errorf("local keys: load key %s: %w", keyID, err)
	}
	if rec.Backend != coffer.BackendLocal {
		return nil, coffer.Errorf(coffer.ENOTFOUND, "key %q is not a local key", keyID)
	}
	return rec, nil
}

func (b *Backend) load(ctx context.Context, keyID string) (*entry, error) {
	if e := b.cache.get(keyID); e != nil {
		return e, nil
	}
	rec, err := b.record(ctx, keyID)
	if err != nil {
		return nil, err
	}
	priv, err := openRecord(ctx, b.master, rec)
	if err != nil {
		return nil, err
	}
	e := newEntry(priv, bytes.Clone(rec.PublicKey))
	b.cache.add(keyID, e)
	return e, nil
}

// openRecord unwraps rec's data key with master and decrypts its private key,
// checking it against the record's address and public key. Errors name the
// key and the step, never any key bytes.
func openRecord(ctx context.Context, master MasterKey, rec *coffer.KeyRecord) (*ecdsa.PrivateKey, error) {
	if rec.MasterID != master.ID() {
		return nil, fmt.Errorf("%w: key %s needs master %s, have %s", ErrWrongMaster, rec.ID, rec.MasterID, master.ID())
	}
	dataKey, err := master.Unwrap(ctx, rec.WrappedKey)
	if err != nil {
		return nil, fmt.Errorf("local keys: key %s: %w", rec.ID, err)
	}
	defer clear(dataKey)
	return openKey(dataKey, rec)
}

func openKey(dataKey []byte, rec *coffer.KeyRecord) (*ecdsa.PrivateKey, error) {
	aead, err := newAEAD(dataKey)
	if err != nil {
		return nil, fmt.Errorf("local keys: key %s: %w", rec.ID, err)
	}
	plain, err := open(aead, materialVersion, rec.Material, materialAAD(rec.ID, rec.Address))
	if err != nil {
		return nil, fmt.Errorf("local keys: key %s: decrypt private key (record tampered or swapped?): %w", rec.ID, err)
	}
	defer clear(plain)
	priv, err := crypto.ToECDSA(plain)
	if err != nil {
		return nil, fmt.Errorf("local keys: key %s: decrypted private key is invalid", rec.ID)
	}
	if crypto.PubkeyToAddress(priv.PublicKey) != rec.Address || !bytes.Equal(crypto.FromECDSAPub(&priv.PublicKey), rec.PublicKey) {
		return nil, fmt.Errorf("local keys: key %s: decrypted private key does not match the record's address", rec.ID)
	}
	return priv, nil
}

func sealKey(dataKey, plain []byte, id string, addr common.Address) ([]byte, error) {
	aead, err := newAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	return seal(aead, materialVersion, plain, materialAAD(id, addr)), nil
}

// materialAAD binds a ciphertext to its record: moved to another record it no
// longer authenticates, even if the data key were moved along with it.
func materialAAD(id string, addr common.Address) []byte {
	aad := make([]byte, 0, 64+len(id))
	aad = append(aad, "coffer/keys/local/private-key/v1\x00"...)
	aad = append(aad, id...)
	aad = append(aad, 0)
	return append(aad, addr[:]...)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("data key is not 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func newKeyID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "lk_" + hex.EncodeToString(b[:]), nil
}

// RewrapAll re-wraps the data key of every local key that old wrapped so that
// only next is needed from then on; keys already under next are skipped, so an
// interrupted run can simply be repeated. Each record is checked to decrypt
// before its wrapping is replaced. It returns how many records it changed.
func RewrapAll(ctx context.Context, ks coffer.KeyStore, old, next MasterKey) (n int, err error) {
	if old.ID() == next.ID() {
		return 0, errors.New("local keys: old and new master keys are the same")
	}
	recs, err := ks.Keys(ctx, coffer.BackendLocal)
	if err != nil {
		return 0, fmt.Errorf("local keys: list keys: %w", err)
	}
	for _, rec := range recs {
		if rec.MasterID == next.ID() {
			continue
		}
		if err := rewrap(ctx, ks, rec, old, next); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func rewrap(ctx context.Context, ks coffer.KeyStore, rec *coffer.KeyRecord, old, next MasterKey) error {
	if rec.MasterID != old.ID() {
		return fmt.Errorf("%w: key %s needs master %s, have %s", ErrWrongMaster, rec.ID, rec.MasterID, old.ID())
	}
	dataKey, err := old.Unwrap(ctx, rec.WrappedKey)
	if err != nil {
		return fmt.Errorf("local keys: key %s: %w", rec.ID, err)
	}
	defer clear(dataKey)
	if _, err := openKey(dataKey, rec); err != nil {
		return err
	}
	wrapped, err := next.Wrap(ctx, dataKey)
	if err != nil {
		return fmt.Errorf("local keys: key %s: wrap with new master: %w", rec.ID, err)
	}
	// Unwrap once more so a faulty new master is caught before the old
	// wrapping is gone.
	back, err := next.Unwrap(ctx, wrapped)
	if err != nil || !bytes.Equal(back, dataKey) {
		return fmt.Errorf("local keys: key %s: new master does not unwrap what it wrapped", rec.ID)
	}
	clear(back)
	if err := ks.UpdateKeyWrapping(ctx, rec.ID, wrapped, next.ID()); err != nil {
		return fmt.Errorf("local keys: key %s: store new wrapping: %w", rec.ID, err)
	}
	return nil
}

// entry is a decrypted key. Cached private keys are not zeroed on eviction:
// a concurrent SignDigest may still hold the entry, and big.Int offers no
// reliable wipe anyway.
type entry struct {
	priv   *ecdsa.PrivateKey
	seckey [32]byte // priv's scalar, for keys.SignOwn
	pub    []byte   // uncompressed; priv's public key, checked when decrypted
}

func newEntry(priv *ecdsa.PrivateKey, pub []byte) *entry {
	e := &entry{priv: priv, pub: pub}
	priv.D.FillBytes(e.seckey[:])
	return e
}

// lru is a mutex-guarded least-recently-used cache. The lock is held only for
// a map lookup and a list move, small next to a ~30µs signature.
type lru struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type lruItem struct {
	id string
	e  *entry
}

func newLRU(max int) *lru {
	return &lru{max: max, ll: list.New(), items: make(map[string]*list.Element)}
}

func (c *lru) get(id string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[id]
	if !ok {
		return nil
	}
	c.ll.MoveToFront(el)
	return el.Value.(*lruItem).e
}

func (c *lru) add(id string, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		el.Value.(*lruItem).e = e
		c.ll.MoveToFront(el)
		return
	}
	c.items[id] = c.ll.PushFront(&lruItem{id: id, e: e})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*lruItem).id)
	}
}

func (c *lru) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll.Init()
	clear(c.items)
}
