package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The SoftHSM2 token of a test process. SoftHSM reads its configuration
// (SOFTHSM2_CONF) once, at C_Initialize, and a PKCS#11 library has one state
// per process, so a test binary has one token directory and one token; every
// test makes its own keys in it.
const (
	softhsmLabel = "coffer-test"
	softhsmPIN   = "1234"
	softhsmSOPIN = "1234"

	// envSoftHSMConf hands the token to a child test process.
	envSoftHSMConf = "COFFER_PKCS11_TEST_CONF"
	// envSoftHSMModule overrides where the SoftHSM2 library is looked for.
	envSoftHSMModule = "COFFER_PKCS11_TEST_MODULE"
)

// Where Debian/Ubuntu (softhsm2 package), Fedora and source builds put it.
var softhsmModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

var softhsm struct {
	once    sync.Once
	module  string
	dir     string // made here, removed by Main
	missing error  // not installed
	err     error  // installed, but the token could not be made
}

// SoftHSM returns the test process's SoftHSM2 token: the module to load, the
// token's label and its user PIN. The first call makes the token in a
// temporary directory and points SOFTHSM2_CONF (and, for child processes,
// COFFER_PKCS11_TEST_CONF) at it; a child process started with that variable
// uses its parent's token. A package that calls SoftHSM runs its tests
// through Main, which removes the directory afterwards.
//
// Without softhsm2 the test skips locally and fails when CI=true; CI
// installs it with `apt-get install -y softhsm2`.
func SoftHSM(t testing.TB) (module, label, pin string) {
	t.Helper()
	softhsm.once.Do(setupSoftHSM)
	if softhsm.missing != nil {
		Missing(t, "SoftHSM2 not available (apt-get install -y softhsm2): %v", softhsm.missing)
	}
	if softhsm.err != nil {
		t.Fatalf("SoftHSM2 test token: %v", softhsm.err)
	}
	return softhsm.module, softhsmLabel, softhsmPIN
}

// Main runs a package's tests (call it from TestMain) and then removes what
// SoftHSM made.
func Main(m *testing.M) {
	code := m.Run()
	if softhsm.dir != "" {
		os.RemoveAll(softhsm.dir)
	}
	os.Exit(code)
}

func setupSoftHSM() {
	s := &softhsm
	if s.module = os.Getenv(envSoftHSMModule); s.module != "" {
		if _, err := os.Stat(s.module); err != nil {
			s.missing = fmt.Errorf("%s: %v", envSoftHSMModule, err)
			return
		}
	} else {
		for _, p := range softhsmModules {
			if _, err := os.Stat(p); err == nil {
				s.module = p
				break
			}
		}
		if s.module == "" {
			s.missing = fmt.Errorf("libsofthsm2.so not found (looked in %v; set %s)", softhsmModules, envSoftHSMModule)
			return
		}
	}
	if conf := os.Getenv(envSoftHSMConf); conf != "" {
		os.Setenv("SOFTHSM2_CONF", conf)
		return
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		s.missing = errors.New("softhsm2-util not in PATH")
		return
	}
	if s.dir, err = os.MkdirTemp("", "coffer-softhsm-"); err != nil {
		s.err = err
		return
	}
	tokens := filepath.Join(s.dir, "tokens")
	conf := filepath.Join(s.dir, "softhsm2.conf")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		s.err = err
		return
	}
	cfg := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		s.err = err
		return
	}
	os.Setenv("SOFTHSM2_CONF", conf)
	os.Setenv(envSoftHSMConf, conf)
	out, err := exec.Command(util, "--init-token", "--free", "--label", softhsmLabel,
		"--so-pin", softhsmSOPIN, "--pin", softhsmPIN).CombinedOutput()
	if err != nil {
		s.err = fmt.Errorf("softhsm2-util --init-token: %v: %s", err, out)
	}
}
