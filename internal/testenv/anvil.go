package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Anvil's well-known dev account 0 (from its default mnemonic "test test …
// junk"), prefunded with 10000 ETH on every anvil chain.
const (
	AnvilKey0  = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
	AnvilAddr0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
)

// Anvil runs anvil (automine) for chainID on a free loopback port and returns
// its HTTP URL once it answers eth_chainId. It is stopped when the test ends;
// if the test failed, the end of its output is logged.
func Anvil(t testing.TB, chainID uint64) string {
	t.Helper()
	bin := AnvilBinary(t)
	host, port, _ := net.SplitHostPort(FreeAddr(t))
	logPath := filepath.Join(t.TempDir(), "anvil.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--host", host, "--port", port, "--chain-id", fmt.Sprint(chainID))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start anvil: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			LogTail(t, "anvil", logPath, 40)
		}
	})
	url := "http://" + net.JoinHostPort(host, port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			LogTail(t, "anvil", logPath, 40)
			t.Fatalf("anvil exited: %v", err)
		default:
		}
		err := chainIDAnswers(url)
		if err == nil {
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("anvil did not answer at %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// chainIDAnswers asks url for eth_chainId.
func chainIDAnswers(url string) error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Post(url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}`))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Result string          `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("HTTP %d: %v", resp.StatusCode, err)
	}
	if out.Result == "" {
		return fmt.Errorf("HTTP %d: no chain id: %s", resp.StatusCode, bytes.TrimSpace(out.Error))
	}
	return nil
}

// AnvilBinary finds anvil 1.7.1: COFFER_TEST_ANVIL, PATH,
// ~/.cache/coffer-ci (where CI installs it), ~/.foundry. CI runs
//
//	npm install --no-audit --no-fund --prefix "$HOME/.cache/coffer-ci" @foundry-rs/anvil@1.7.1
//	export COFFER_TEST_ANVIL=$(readlink -f "$HOME/.cache/coffer-ci/node_modules/.bin/anvil")
//
// (see .ci/run). Without it the test skips locally and fails when CI=true.
func AnvilBinary(t testing.TB) string {
	t.Helper()
	var candidates []string
	if p := os.Getenv("COFFER_TEST_ANVIL"); p != "" {
		candidates = append(candidates, p)
	}
	if p, err := exec.LookPath("anvil"); err == nil {
		candidates = append(candidates, p)
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates,
			filepath.Join(home, ".cache", "coffer-ci", "node_modules", ".bin", "anvil"),
			filepath.Join(home, ".foundry", "bin", "anvil"))
	}
	for _, c := range candidates {
		if p := nativeAnvil(c); p != "" {
			return p
		}
	}
	Missing(t, "anvil not found; install it: npm install --prefix $HOME/.cache/coffer-ci @foundry-rs/anvil@1.7.1 (or set COFFER_TEST_ANVIL=/path/to/anvil)")
	return ""
}

// nativeAnvil resolves p to the native anvil binary. npm's
// node_modules/.bin/anvil is a symlink to @foundry-rs/anvil/bin.mjs, a node
// wrapper that spawns the platform package's binary; stopping the wrapper
// would orphan the real node, so tests run the binary itself.
func nativeAnvil(p string) string {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return ""
	}
	if strings.HasSuffix(real, ".mjs") {
		pkgs := filepath.Dir(filepath.Dir(real)) // …/node_modules/@foundry-rs
		real = filepath.Join(pkgs, "anvil-"+runtime.GOOS+"-"+runtime.GOARCH, "bin", "anvil")
	}
	if st, err := os.Stat(real); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return ""
	}
	return real
}

// LogTail logs the last lines of the file at path, a process's output.
func LogTail(t testing.TB, name, path string, lines int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	t.Logf("last %d lines of %s (%s):\n%s", len(all), name, path, strings.Join(all, "\n"))
}
