// Package pkcs11 is the key backend that keeps secp256k1 keys inside a
// hardware security module (or any PKCS#11 token, such as SoftHSM2). Keys are
// generated on the token as sensitive, non-extractable objects; coffer's store
// only keeps each key's public key, address and PKCS#11 CKA_ID.
//
// PKCS#11 sessions must not be used by two goroutines at once, so a Backend
// keeps a small pool of logged-in sessions and hands them out one operation
// at a time.
//
// The package needs cgo (it dlopens the vendor's library). Built without
// cgo, New returns an EUNAVAILABLE error saying so, so that binaries that
// do not use an HSM still build with CGO_ENABLED=0.
package pkcs11

import "fmt"

const (
	// DefaultSessions is the size of the session pool when Config.Sessions
	// is not set. It bounds how many signatures are in flight on the token.
	DefaultSessions = 4

	// KeyIDPrefix starts the ID of every key this backend creates.
	KeyIDPrefix = "hk_"
)

// Config says which token to use and how to log in to it.
type Config struct {
	// Module is the path of the vendor's PKCS#11 library, e.g.
	// /usr/lib/softhsm/libsofthsm2.so.
	Module string
	// TokenLabel picks the slot: exactly one present token must carry it.
	TokenLabel string
	// PIN is the CKU_USER PIN. It is never logged or put in errors.
	PIN string
	// Sessions is the size of the session pool; <= 0 means DefaultSessions.
	Sessions int
}

// String describes c without its PIN, so that logging a Config is safe.
func (c Config) String() string {
	pin := "unset"
	if c.PIN != "" {
		pin = "redacted"
	}
	return fmt.Sprintf("pkcs11.Config{Module: %q, TokenLabel: %q, PIN: %s, Sessions: %d}", c.Module, c.TokenLabel, pin, c.Sessions)
}

// GoString is String, so %#v does not print the PIN either.
func (c Config) GoString() string { return c.String() }
