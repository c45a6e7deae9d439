package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/internal/testenv"
	"github.com/cofferhq/coffer/keys/local"
	"github.com/cofferhq/coffer/store"
	"github.com/cofferhq/coffer/store/sqlstore"
)

// cliStore describes the store a CLI test runs against.
type cliStore struct{ driver, dsn string }

func sqliteStore(t *testing.T) cliStore {
	return cliStore{"sqlite", filepath.Join(t.TempDir(), "coffer.db")}
}

// postgresStore is a fresh schema on COFFER_TEST_POSTGRES_DSN (testenv.PostgresDSN).
func postgresStore(t *testing.T) cliStore { return cliStore{"postgres", testenv.PostgresDSN(t)} }

// cliArgs are the flags that point a command at dir and the store.
func cliArgs(dir string, s cliStore, extra ...string) []string {
	return append([]string{"--data-dir", dir, "--store-driver", s.driver, "--store-dsn", s.dsn,
		"--master-key-file", filepath.Join(dir, "master.key")}, extra...)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestKeysRotateMasterSQLite(t *testing.T)   { testRotateMaster(t, sqliteStore(t)) }
func TestKeysRotateMasterPostgres(t *testing.T) { testRotateMaster(t, postgresStore(t)) }

func testRotateMaster(t *testing.T, s cliStore) {
	ctx := context.Background()
	t.Setenv("COFFER_MASTER_KEY", "")
	dir := t.TempDir()
	old, _, err := local.LoadOrCreateMasterFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, s.driver, s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Keys under the old master: created ones and an imported one.
	lb := local.New(st, old)
	cs, err := custody.New(st, []coffer.KeyBackend{lb}, coffer.BackendLocal, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	var wallets []*coffer.Wallet
	for i := range 5 {
		w, err := cs.CreateWallet(ctx, fmt.Sprint("u", i), "", "")
		if err != nil {
			t.Fatal(err)
		}
		wallets = append(wallets, w)
	}
	imported, _ := crypto.GenerateKey()
	hexFile := filepath.Join(dir, "import.hex")
	os.WriteFile(hexFile, []byte(hex.EncodeToString(crypto.FromECDSA(imported))), 0o600)
	if err := runKeys(ctx, append([]string{"import"}, cliArgs(dir, s, "--hex-file", hexFile, "--owner", "u9")...)); err != nil {
		t.Fatal(err)
	}
	iw, err := st.Wallet(ctx, crypto.PubkeyToAddress(imported.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	wallets = append(wallets, iw)

	newFile := filepath.Join(t.TempDir(), "new.key")
	if err := runKeys(ctx, append([]string{"rotate-master"}, cliArgs(dir, s, "--new-master-file", newFile)...)); err != nil {
		t.Fatal(err)
	}
	next, created, err := local.LoadOrCreateMasterFile(newFile)
	if err != nil || created || next.ID() == old.ID() {
		t.Fatalf("new master: %v %v", created, err)
	}
	// Every key opens under the new master and signs; none under the old one.
	digest := [32]byte{1, 2, 3}
	fresh, stale := local.New(st, next), local.New(st, old)
	for _, w := range wallets {
		sig, err := fresh.SignDigest(ctx, w.KeyID, digest)
		if err != nil || !custody.VerifyRecovers(digest[:], sig, w.Address) {
			t.Fatalf("wallet %s after rotation: %v", w.Address.Hex(), err)
		}
		if _, err := stale.SignDigest(ctx, w.KeyID, digest); !errors.Is(err, local.ErrWrongMaster) {
			t.Fatalf("old master still opens %s: %v", w.Address.Hex(), err)
		}
	}
	// Again, with the new master configured and the old one given as "new":
	// rotating back works too, and a repeated run is a no-op.
	t.Setenv("COFFER_MASTER_KEY", hexOfMasterFile(t, newFile))
	if err := runKeys(ctx, append([]string{"rotate-master"}, cliArgs(dir, s, "--new-master-file", newFile)...)); err == nil {
		t.Fatal("rotating to the same master succeeded")
	}
	t.Setenv("NEW_MASTER", hexOfMasterFile(t, filepath.Join(dir, "master.key")))
	if err := runKeys(ctx, append([]string{"rotate-master"}, cliArgs(dir, s, "--new-master-env", "NEW_MASTER")...)); err != nil {
		t.Fatal(err)
	}
	for _, w := range wallets {
		if _, err := stale.SignDigest(ctx, w.KeyID, digest); err != nil {
			t.Fatalf("wallet %s after rotating back: %v", w.Address.Hex(), err)
		}
	}
	// A wrong "old" master changes nothing.
	t.Setenv("COFFER_MASTER_KEY", strings.Repeat("11", 32))
	if err := runKeys(ctx, append([]string{"rotate-master"}, cliArgs(dir, s, "--new-master-file", newFile)...)); err == nil {
		t.Fatal("rotation with a wrong current master succeeded")
	}
	for _, w := range wallets {
		if _, err := stale.SignDigest(ctx, w.KeyID, digest); err != nil {
			t.Fatalf("wallet %s after a failed rotation: %v", w.Address.Hex(), err)
		}
	}
}

func hexOfMasterFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestKeysDisableEnable(t *testing.T) {
	ctx := context.Background()
	t.Setenv("COFFER_MASTER_KEY", "")
	dir, s := t.TempDir(), sqliteStore(t)
	m, _, err := local.LoadOrCreateMasterFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, s.driver, s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, _ := custody.New(st, []coffer.KeyBackend{local.New(st, m)}, coffer.BackendLocal, quietLog())
	w, err := cs.CreateWallet(ctx, "u1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	owner := &coffer.Principal{UserID: "u1", Roles: []string{coffer.RoleUser}}
	if err := runKeys(ctx, append([]string{"disable"}, cliArgs(dir, s, "--address", w.Address.Hex())...)); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.SignMessage(ctx, owner, w.Address, []byte("x")); coffer.ErrorCode(err) != coffer.EFORBIDDEN {
		t.Fatalf("disabled wallet signed: %v", err)
	}
	if err := runKeys(ctx, append([]string{"enable"}, cliArgs(dir, s, "--address", w.Address.Hex())...)); err != nil {
		t.Fatal(err)
	}
	// cs stands for a running server: it caches wallet records, so a change
	// made by another process (the CLI) reaches it within the cache's TTL.
	for deadline := time.Now().Add(custody.DefaultWalletCacheTTL + time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, err := cs.SignMessage(ctx, owner, w.Address, []byte("x"))
		if err == nil {
			break
		}
		if coffer.ErrorCode(err) != coffer.EFORBIDDEN || time.Now().After(deadline) {
			t.Fatalf("enabled by the CLI, still refused after %v: %v", custody.DefaultWalletCacheTTL, err)
		}
	}
	if err := runKeys(ctx, append([]string{"disable"}, cliArgs(dir, s, "--address", "0x12")...)); err == nil {
		t.Fatal("bad address accepted")
	}
	recs, _, _ := st.AuditRecords(ctx, coffer.AuditFilter{Wallet: &w.Address})
	var got []string
	for _, r := range recs {
		e := r.Kind + " " + r.Outcome + " " + strings.SplitN(r.Principal, ":", 2)[0]
		if len(got) > 0 && got[len(got)-1] == e {
			continue // refusals while the enable was on its way (see above)
		}
		got = append(got, e)
	}
	if fmt.Sprint(got) != "[message allowed user message refused: wallet "+w.Address.Hex()+" is disabled user enable allowed cli message refused: wallet "+w.Address.Hex()+" is disabled user disable allowed cli]" &&
		fmt.Sprint(got) != "[message allowed user enable allowed cli message refused: wallet "+w.Address.Hex()+" is disabled user disable allowed cli]" {
		t.Fatalf("audit %q", got)
	}
}

// TestAuditVerify tampers with the SQLite audit log by raw SQL and checks
// that `coffer audit verify` names the first broken record.
func TestAuditVerify(t *testing.T) {
	ctx := context.Background()
	dir, s := t.TempDir(), sqliteStore(t)
	st, err := store.Open(ctx, s.driver, s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.(*sqlstore.DB)
	verify := func(page int, anchor string) (string, error) {
		var out bytes.Buffer
		err := verifyAudit(ctx, st, page, anchor, &out)
		return out.String(), err
	}
	if out, err := verify(10, ""); err != nil || !strings.Contains(out, "empty") {
		t.Fatalf("empty log: %q %v", out, err)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	for i := range 25 {
		r := &coffer.AuditRecord{Time: time.Now(), Principal: "user:u1", Wallet: to, KeyID: "k", Kind: "transaction",
			Digest: common.BytesToHash([]byte{byte(i)}), ChainID: 1, To: &to, Value: big.NewInt(int64(i)), RequestID: fmt.Sprint("r", i), Outcome: "allowed"}
		if err := st.AppendAudit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	out, err := verify(7, "") // pages of 7 cross record boundaries
	if err != nil || !strings.Contains(out, "25 records") {
		t.Fatalf("intact log: %q %v", out, err)
	}
	anchor := strings.TrimSpace(out[strings.LastIndex(out, " ")+1:])
	if _, err := verify(7, anchor); err != nil {
		t.Fatalf("anchor %s: %v", anchor, err)
	}
	// Through the command: exit status 1 (an error) and the message.
	args := []string{"verify", "--data-dir", dir, "--store-driver", s.driver, "--store-dsn", s.dsn, "--page", "4"}
	if err := runAudit(ctx, args); err != nil {
		t.Fatal(err)
	}

	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	wantBroken := func(what, want string) {
		t.Helper()
		out, err := verify(7, "")
		if err == nil || !strings.Contains(out, "BROKEN") || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %q %v, want %q", what, out, err, want)
		}
		if err := runAudit(ctx, args); err == nil {
			t.Fatalf("%s: coffer audit verify passed", what)
		}
	}
	// An edited field.
	mustExec(`UPDATE audit_log SET value = '1000000' WHERE seq = 12`)
	wantBroken("edited value", "record 12: altered")
	mustExec(`UPDATE audit_log SET value = '11' WHERE seq = 12`)
	if _, err := verify(7, ""); err != nil {
		t.Fatalf("restored: %v", err)
	}
	mustExec(`UPDATE audit_log SET outcome = 'refused: x' WHERE seq = 3`)
	wantBroken("edited outcome", "record 3: altered")
	mustExec(`UPDATE audit_log SET outcome = 'allowed' WHERE seq = 3`)
	// An edit with the record's hash recomputed: the next record no longer follows.
	recs, _ := db.AuditChain(ctx, 19, 1)
	r := recs[0]
	r.Outcome = "refused: rewritten"
	mustExec(`UPDATE audit_log SET outcome = $1, hash = $2 WHERE seq = 20`, r.Outcome, coffer.AuditHash(r.PrevHash, r))
	wantBroken("rehashed edit", "record 21: does not follow record 20")
	recs, _ = db.AuditChain(ctx, 19, 1)
	r.Outcome = "allowed"
	mustExec(`UPDATE audit_log SET outcome = $1, hash = $2 WHERE seq = 20`, r.Outcome, coffer.AuditHash(r.PrevHash, r))
	if _, err := verify(7, ""); err != nil {
		t.Fatalf("restored: %v", err)
	}
	// The last row deleted: the log ends before the head.
	mustExec(`DELETE FROM audit_log WHERE seq = 25`)
	wantBroken("deleted tail", "record 25: missing: the log ends at 24 but the audit head is 25")
	// An attacker who also rewinds the head is caught only by an external anchor.
	recs, _ = db.AuditChain(ctx, 23, 1)
	mustExec(`UPDATE audit_head SET seq = 24, hash = $1`, recs[0].Hash)
	if _, err := verify(7, ""); err != nil {
		t.Fatalf("rewound head: %v", err)
	}
	if _, err := verify(7, anchor); err == nil || !strings.Contains(err.Error(), "record 25: anchored record is missing") {
		t.Fatalf("anchor after truncation: %v", err)
	}
	// A deleted row in the middle.
	mustExec(`DELETE FROM audit_log WHERE seq = 9`)
	wantBroken("deleted row", "record 9: missing")
	if _, err := verify(7, "25:zz"); err == nil {
		t.Fatal("bad anchor accepted")
	}
}
