//go:build !cgo

package pkcs11

import (
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys/keystest"
)

func TestNoCgo(t *testing.T) {
	_, err := New(keystest.NewMemKeyStore(), Config{Module: "/m.so", TokenLabel: "t", PIN: "p"})
	if coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Fatalf("New without cgo: %v", err)
	}
}
