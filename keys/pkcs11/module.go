//go:build cgo

package pkcs11

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"sync"

	"github.com/cofferhq/coffer"
	p11 "github.com/miekg/pkcs11"
)

// A PKCS#11 library has one state per process: loading it twice yields the
// same library, C_Initialize a second time fails with
// CKR_CRYPTOKI_ALREADY_INITIALIZED and C_Finalize ends it for everyone. So
// Backends share one initialised module per library and the last one to
// close finalises it.
var (
	modulesMu sync.Mutex
	modules   = map[string]*module{}
)

type module struct {
	path string
	ctx  *p11.Ctx
	refs int
	// pins holds, per slot, a digest of the PIN the Backends on it logged
	// in with. Login state is per process and token: once one Backend is
	// logged in, C_Login answers CKR_USER_ALREADY_LOGGED_IN without
	// looking at the PIN, so a second Backend with a wrong PIN would
	// otherwise be let in. Guarded by modulesMu.
	pins map[uint]*pinRef
}

type pinRef struct {
	digest [32]byte
	refs   int
}

// pinSalt keys the PIN digests so that they are useless outside this process.
var pinSalt = func() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("pkcs11: crypto/rand failed: " + err.Error())
	}
	return b
}()

func pinDigest(pin string) (d [32]byte) {
	m := hmac.New(sha256.New, pinSalt)
	m.Write([]byte(pin))
	copy(d[:], m.Sum(nil))
	return d
}

// claimSlot records that a Backend uses slot with pin, refusing a PIN other
// than the one the process is already logged in with.
func (m *module) claimSlot(slot uint, pin, label string) error {
	modulesMu.Lock()
	defer modulesMu.Unlock()
	d := pinDigest(pin)
	if r := m.pins[slot]; r != nil {
		if !hmac.Equal(r.digest[:], d[:]) {
			return coffer.Errorf(coffer.EUNAVAILABLE, "pkcs11: token %q is already in use in this process with a different PIN", label)
		}
		r.refs++
		return nil
	}
	if m.pins == nil {
		m.pins = make(map[uint]*pinRef)
	}
	m.pins[slot] = &pinRef{digest: d, refs: 1}
	return nil
}

func (m *module) releaseSlot(slot uint) {
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if r := m.pins[slot]; r != nil {
		if r.refs--; r.refs == 0 {
			delete(m.pins, slot)
		}
	}
}

func openModule(path string) (*module, error) {
	key := path
	if p, err := filepath.EvalSymlinks(path); err == nil {
		key = p
	}
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if m := modules[key]; m != nil {
		m.refs++
		return m, nil
	}
	ctx := p11.New(path)
	if ctx == nil {
		return nil, coffer.Errorf(coffer.EUNAVAILABLE, "pkcs11: cannot load module %s", path)
	}
	// The default flags (CKF_OS_LOCKING_OK) let the library use its own
	// locks; sessions still get one goroutine at a time.
	if err := ctx.Initialize(); err != nil {
		var e p11.Error
		if !errors.As(err, &e) || uint(e) != p11.CKR_CRYPTOKI_ALREADY_INITIALIZED {
			ctx.Destroy()
			return nil, hsmError(err, "initialise module %s", path)
		}
		// Someone else in the process (not a Backend) initialised it;
		// share it and leave finalising to them.
		m := &module{path: key, ctx: ctx, refs: 1 << 30}
		modules[key] = m
		return m, nil
	}
	m := &module{path: key, ctx: ctx, refs: 1}
	modules[key] = m
	return m, nil
}

// release drops one reference; the last one finalises and unloads the module.
func (m *module) release() error {
	modulesMu.Lock()
	defer modulesMu.Unlock()
	m.refs--
	if m.refs > 0 {
		return nil
	}
	delete(modules, m.path)
	err := m.ctx.Finalize()
	m.ctx.Destroy()
	if err != nil {
		return hsmError(err, "finalise module %s", m.path)
	}
	return nil
}
