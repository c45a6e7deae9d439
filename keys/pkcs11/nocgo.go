//go:build !cgo

package pkcs11

import (
	"context"

	"github.com/cofferhq/coffer"
)

// Backend is the PKCS#11 key backend; this build has no cgo, so there is
// none to be had.
type Backend struct{}

var _ coffer.KeyBackend = (*Backend)(nil)

var errNoCgo = coffer.Errorf(coffer.EUNAVAILABLE, "pkcs11: this coffer binary was built without cgo (CGO_ENABLED=0); the PKCS#11 backend needs a cgo build")

// New always fails: PKCS#11 needs cgo.
func New(coffer.KeyStore, Config) (*Backend, error) { return nil, errNoCgo }

// Close does nothing.
func (*Backend) Close() error { return nil }

// Name is coffer.BackendPKCS11.
func (*Backend) Name() string { return coffer.BackendPKCS11 }

// CreateKey fails: PKCS#11 needs cgo.
func (*Backend) CreateKey(context.Context) (*coffer.KeyRecord, error) { return nil, errNoCgo }

// SignDigest fails: PKCS#11 needs cgo.
func (*Backend) SignDigest(context.Context, string, [32]byte) ([]byte, error) { return nil, errNoCgo }

// PublicKey fails: PKCS#11 needs cgo.
func (*Backend) PublicKey(context.Context, string) ([]byte, error) { return nil, errNoCgo }
