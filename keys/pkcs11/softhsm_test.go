//go:build cgo

package pkcs11

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The tests run against a throwaway SoftHSM2 token. SoftHSM reads its
// configuration (SOFTHSM2_CONF) once, at C_Initialize, and a PKCS#11 library
// has one state per process, so the whole test binary shares one token
// directory and one token; every test makes its own keys in it.
//
// Without softhsm2 the tests skip, unless CI=true, where they fail: CI
// installs it with `apt-get install -y softhsm2`.

const (
	testTokenLabel = "coffer-test"
	testPIN        = "1234"
	testSOPIN      = "1234"

	// envConf hands an existing token to a child test process.
	envConf = "COFFER_PKCS11_TEST_CONF"
	// envModule overrides where the SoftHSM2 library is looked for.
	envModule = "COFFER_PKCS11_TEST_MODULE"
)

// Where Debian/Ubuntu (softhsm2 package), Fedora and source builds put it.
var softhsmModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

var (
	hsmModule   string // "" when there is no SoftHSM2
	hsmSetupErr error  // why there is none, or why setting it up failed
	hsmMissing  bool   // not installed, as opposed to broken
)

func TestMain(m *testing.M) {
	dir, err := setupSoftHSM()
	if err != nil {
		hsmSetupErr = err
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// setupSoftHSM makes a token directory with one initialised token and points
// SOFTHSM2_CONF at it, or reuses the parent's when running as a child. It
// returns the directory to remove afterwards.
func setupSoftHSM() (string, error) {
	hsmModule = os.Getenv(envModule)
	if hsmModule != "" {
		if _, err := os.Stat(hsmModule); err != nil {
			hsmMissing, hsmModule = true, ""
			return "", fmt.Errorf("%s: %v", envModule, err)
		}
	} else {
		for _, p := range softhsmModules {
			if _, err := os.Stat(p); err == nil {
				hsmModule = p
				break
			}
		}
	}
	if hsmModule == "" {
		hsmMissing = true
		return "", fmt.Errorf("libsofthsm2.so not found (looked in %v; set %s)", softhsmModules, envModule)
	}
	if conf := os.Getenv(envConf); conf != "" {
		os.Setenv("SOFTHSM2_CONF", conf)
		return "", nil
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		hsmMissing = true
		hsmModule = ""
		return "", fmt.Errorf("softhsm2-util not in PATH")
	}
	dir, err := os.MkdirTemp("", "coffer-softhsm-")
	if err != nil {
		return "", err
	}
	tokens := filepath.Join(dir, "tokens")
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		return dir, err
	}
	cfg := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return dir, err
	}
	os.Setenv("SOFTHSM2_CONF", conf)
	os.Setenv(envConf, conf) // for child processes
	out, err := exec.Command(util, "--init-token", "--free", "--label", testTokenLabel,
		"--so-pin", testSOPIN, "--pin", testPIN).CombinedOutput()
	if err != nil {
		hsmModule = ""
		return dir, fmt.Errorf("softhsm2-util --init-token: %v: %s", err, out)
	}
	return dir, nil
}

// testConfig returns the test token's configuration, or skips the test when
// SoftHSM2 is not installed (fails when CI=true).
func testConfig(t testing.TB) Config {
	t.Helper()
	if hsmSetupErr != nil || hsmModule == "" {
		if hsmMissing && os.Getenv("CI") != "true" {
			t.Skipf("SoftHSM2 not available (apt-get install -y softhsm2): %v", hsmSetupErr)
		}
		t.Fatalf("SoftHSM2 test token: %v", hsmSetupErr)
	}
	return Config{Module: hsmModule, TokenLabel: testTokenLabel, PIN: testPIN}
}
