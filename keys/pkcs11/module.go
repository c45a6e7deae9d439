package pkcs11

import (
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
