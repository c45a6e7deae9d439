//go:build cgo

package keys

import "testing"

// With cgo the shortcut must really be in use, or the tests above compare
// recovery with itself.
func TestOwnCheckAvailable(t *testing.T) {
	if !ownCheckAvailable {
		t.Fatal("libsecp256k1's context could not be made; CheckOwnSignature falls back to recovery")
	}
}
