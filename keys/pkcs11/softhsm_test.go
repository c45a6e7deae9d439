//go:build cgo

package pkcs11

import (
	"testing"

	"github.com/cofferhq/coffer/internal/testenv"
)

// The tests run against the test binary's SoftHSM2 token (testenv.SoftHSM);
// every test makes its own keys in it. Without softhsm2 they skip, unless
// CI=true, where they fail.

func TestMain(m *testing.M) { testenv.Main(m) }

// testConfig returns the test token's configuration.
func testConfig(t testing.TB) Config {
	t.Helper()
	module, label, pin := testenv.SoftHSM(t)
	return Config{Module: module, TokenLabel: label, PIN: pin}
}
