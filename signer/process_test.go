package signer

// Two real processes: `coffer signer` built from this tree, and this test
// acting as the API process through the Client.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/internal/testenv"
)

// cofferBin is the coffer binary built once by TestMain ("" with -short).
var cofferBin string

func TestMain(m *testing.M) {
	flag.Parse()
	code := func() int {
		if testing.Short() {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "coffer-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		cofferBin = filepath.Join(dir, "coffer")
		out, err := exec.Command("go", "build", "-o", cofferBin, "github.com/cofferhq/coffer/cmd/coffer").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go build ./cmd/coffer: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// signerProc is a running `coffer signer`.
type signerProc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

func (p *signerProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// signerEnv is the environment of a signer over dataDir listening on listen.
func signerEnv(dataDir, listen string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COFFER_") {
			env = append(env, kv)
		}
	}
	return append(append(env,
		"COFFER_DATA_DIR="+dataDir,
		"COFFER_SIGNER_LISTEN="+listen,
		"COFFER_MASTER_KEY="+strings.Repeat("5a", 32),
		"COFFER_LOG_LEVEL=debug",
	), extra...)
}

// startSignerProc starts `coffer signer` and waits until dial(addr) connects.
func startSignerProc(t *testing.T, env []string, network, addr string) *signerProc {
	t.Helper()
	if cofferBin == "" {
		t.Skip("two-process tests need the coffer binary (not built with -short)")
	}
	p := &signerProc{cmd: exec.Command(cofferBin, "signer"), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("coffer signer exited: %s", p.out.String())
		default:
		}
		if c, err := net.DialTimeout(network, addr, time.Second); err == nil {
			c.Close()
			// The log line travels through a pipe and os/exec's copying
			// goroutine, so it may arrive a moment after the socket accepts.
			said := time.Now().Add(5 * time.Second)
			for !strings.Contains(p.out.String(), "coffer signer listening") {
				if time.Now().After(said) {
					t.Fatalf("listening without saying so: %s", p.out.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("coffer signer did not listen on %s: %s", addr, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sgnp") // Unix socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// TestSignerProcessUnix: sign everything through a real signer process on
// a Unix socket; kill it → 503 naming the socket and the cause; restart it
// → the same client signs again, by itself.
func TestSignerProcessUnix(t *testing.T) {
	dir := shortTempDir(t)
	sock := filepath.Join(dir, "signer.sock")
	env := signerEnv(filepath.Join(dir, "data"), "unix://"+sock)
	p := startSignerProc(t, env, "unix", sock)
	c, err := NewClient(ClientConfig{Remote: "unix://" + sock, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := coffer.WithRequestID(context.Background(), "req-proc")
	checkRemoteCustody(t, ctx, c)

	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v %v, want mode 0600", fi, err)
	}
	w, err := c.UserWallet(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("are you there?")
	sign := func() error {
		sig, err := c.SignMessage(ctx, alice, w.Address, msg)
		if err == nil && !custody.VerifyRecovers(accounts.TextHash(msg), sig, w.Address) {
			t.Fatal("signature does not recover")
		}
		return err
	}
	if err := sign(); err != nil {
		t.Fatal(err)
	}

	// The signer dies (SIGKILL: its socket file stays behind).
	p.kill()
	want := "signer unavailable at unix://" + sock + ": connection refused"
	for i := range 3 { // the first call dials, the next ones fail fast during backoff
		err := sign()
		if coffer.ErrorCode(err) != coffer.EUNAVAILABLE || coffer.ErrorMessage(err) != want {
			t.Fatalf("call %d with the signer down: %v, want 503 %q", i, err, want)
		}
	}
	t.Logf("signer down: %d %s", coffer.HTTPStatus(coffer.EUNAVAILABLE), want)

	// It comes back on the same socket; the client recovers without a restart.
	startSignerProc(t, env, "unix", sock)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := sign()
		if err == nil {
			t.Logf("signing again %s after the restart", time.Since(deadline.Add(-10*time.Second)).Round(time.Millisecond))
			break
		}
		if coffer.ErrorCode(err) != coffer.EUNAVAILABLE || time.Now().After(deadline) {
			t.Fatalf("after the signer restarted: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// devPKI is a throwaway CA with certificates for tests.
type devPKI struct {
	dir    string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
}

func newDevPKI(t *testing.T, dir, name string) *devPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " dev CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pki := &devPKI{dir: dir, caCert: cert, caKey: key, caFile: filepath.Join(dir, name+"-ca.pem")}
	writePEM(t, pki.caFile, "CERTIFICATE", der)
	return pki
}

// issue writes a leaf certificate and key for name and returns their files.
func (p *devPKI) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(t *testing.T, file, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSignerProcessMutualTLS: the signer on TCP signs for a client holding a
// certificate from its client CA, and refuses one from another CA; the client
// refuses a signer its CA did not certify.
func TestSignerProcessMutualTLS(t *testing.T) {
	dir := shortTempDir(t)
	pki := newDevPKI(t, dir, "coffer")
	srvCert, srvKey := pki.issue(t, "signer", x509.ExtKeyUsageServerAuth)
	cliCert, cliKey := pki.issue(t, "api", x509.ExtKeyUsageClientAuth)
	rogue := newDevPKI(t, dir, "rogue")
	rogueCert, rogueKey := rogue.issue(t, "intruder", x509.ExtKeyUsageClientAuth)

	addr := testenv.FreeAddr(t)
	startSignerProc(t, signerEnv(filepath.Join(dir, "data"), "tcp://"+addr,
		"COFFER_SIGNER_TLS_CERT="+srvCert, "COFFER_SIGNER_TLS_KEY="+srvKey, "COFFER_SIGNER_TLS_CLIENT_CA="+pki.caFile,
	), "tcp", addr)

	client := func(ca, cert, key string) *Client {
		tlsCfg, err := ClientTLS(ca, cert, key)
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewClient(ClientConfig{Remote: "https://" + addr, TLS: tlsCfg, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	ctx := coffer.WithRequestID(context.Background(), "req-tls")
	checkRemoteCustody(t, ctx, client(pki.caFile, cliCert, cliKey))

	// A client certificate from another CA: the handshake fails, nothing is signed.
	_, err := client(pki.caFile, rogueCert, rogueKey).SignHash(ctx, admin, common.Address{1}, [32]byte{1}, false)
	if coffer.ErrorCode(err) != coffer.EUNAVAILABLE || !strings.Contains(coffer.ErrorMessage(err), "tls") {
		t.Fatalf("rogue client certificate: %v", err)
	}
	t.Logf("rogue client: %s", coffer.ErrorMessage(err))
	// A client that does not trust the signer's CA refuses it.
	_, err = client(rogue.caFile, cliCert, cliKey).SignHash(ctx, admin, common.Address{1}, [32]byte{1}, false)
	if coffer.ErrorCode(err) != coffer.EUNAVAILABLE || !strings.Contains(coffer.ErrorMessage(err), "certificate") {
		t.Fatalf("untrusted signer: %v", err)
	}
	t.Logf("untrusted signer: %s", coffer.ErrorMessage(err))
}
