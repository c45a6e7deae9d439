//go:build cgo

package pkcs11

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys"
	p11 "github.com/miekg/pkcs11"
)

const (
	// maxCachedHandles bounds each session's key-handle cache and
	// maxCachedPubs the public-key cache; when full they start over.
	maxCachedHandles = 20_000
	maxCachedPubs    = 100_000
)

// secp256k1OID is the DER encoding of the secp256k1 curve's OID
// (1.3.132.0.10), the value of CKA_EC_PARAMS for its keys.
var secp256k1OID = []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a}

// Backend is the PKCS#11 key backend. It is safe for concurrent use.
type Backend struct {
	ks    coffer.KeyStore
	mod   *module
	slot  uint
	label string
	pin   string

	pool    chan *session
	size    int
	done    chan struct{}
	closeMu sync.Mutex
	closed  bool

	pubMu sync.Mutex
	pubs  map[string][]byte

	noHandleCache bool // for the benchmark that measures what the cache buys
}

var _ coffer.KeyBackend = (*Backend)(nil)

// session is one PKCS#11 session of the pool. h is zero when the session is
// broken (or was never opened) and must be reopened before use. keys caches
// private-key object handles: a handle is only guaranteed to stay valid for
// the session that found it.
type session struct {
	h    p11.SessionHandle
	open bool
	keys map[string]p11.ObjectHandle
}

// New loads cfg.Module, finds the token labelled cfg.TokenLabel and logs a
// pool of sessions in to it as CKU_USER. Records go to ks. Close releases
// the sessions and, when no other Backend uses the module, finalises it.
func New(ks coffer.KeyStore, cfg Config) (*Backend, error) {
	if ks == nil {
		return nil, coffer.Errorf(coffer.EINVALID, "pkcs11: no key store")
	}
	if cfg.Module == "" || cfg.TokenLabel == "" {
		return nil, coffer.Errorf(coffer.EINVALID, "pkcs11: module path and token label are required")
	}
	if cfg.PIN == "" {
		return nil, coffer.Errorf(coffer.EINVALID, "pkcs11: no user PIN configured for token %q", cfg.TokenLabel)
	}
	n := cfg.Sessions
	if n <= 0 {
		n = DefaultSessions
	}
	mod, err := openModule(cfg.Module)
	if err != nil {
		return nil, err
	}
	b := &Backend{
		ks:    ks,
		mod:   mod,
		label: cfg.TokenLabel,
		pin:   cfg.PIN,
		pool:  make(chan *session, n),
		size:  n,
		done:  make(chan struct{}),
		pubs:  make(map[string][]byte),
	}
	if b.slot, err = findSlot(mod.ctx, cfg.TokenLabel); err != nil {
		mod.release()
		return nil, err
	}
	if err := mod.claimSlot(b.slot, cfg.PIN, cfg.TokenLabel); err != nil {
		mod.release()
		return nil, err
	}
	// Open every session now so that a wrong PIN or a full token fails
	// New rather than the first signature.
	for i := 0; i < n; i++ {
		s := &session{}
		if err := b.openSession(s); err != nil {
			for j := 0; j < i; j++ {
				mod.ctx.CloseSession((<-b.pool).h)
			}
			mod.releaseSlot(b.slot)
			mod.release()
			return nil, err
		}
		b.pool <- s
	}
	return b, nil
}

func findSlot(ctx *p11.Ctx, label string) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, hsmError(err, "list slots")
	}
	var found []uint
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err != nil {
			continue // a token that went away between the calls
		}
		// Labels are blank-padded to 32 bytes; some tokens pad with NULs.
		if strings.TrimRight(ti.Label, " \x00") == label {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return 0, coffer.Errorf(coffer.EUNAVAILABLE, "pkcs11: no token labelled %q (%d tokens present)", label, len(slots))
	case 1:
		return found[0], nil
	default:
		return 0, coffer.Errorf(coffer.EUNAVAILABLE, "pkcs11: %d tokens are labelled %q; labels must be unique", len(found), label)
	}
}

// openSession (re)opens s and logs it in. Login state is per application and
// token, so every session after the first sees CKR_USER_ALREADY_LOGGED_IN.
func (b *Backend) openSession(s *session) error {
	if s.open {
		b.mod.ctx.CloseSession(s.h) // best effort: it is broken anyway
		s.open = false
	}
	s.keys = nil
	h, err := b.mod.ctx.OpenSession(b.slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
	if err != nil {
		return hsmError(err, "open session on token %q", b.label)
	}
	if err := b.mod.ctx.Login(h, p11.CKU_USER, b.pin); err != nil && !isCode(err, p11.CKR_USER_ALREADY_LOGGED_IN) {
		b.mod.ctx.CloseSession(h)
		return hsmError(err, "log in to token %q", b.label)
	}
	s.h, s.open = h, true
	s.keys = make(map[string]p11.ObjectHandle)
	return nil
}

// acquire takes a session from the pool, waiting for one if all are busy,
// and reopens it if an earlier operation found it broken.
func (b *Backend) acquire(ctx context.Context) (*session, error) {
	select {
	case <-b.done:
		return nil, errClosed
	default:
	}
	select {
	case s := <-b.pool:
		select {
		case <-b.done:
			b.pool <- s
			return nil, errClosed
		default:
		}
		if !s.open {
			if err := b.openSession(s); err != nil {
				b.pool <- s
				return nil, err
			}
		}
		return s, nil
	case <-b.done:
		return nil, errClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("pkcs11: waiting for a session: %w", ctx.Err())
	}
}

// release returns s to the pool. If err says the session or the login is
// gone, s is marked broken and reopened by the next acquire.
func (b *Backend) release(s *session, err error) {
	if sessionBroken(err) {
		b.mod.ctx.CloseSession(s.h)
		s.open = false
		s.keys = nil
	}
	b.pool <- s
}

var errClosed = coffer.Errorf(coffer.EUNAVAILABLE, "pkcs11: backend is closed")

// Close waits for operations in flight, closes the pool's sessions and
// releases the module (finalising it when no other Backend uses it). It is
// safe to call more than once.
func (b *Backend) Close() error {
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	close(b.done)
	for i := 0; i < b.size; i++ {
		s := <-b.pool
		if s.open {
			b.mod.ctx.CloseSession(s.h)
			s.open = false
		}
	}
	// Closing the application's last session on the token also logs it
	// out; C_Logout or C_CloseAllSessions here would pull the rug from
	// under other Backends on the same token.
	b.mod.releaseSlot(b.slot)
	return b.mod.release()
}

// Name is coffer.BackendPKCS11.
func (b *Backend) Name() string { return coffer.BackendPKCS11 }

// CreateKey generates a secp256k1 key pair on the token — the private half
// sensitive, non-extractable and only good for signing — and stores its
// record. If the record cannot be stored the objects are destroyed again.
func (b *Backend) CreateKey(ctx context.Context) (*coffer.KeyRecord, error) {
	id, err := newKeyID()
	if err != nil {
		return nil, err
	}
	s, err := b.acquire(ctx)
	if err != nil {
		return nil, err
	}
	pub, err := b.generate(s, id)
	if err != nil {
		b.release(s, err)
		return nil, err
	}
	b.release(s, nil)

	addr, err := keys.PubkeyAddress(pub)
	if err == nil {
		rec := &coffer.KeyRecord{
			ID:        id,
			Backend:   coffer.BackendPKCS11,
			Address:   addr,
			PublicKey: pub,
			Material:  []byte(id), // the CKA_ID: a reference, nothing secret
			CreatedAt: time.Now().UTC(),
		}
		if err = b.ks.PutKey(ctx, rec); err == nil {
			b.cachePub(id, pub)
			return rec, nil
		}
		err = fmt.Errorf("pkcs11: store key %s: %w", id, err)
	} else {
		err = coffer.WrapError(coffer.EUNAVAILABLE, err, "pkcs11: token %q returned an unusable public key", b.label)
	}
	b.destroy(context.WithoutCancel(ctx), id)
	return nil, err
}

func (b *Backend) generate(s *session, id string) ([]byte, error) {
	c := b.mod.ctx
	pubT := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PUBLIC_KEY),
		p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_EC),
		p11.NewAttribute(p11.CKA_EC_PARAMS, secp256k1OID),
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_PRIVATE, false),
		p11.NewAttribute(p11.CKA_VERIFY, true),
		p11.NewAttribute(p11.CKA_LABEL, id),
		p11.NewAttribute(p11.CKA_ID, []byte(id)),
	}
	privT := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY),
		p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_EC),
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_PRIVATE, true),
		p11.NewAttribute(p11.CKA_SENSITIVE, true),
		p11.NewAttribute(p11.CKA_EXTRACTABLE, false),
		p11.NewAttribute(p11.CKA_SIGN, true),
		p11.NewAttribute(p11.CKA_DERIVE, false),
		p11.NewAttribute(p11.CKA_DECRYPT, false),
		p11.NewAttribute(p11.CKA_UNWRAP, false),
		p11.NewAttribute(p11.CKA_LABEL, id),
		p11.NewAttribute(p11.CKA_ID, []byte(id)),
	}
	mech := []*p11.Mechanism{p11.NewMechanism(p11.CKM_EC_KEY_PAIR_GEN, nil)}
	pubH, privH, err := c.GenerateKeyPair(s.h, mech, pubT, privT)
	if err != nil {
		return nil, hsmError(err, "generate secp256k1 key pair on token %q", b.label)
	}
	var pub []byte
	attrs, err := c.GetAttributeValue(s.h, pubH, []*p11.Attribute{p11.NewAttribute(p11.CKA_EC_POINT, nil)})
	if err == nil && len(attrs) == 1 {
		pub, err = parseECPoint(attrs[0].Value)
		if err != nil {
			err = coffer.WrapError(coffer.EUNAVAILABLE, err, "pkcs11: token %q: CKA_EC_POINT of new key", b.label)
		}
	} else {
		err = hsmError(err, "read public key of new key")
	}
	if err != nil {
		c.DestroyObject(s.h, privH)
		c.DestroyObject(s.h, pubH)
		return nil, err
	}
	s.keys[id] = privH
	return pub, nil
}

// destroy removes the objects of a key whose record could not be stored, so
// that the token does not collect keys nothing refers to. They are found
// again by CKA_ID because object handles are only guaranteed in the session
// that made them. Failures are ignored: an orphan costs token space, not
// safety.
func (b *Backend) destroy(ctx context.Context, id string) {
	s, err := b.acquire(ctx)
	if err != nil {
		return
	}
	c := b.mod.ctx
	var hs []p11.ObjectHandle
	if err = c.FindObjectsInit(s.h, []*p11.Attribute{p11.NewAttribute(p11.CKA_ID, []byte(id))}); err == nil {
		hs, _, err = c.FindObjects(s.h, 4)
		if ferr := c.FindObjectsFinal(s.h); err == nil {
			err = ferr
		}
	}
	for _, h := range hs {
		if derr := c.DestroyObject(s.h, h); err == nil {
			err = derr
		}
	}
	delete(s.keys, id)
	b.release(s, err)
}

// PublicKey returns the 65-byte uncompressed public key of keyID from the
// store (cached); it needs no token operation.
func (b *Backend) PublicKey(ctx context.Context, keyID string) ([]byte, error) {
	pub, err := b.publicKey(ctx, keyID)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(pub), nil
}

func (b *Backend) publicKey(ctx context.Context, keyID string) ([]byte, error) {
	b.pubMu.Lock()
	pub, ok := b.pubs[keyID]
	b.pubMu.Unlock()
	if ok {
		return pub, nil
	}
	rec, err := b.ks.Key(ctx, keyID)
	if err != nil {
		if coffer.IsNotFound(err) {
			return nil, coffer.Errorf(coffer.ENOTFOUND, "key %q not found", keyID)
		}
		return nil, fmt.Errorf("pkcs11: load key %s: %w", keyID, err)
	}
	if rec.Backend != coffer.BackendPKCS11 {
		return nil, coffer.Errorf(coffer.ENOTFOUND, "key %q is not a pkcs11 key", keyID)
	}
	addr, err := keys.PubkeyAddress(rec.PublicKey)
	if err != nil || addr != rec.Address {
		return nil, fmt.Errorf("pkcs11: key %s: stored public key does not match its address", keyID)
	}
	pub = bytes.Clone(rec.PublicKey)
	b.cachePub(keyID, pub)
	return pub, nil
}

func (b *Backend) cachePub(id string, pub []byte) {
	b.pubMu.Lock()
	defer b.pubMu.Unlock()
	if len(b.pubs) >= maxCachedPubs {
		clear(b.pubs)
	}
	b.pubs[id] = pub
}

// SignDigest signs digest on the token with CKM_ECDSA and returns the
// canonical 65-byte [R || S || V] signature, checked to recover to keyID.
func (b *Backend) SignDigest(ctx context.Context, keyID string, digest [32]byte) ([]byte, error) {
	pub, err := b.publicKey(ctx, keyID)
	if err != nil {
		return nil, err
	}
	var raw []byte
	// A session the token has dropped (closed, logged out, device reset)
	// is marked broken, reopened by the next acquire and the signature
	// tried again, up to once per pooled session (a reset drops them
	// all): signing changes nothing on the token, so retries are harmless.
	for attempt := 0; ; attempt++ {
		s, err := b.acquire(ctx)
		if err != nil {
			return nil, err
		}
		raw, err = b.sign(s, keyID, digest)
		b.release(s, err)
		if err == nil {
			break
		}
		if attempt >= b.size || !sessionBroken(err) {
			return nil, err
		}
	}
	if len(raw) != 64 {
		return nil, coffer.Errorf(coffer.EUNAVAILABLE, "pkcs11: token %q returned a %d-byte ECDSA signature, want 64 (r || s)", b.label, len(raw))
	}
	r, sv := new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])
	sig, err := keys.FromRS(digest, r, sv, pub)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: key %s: self-check failed: %w", keyID, err)
	}
	return sig, nil
}

// sign runs C_SignInit/C_Sign with the key's object handle, found by CKA_ID
// and cached per session. A cached handle the token rejects is looked up
// once more.
func (b *Backend) sign(s *session, keyID string, digest [32]byte) ([]byte, error) {
	mech := []*p11.Mechanism{p11.NewMechanism(p11.CKM_ECDSA, nil)}
	for attempt := 0; ; attempt++ {
		h, cached, err := b.keyHandle(s, keyID)
		if err != nil {
			return nil, err
		}
		err = b.mod.ctx.SignInit(s.h, mech, h)
		if err == nil {
			var sig []byte
			// C_Sign ends the operation whether it succeeds or not
			// (short of CKR_BUFFER_TOO_SMALL, which the wrapper
			// avoids by asking for the length first).
			sig, err = b.mod.ctx.Sign(s.h, digest[:])
			if err == nil {
				return sig, nil
			}
		}
		if cached && attempt == 0 && (isCode(err, p11.CKR_KEY_HANDLE_INVALID) || isCode(err, p11.CKR_OBJECT_HANDLE_INVALID)) {
			delete(s.keys, keyID)
			continue
		}
		return nil, hsmError(err, "sign with key %s", keyID)
	}
}

func (b *Backend) keyHandle(s *session, keyID string) (h p11.ObjectHandle, cached bool, err error) {
	if h, ok := s.keys[keyID]; ok && !b.noHandleCache {
		return h, true, nil
	}
	h, err = b.findPrivateKey(s, keyID)
	if err != nil {
		return 0, false, err
	}
	if !b.noHandleCache {
		if len(s.keys) >= maxCachedHandles {
			clear(s.keys)
		}
		s.keys[keyID] = h
	}
	return h, false, nil
}

func (b *Backend) findPrivateKey(s *session, keyID string) (p11.ObjectHandle, error) {
	c := b.mod.ctx
	tmpl := []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY),
		p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_EC),
		p11.NewAttribute(p11.CKA_ID, []byte(keyID)),
	}
	if err := c.FindObjectsInit(s.h, tmpl); err != nil {
		return 0, hsmError(err, "find key %s", keyID)
	}
	hs, _, err := c.FindObjects(s.h, 2)
	if ferr := c.FindObjectsFinal(s.h); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		return 0, hsmError(err, "find key %s", keyID)
	}
	switch len(hs) {
	case 0:
		// The store knows the key but the token does not: a wrong
		// token or a deleted object, not a key that never existed.
		return 0, coffer.Errorf(coffer.EUNAVAILABLE, "pkcs11: key %s is not on token %q (wrong token, or the object was deleted)", keyID, b.label)
	case 1:
		return hs[0], nil
	default:
		return 0, coffer.Errorf(coffer.EUNAVAILABLE, "pkcs11: token %q holds more than one private key with CKA_ID %s", b.label, keyID)
	}
}

// parseECPoint returns the uncompressed point in a CKA_EC_POINT value. The
// standard form is the DER OCTET STRING 04 41 || 04 X Y; some tokens return
// the bare 65-byte point. Anything else (compressed points, other lengths,
// non-minimal DER lengths, trailing bytes) is rejected; the point is checked
// to lie on secp256k1 by keys.PubkeyAddress later.
func parseECPoint(v []byte) ([]byte, error) {
	switch {
	case len(v) == 67 && v[0] == 0x04 && v[1] == 0x41 && v[2] == 0x04:
		return bytes.Clone(v[2:]), nil
	case len(v) == 65 && v[0] == 0x04:
		return bytes.Clone(v), nil
	default:
		return nil, fmt.Errorf("CKA_EC_POINT is not an uncompressed secp256k1 point (%d bytes)", len(v))
	}
}

func newKeyID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return KeyIDPrefix + hex.EncodeToString(b[:]), nil
}

// hsmError wraps a PKCS#11 failure as EUNAVAILABLE. The message names the
// operation (and is what API clients see); the cause, kept for errors.As and
// logs, carries the CKR_ code. Neither ever contains the PIN.
func hsmError(err error, format string, args ...any) error {
	if err == nil {
		err = errors.New("no result")
	}
	return coffer.WrapError(coffer.EUNAVAILABLE, err, "pkcs11: "+format, args...)
}

func isCode(err error, code uint) bool {
	var e p11.Error
	return errors.As(err, &e) && uint(e) == code
}

// sessionBroken reports whether err means the session (or its login) is
// gone, so that it has to be reopened before the next use.
func sessionBroken(err error) bool {
	var e p11.Error
	if !errors.As(err, &e) {
		return false
	}
	switch uint(e) {
	case p11.CKR_SESSION_HANDLE_INVALID, p11.CKR_SESSION_CLOSED,
		p11.CKR_USER_NOT_LOGGED_IN, p11.CKR_DEVICE_REMOVED,
		p11.CKR_TOKEN_NOT_PRESENT, p11.CKR_DEVICE_ERROR,
		p11.CKR_OPERATION_ACTIVE, p11.CKR_CRYPTOKI_NOT_INITIALIZED:
		return true
	}
	return false
}
