package signer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/ethsign"
	"github.com/cofferhq/coffer/keys/local"
	"github.com/cofferhq/coffer/store/sqlite"
)

const mailJSON = `{
  "types": {
    "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
      {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
    "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
    "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person"}, {"name": "contents", "type": "string"},
      {"name": "amount", "type": "uint256"}, {"name": "small", "type": "uint64"}]
  },
  "primaryType": "Mail",
  "domain": {"name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
  "message": {
    "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
    "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
    "contents": "Hello, Bob!",
    "amount": "115792089237316195423570985008687907853269984665640564039457584007913129639935",
    "small": 9007199254740991
  }
}`

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newCustody is a real custody service: SQLite store, local backend.
func newCustody(t testing.TB) (*custody.Service, coffer.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "coffer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := custody.New(st, []coffer.KeyBackend{local.New(st, local.NewStaticMaster([32]byte{1, 2, 3}))}, coffer.BackendLocal, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// serveUnix serves c on a fresh Unix socket and returns a client of it.
func serveUnix(t testing.TB, c custody.Custodian) (*Client, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "sgn") // short: socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s.sock")
	ln, err := Listen("unix://"+sock, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Serve(ctx, ln, NewServer(c, ServerOptions{Log: quietLog()})); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	client, err := NewClient(ClientConfig{Remote: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return client, sock
}

var (
	admin = &coffer.Principal{Issuer: "apikey", Subject: "ops", Roles: []string{coffer.RoleAdmin}}
	alice = &coffer.Principal{UserID: "alice", Issuer: "siwe", Subject: "0xa", Roles: []string{coffer.RoleUser}}
	bob   = &coffer.Principal{UserID: "bob", Issuer: "siwe", Subject: "0xb", Roles: []string{coffer.RoleUser}}
)

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if coffer.ErrorCode(err) != code {
		t.Fatalf("got error %v (code %q), want code %q", err, coffer.ErrorCode(err), code)
	}
}

func TestSocketMode(t *testing.T) {
	svc, _ := newCustody(t)
	_, sock := serveUnix(t, svc)
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket mode %v, want 0600 socket", fi.Mode())
	}
}

// TestRemoteCustody drives every custodian method through the wire against
// real custody, checking signatures by recovery and ownership by refusal.
func TestRemoteCustody(t *testing.T) {
	svc, st := newCustody(t)
	c, _ := serveUnix(t, svc)
	ctx := coffer.WithRequestID(context.Background(), "req-42")
	checkRemoteCustody(t, ctx, c)

	// The audit records name the real caller and the API's request id.
	recs, _, err := st.AuditRecords(ctx, coffer.AuditFilter{Principal: alice.ID(), Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, r := range recs {
		if r.RequestID != "req-42" {
			t.Errorf("audit record %d has request id %q", r.Seq, r.RequestID)
		}
		kinds[r.Kind] = true
	}
	for _, k := range []string{"message", "typed_data", "transaction", "hash"} {
		if !kinds[k] {
			t.Errorf("no audit record of kind %s by %s: %v", k, alice.ID(), kinds)
		}
	}
}

// checkRemoteCustody is shared with the two-process tests.
func checkRemoteCustody(t *testing.T, ctx context.Context, c custody.Custodian) {
	t.Helper()
	w, err := c.CreateWallet(coffer.NewContext(ctx, admin), "alice", "", "main")
	if err != nil {
		t.Fatal(err)
	}
	if w.OwnerID != "alice" || w.Backend != coffer.BackendLocal || w.Label != "main" || w.CreatedAt.IsZero() {
		t.Fatalf("wallet %+v", w)
	}
	got, err := c.Wallet(ctx, alice, w.Address)
	if err != nil || got.Address != w.Address || !got.CreatedAt.Equal(w.CreatedAt) {
		t.Fatalf("Wallet: %+v %v", got, err)
	}
	uw, err := c.UserWallet(ctx, "alice")
	if err != nil || uw.Address != w.Address {
		t.Fatalf("UserWallet: %+v %v", uw, err)
	}

	// EIP-191
	msg := []byte("hello from the API process")
	sig, err := c.SignMessage(ctx, alice, w.Address, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !custody.VerifyRecovers(accounts.TextHash(msg), sig, w.Address) {
		t.Fatal("message signature does not recover to the wallet")
	}

	// EIP-712, with a uint256 beyond float precision and the largest safe JSON integer.
	td, err := ethsign.ParseTypedData([]byte(mailJSON))
	if err != nil {
		t.Fatal(err)
	}
	sig, err = c.SignTypedData(ctx, alice, w.Address, td)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := ethsign.HashTypedData(td)
	if err != nil {
		t.Fatal(err)
	}
	if !custody.VerifyRecovers(digest[:], sig, w.Address) {
		t.Fatal("typed data signature does not recover to the wallet")
	}

	// Transactions: EIP-1559 for the user, legacy EIP-155 for the txm.
	chainID := big.NewInt(1337)
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Nonce: 7, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(3e9), Gas: 21000, To: &to, Value: big.NewInt(12345), Data: []byte{1, 2}})
	signed, err := c.SignTransaction(ctx, alice, w.Address, tx, chainID)
	if err != nil {
		t.Fatal(err)
	}
	if from, err := types.Sender(types.LatestSignerForChainID(chainID), signed); err != nil || from != w.Address || signed.Nonce() != 7 || signed.Value().Int64() != 12345 {
		t.Fatalf("signed 1559 tx: from %s, %v", from, err)
	}
	legacy := types.NewTx(&types.LegacyTx{Nonce: 1, GasPrice: big.NewInt(1e9), Gas: 21000, To: &to, Value: big.NewInt(1)})
	signed, err = c.SignTx(ctx, w.Address, legacy, chainID)
	if err != nil {
		t.Fatal(err)
	}
	if from, err := types.Sender(types.LatestSignerForChainID(chainID), signed); err != nil || from != w.Address || !signed.Protected() {
		t.Fatalf("signed legacy tx: from %s, %v, protected %v", from, err, signed.Protected())
	}

	// Raw hashes: admins only by default; the refusal is still a 403.
	h := [32]byte{9, 9, 9}
	if _, err := c.SignHash(ctx, alice, w.Address, h, true); coffer.ErrorCode(err) != coffer.EFORBIDDEN || !strings.Contains(coffer.ErrorMessage(err), "raw") {
		t.Fatalf("owner SignHash: %v", err)
	}
	sig, err = c.SignHash(ctx, admin, w.Address, h, false)
	if err != nil {
		t.Fatal(err)
	}
	if !custody.VerifyRecovers(h[:], sig, w.Address) {
		t.Fatal("hash signature does not recover")
	}

	// Ownership is the signer's decision: another user cannot see or use it.
	_, err = c.SignMessage(ctx, bob, w.Address, msg)
	wantCode(t, err, coffer.ENOTFOUND)
	_, err = c.SignTransaction(ctx, bob, w.Address, tx, chainID)
	wantCode(t, err, coffer.ENOTFOUND)
	_, err = c.Wallet(ctx, nil, w.Address)
	wantCode(t, err, coffer.ENOTFOUND)
	_, err = c.SignTx(ctx, common.HexToAddress("0x1234"), legacy, chainID)
	wantCode(t, err, coffer.ENOTFOUND)
}

// stub answers every signing call with err.
type stub struct {
	custody.Custodian
	err error
}

func (s stub) SignMessage(context.Context, *coffer.Principal, common.Address, []byte) ([]byte, error) {
	return nil, s.err
}

func TestErrorsKeepCodes(t *testing.T) {
	for _, code := range []string{coffer.EINVALID, coffer.EUNAUTHORIZED, coffer.EFORBIDDEN, coffer.ENOTFOUND,
		coffer.ECONFLICT, coffer.ERATELIMITED, coffer.EUNAVAILABLE, coffer.ETOOLARGE} {
		want := coffer.Errorf(code, "policy rule max_value_per_tx refused %s", code)
		c, _ := serveUnix(t, stub{err: want})
		_, err := c.SignMessage(context.Background(), alice, common.Address{1}, []byte("x"))
		if coffer.ErrorCode(err) != code || coffer.ErrorMessage(err) != want.Message {
			t.Errorf("%s: got %v", code, err)
		}
	}
	// An internal error keeps its cause on the signer's side.
	c, _ := serveUnix(t, stub{err: errors.New("disk /var/secret exploded")})
	_, err := c.SignMessage(context.Background(), alice, common.Address{1}, []byte("x"))
	if coffer.ErrorCode(err) != coffer.EINTERNAL || strings.Contains(err.Error(), "secret") {
		t.Errorf("internal: got %v", err)
	}
}

func TestWireTransactionRoundTrip(t *testing.T) {
	to := common.HexToAddress("0x00000000000000000000000000000000000000bb")
	for _, tx := range []*types.Transaction{
		types.NewTx(&types.LegacyTx{Nonce: 3, GasPrice: big.NewInt(7), Gas: 21000, To: &to, Value: big.NewInt(1)}),
		types.NewTx(&types.LegacyTx{Nonce: 0, GasPrice: big.NewInt(7), Gas: 90000, Data: []byte{0x60, 0x80}}), // creation
		types.NewTx(&types.AccessListTx{ChainID: big.NewInt(5), Nonce: 1, GasPrice: big.NewInt(7), Gas: 30000, To: &to,
			AccessList: types.AccessList{{Address: to, StorageKeys: []common.Hash{{1}}}}}),
		types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(5), Nonce: 2, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(2), Gas: 21000, To: &to}),
	} {
		raw, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeTx(&request{Tx: raw})
		if err != nil {
			t.Fatal(err)
		}
		s := types.LatestSignerForChainID(big.NewInt(5))
		if got.Type() != tx.Type() || s.Hash(got) != s.Hash(tx) {
			t.Errorf("type %d: round trip changed the signing hash", tx.Type())
		}
	}
	if _, err := decodeTx(&request{Tx: []byte{0x02, 0xc0}}); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Errorf("garbage tx: %v", err)
	}
}

// TestTypedDataWireKeepsDigest: typed data as the API parsed it hashes the
// same after its JSON trip to the signer (float64 numbers included).
func TestTypedDataWireKeepsDigest(t *testing.T) {
	td, err := ethsign.ParseTypedData([]byte(mailJSON))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(td) // what the client sends
	if err != nil {
		t.Fatal(err)
	}
	back, err := ethsign.ParseTypedData(raw)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := ethsign.HashTypedData(td)
	d2, _ := ethsign.HashTypedData(back)
	if d1 != d2 {
		t.Fatalf("digest changed over the wire: %s → %s", d1, d2)
	}
}

func TestServerRejectsBadRequests(t *testing.T) {
	svc, _ := newCustody(t)
	c, _ := serveUnix(t, svc)
	ctx := context.Background()
	for name, req := range map[string]*request{
		"no address":  {Message: []byte("x")},
		"no chain id": {Address: &common.Address{1}, Tx: []byte{0xc0}},
	} {
		op := opSignMessage
		if name == "no chain id" {
			op = opSignTransaction
		}
		if _, err := c.call(ctx, op, alice, req); coffer.ErrorCode(err) != coffer.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := c.call(ctx, "sign-everything", alice, &request{}); coffer.ErrorCode(err) != coffer.ENOTFOUND {
		t.Errorf("unknown op: %v", err)
	}
}

func TestClientUnavailable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	c, err := NewClient(ClientConfig{Remote: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SignMessage(context.Background(), alice, common.Address{1}, []byte("x"))
	wantCode(t, err, coffer.EUNAVAILABLE)
	if msg := coffer.ErrorMessage(err); msg != "signer unavailable at unix://"+sock+": no such file or directory" {
		t.Fatalf("message %q", msg)
	}
	if coffer.HTTPStatus(coffer.ErrorCode(err)) != 503 {
		t.Fatal("not a 503")
	}
	for _, bad := range []string{"", "http://x:1", "unix://", "https://x:1/path", "tcp://x:1"} {
		if _, err := NewClient(ClientConfig{Remote: bad}); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// TestKeepAlive: sequential calls share one connection, concurrent ones a few.
func TestKeepAlive(t *testing.T) {
	sock := filepath.Join(shortTempDirT(t), "k.sock")
	ln, err := Listen("unix://"+sock, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, cl, NewServer(echo{}, ServerOptions{}))
	c, err := NewClient(ClientConfig{Remote: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 50 {
		if _, err := c.SignHash(ctx, admin, common.Address{1}, [32]byte{}, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := cl.n.Load(); n != 1 {
		t.Fatalf("50 sequential calls opened %d connections, want 1", n)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if _, err := c.SignHash(ctx, admin, common.Address{1}, [32]byte{}, false); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := cl.n.Load(); n > 9 {
		t.Fatalf("8 concurrent callers opened %d connections, want at most 9", n)
	}
}

func shortTempDirT(t *testing.T) string {
	dir, err := os.MkdirTemp("", "sgk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
