// Package storetest is the conformance suite every coffer.Store passes.
//
//	func TestStore(t *testing.T) { storetest.Run(t, func(t *testing.T) coffer.Store { ... }) }
//
// open must return a fresh, empty, migrated store; the suite closes it. Stores
// that also have Exec(ctx, query, args...) (raw SQL) get the audit tampering
// test, and AuditChain(ctx, afterSeq, limit) is used to read the chain when
// present.
package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Execer is the raw-SQL hook used to tamper with stored rows.
type Execer interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// AuditChainer reads the audit chain in ascending order.
type AuditChainer interface {
	AuditChain(ctx context.Context, afterSeq int64, limit int) ([]*coffer.AuditRecord, error)
}

// Run runs the suite; each test gets its own store from open.
func Run(t *testing.T, open func(t *testing.T) coffer.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, coffer.Store)
	}{
		{"Meta", testMeta},
		{"Users", testUsers},
		{"APIKeys", testAPIKeys},
		{"Nonces", testNonces},
		{"Sessions", testSessions},
		{"Keys", testKeys},
		{"Wallets", testWallets},
		{"TransactionRoundTrip", testTransactionRoundTrip},
		{"TransactionIdempotency", testTransactionIdempotency},
		{"TransactionList", testTransactionList},
		{"TransactionListLimit", testTransactionListLimit},
		{"AssignNonce", testAssignNonce},
		{"AssignNonceSignError", testAssignNonceSignError},
		{"AssignNonceConcurrent", testAssignNonceConcurrent},
		{"AssignNonceSignUsesStore", testAssignNonceSignUsesStore},
		{"AssignNonces", testAssignNonces},
		{"AssignNoncesSignError", testAssignNoncesSignError},
		{"AssignNoncesConcurrent", testAssignNoncesConcurrent},
		{"AssignNoncesSignUsesStore", testAssignNoncesSignUsesStore},
		{"OpenTransactionsOverPage", testOpenTransactionsOverPage},
		{"TransactionsByStatusKnown", testTransactionsByStatusKnown},
		{"NextNonce", testNextNonce},
		{"AttemptsAndUpdates", testAttemptsAndUpdates},
		{"TxBatchUpdates", testTxBatchUpdates},
		{"TransactionsByStatus", testTransactionsByStatus},
		{"SignedTransaction", testSignedTransaction},
		{"CancelQueued", testCancelQueued},
		{"Collections", testCollections},
		{"CollectionAtomic", testCollectionAtomic},
		{"Mints", testMints},
		{"MintIdempotency", testMintIdempotency},
		{"MintFollowsTransaction", testMintFollowsTransaction},
		{"MintURIs", testMintURIs},
		{"ConcurrentCreates", testConcurrentCreates},
		{"ConcurrentWritesFailAlone", testConcurrentWritesFailAlone},
		{"MintList", testMintList},
		{"MintListLimit", testMintListLimit},
		{"Transfers", testTransfers},
		{"TokenList", testTokenList},
		{"RewindIndex", testRewindIndex},
		{"ResetChainState", testResetChainState},
		{"AuditChain", testAuditChain},
		{"AuditList", testAuditList},
		{"AuditHeadAndFilters", testAuditHeadAndFilters},
		{"WalletPolicy", testWalletPolicy},
		{"Spends", testSpends},
		{"SpendRace", testSpendRace},
		{"EventsOutbox", testEventsOutbox},
		{"PruneEvents", testPruneEvents},
		{"WebhookDeliveries", testWebhookDeliveries},
		{"ClaimRace", testClaimRace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

// maxU256 is 2^256-1, the largest token id and wei amount.
var maxU256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := coffer.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// same compares through JSON, which prints big.Int, addresses, hashes and
// times by value.
func same(t testing.TB, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	ok(t, err)
	w, err := json.Marshal(want)
	ok(t, err)
	if !bytes.Equal(g, w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func address(n int) common.Address { return common.BigToAddress(big.NewInt(int64(0x1000 + n))) }

func hashOf(parts ...any) common.Hash { return crypto.Keccak256Hash(fmt.Append(nil, parts...)) }

func ptr[T any](v T) *T { return &v }

// tstamp is a time with nanoseconds and a non-UTC zone, to check normalisation.
func tstamp(d time.Duration) time.Time {
	base := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("X", 3600))
	return base.Add(d)
}

func newTx(chainID uint64, from common.Address, key string) *coffer.Transaction {
	to := address(99)
	return &coffer.Transaction{
		Kind:           coffer.KindTransfer,
		OwnerID:        "usr_owner",
		ChainID:        chainID,
		From:           from,
		To:             &to,
		Value:          big.NewInt(1),
		Gas:            21000,
		FeeCap:         big.NewInt(2e9),
		TipCap:         big.NewInt(1e9),
		IdempotencyKey: key,
	}
}

func signer(raw string) func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error) {
	return func(tx *coffer.Transaction, nonce uint64) (*coffer.TxAttempt, error) {
		return &coffer.TxAttempt{
			Hash:   hashOf(tx.ID, nonce, raw),
			Raw:    fmt.Appendf(nil, "%s:%s:%d", raw, tx.ID, nonce),
			FeeCap: big.NewInt(3e9),
			TipCap: big.NewInt(1e9),
		}, nil
	}
}

func testMeta(t *testing.T, s coffer.Store) {
	_, err := s.Meta(ctx, "genesis")
	wantCode(t, err, coffer.ENOTFOUND)
	ok(t, s.SetMeta(ctx, "genesis", "0xabc"))
	ok(t, s.SetMeta(ctx, "genesis", "0xdef"))
	v, err := s.Meta(ctx, "genesis")
	ok(t, err)
	if v != "0xdef" {
		t.Fatalf("meta = %q", v)
	}
	ok(t, s.Ping(ctx))
}

func testUsers(t *testing.T, s coffer.Store) {
	a := address(1)
	u := &coffer.User{Issuer: "siwe", Subject: "0xabc", Address: &a, CreatedAt: tstamp(0)}
	ok(t, s.CreateUser(ctx, u))
	if len(u.ID) < 10 || u.ID[:4] != "usr_" {
		t.Fatalf("generated id %q", u.ID)
	}
	if !u.CreatedAt.Equal(tstamp(0).Truncate(time.Microsecond)) || u.CreatedAt.Location() != time.UTC {
		t.Fatalf("CreatedAt not normalised: %v", u.CreatedAt)
	}
	got, err := s.User(ctx, u.ID)
	ok(t, err)
	same(t, "user", got, u)
	got, err = s.UserByIdentity(ctx, "siwe", "0xabc")
	ok(t, err)
	same(t, "user by identity", got, u)

	wantCode(t, s.CreateUser(ctx, &coffer.User{Issuer: "siwe", Subject: "0xabc"}), coffer.ECONFLICT)
	wantCode(t, s.CreateUser(ctx, &coffer.User{ID: u.ID, Issuer: "x", Subject: "y"}), coffer.ECONFLICT)
	_, err = s.User(ctx, "usr_missing")
	wantCode(t, err, coffer.ENOTFOUND)
	_, err = s.UserByIdentity(ctx, "siwe", "0xother")
	wantCode(t, err, coffer.ENOTFOUND)

	oidc := &coffer.User{ID: "usr_given", Issuer: "https://idp", Subject: "42"}
	ok(t, s.CreateUser(ctx, oidc))
	got, err = s.User(ctx, "usr_given")
	ok(t, err)
	if got.Address != nil || got.CreatedAt.IsZero() {
		t.Fatalf("oidc user = %+v", got)
	}
}

func testAPIKeys(t *testing.T, s coffer.Store) {
	k := &coffer.APIKey{ID: "ck_abc", Name: "ops", Hash: []byte{1, 2, 3}, Roles: []string{coffer.RoleAdmin, coffer.RoleUser}}
	ok(t, s.CreateAPIKey(ctx, k))
	got, err := s.APIKey(ctx, "ck_abc")
	ok(t, err)
	same(t, "api key", got, k)
	wantCode(t, s.CreateAPIKey(ctx, k), coffer.ECONFLICT)
	_, err = s.APIKey(ctx, "ck_missing")
	wantCode(t, err, coffer.ENOTFOUND)

	rev := &coffer.APIKey{ID: "ck_rev", Name: "old", Hash: []byte{4}, RevokedAt: ptr(tstamp(time.Hour))}
	ok(t, s.CreateAPIKey(ctx, rev))
	got, err = s.APIKey(ctx, "ck_rev")
	ok(t, err)
	same(t, "revoked api key", got, rev)
	if got.RevokedAt == nil || got.Roles != nil {
		t.Fatalf("revoked key = %+v", got)
	}
}

func testNonces(t *testing.T, s coffer.Store) {
	now := tstamp(0)
	ok(t, s.CreateNonce(ctx, "n1", now.Add(time.Minute)))
	ok(t, s.CreateNonce(ctx, "n2", now.Add(time.Minute)))
	ok(t, s.CreateNonce(ctx, "old", now.Add(-time.Second)))
	wantCode(t, s.CreateNonce(ctx, "n1", now.Add(time.Minute)), coffer.ECONFLICT)

	ok(t, s.ConsumeNonce(ctx, "n1", now))
	wantCode(t, s.ConsumeNonce(ctx, "n1", now), coffer.ENOTFOUND)
	wantCode(t, s.ConsumeNonce(ctx, "never", now), coffer.ENOTFOUND)
	wantCode(t, s.ConsumeNonce(ctx, "old", now), coffer.ENOTFOUND)
	// Expiry is checked against the caller's now.
	wantCode(t, s.ConsumeNonce(ctx, "n2", now.Add(2*time.Minute)), coffer.ENOTFOUND)
	// The expired nonce was deleted, so its value can be issued again.
	ok(t, s.CreateNonce(ctx, "old", now.Add(time.Minute)))
	ok(t, s.ConsumeNonce(ctx, "old", now))
}

func testSessions(t *testing.T, s coffer.Store) {
	now := tstamp(0)
	se := &coffer.Session{UserID: "usr_1", RefreshHash: []byte("h1"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	ok(t, s.CreateSession(ctx, se))
	if se.ID[:4] != "ses_" {
		t.Fatalf("generated id %q", se.ID)
	}
	got, err := s.Session(ctx, se.ID)
	ok(t, err)
	same(t, "session", got, se)
	_, err = s.Session(ctx, "ses_missing")
	wantCode(t, err, coffer.ENOTFOUND)

	ok(t, s.RotateSession(ctx, se.ID, []byte("h1"), []byte("h2"), now.Add(time.Minute), now.Add(2*time.Hour)))
	got, err = s.Session(ctx, se.ID)
	ok(t, err)
	if string(got.RefreshHash) != "h2" || !got.ExpiresAt.Equal(now.Add(2*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("rotated session = %+v", got)
	}
	// A reused refresh token.
	wantCode(t, s.RotateSession(ctx, se.ID, []byte("h1"), []byte("h3"), now, now.Add(time.Hour)), coffer.ENOTFOUND)
	// Expired.
	wantCode(t, s.RotateSession(ctx, se.ID, []byte("h2"), []byte("h3"), now.Add(3*time.Hour), now.Add(4*time.Hour)), coffer.ENOTFOUND)
	wantCode(t, s.RotateSession(ctx, "ses_missing", []byte("h2"), []byte("h3"), now, now), coffer.ENOTFOUND)

	ok(t, s.RevokeSession(ctx, se.ID, now.Add(time.Minute)))
	wantCode(t, s.RotateSession(ctx, se.ID, []byte("h2"), []byte("h3"), now.Add(time.Minute), now.Add(time.Hour)), coffer.ENOTFOUND)
	got, err = s.Session(ctx, se.ID)
	ok(t, err)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(now.Add(time.Minute).Truncate(time.Microsecond)) {
		t.Fatalf("revoked session = %+v", got)
	}
	wantCode(t, s.RevokeSession(ctx, "ses_missing", now), coffer.ENOTFOUND)
}

func testKeys(t *testing.T, s coffer.Store) {
	k1 := &coffer.KeyRecord{ID: "k1", Backend: coffer.BackendLocal, Address: address(1), PublicKey: bytes.Repeat([]byte{4}, 65),
		Material: []byte("cipher"), WrappedKey: []byte("wrapped"), MasterID: "m1", CreatedAt: tstamp(0)}
	k2 := &coffer.KeyRecord{ID: "k2", Backend: coffer.BackendAWSKMS, Address: address(2), Material: []byte("arn:aws:kms:..."),
		CreatedAt: tstamp(time.Second)}
	k3 := &coffer.KeyRecord{ID: "k3", Backend: coffer.BackendLocal, Address: address(3), Material: []byte("c3"),
		WrappedKey: []byte("w3"), MasterID: "m1", CreatedAt: tstamp(2 * time.Second)}
	for _, k := range []*coffer.KeyRecord{k1, k2, k3} {
		ok(t, s.PutKey(ctx, k))
	}
	wantCode(t, s.PutKey(ctx, &coffer.KeyRecord{ID: "k1", Backend: coffer.BackendLocal}), coffer.ECONFLICT)
	got, err := s.Key(ctx, "k1")
	ok(t, err)
	same(t, "key", got, k1)
	_, err = s.Key(ctx, "nope")
	wantCode(t, err, coffer.ENOTFOUND)

	local, err := s.Keys(ctx, coffer.BackendLocal)
	ok(t, err)
	same(t, "local keys", local, []*coffer.KeyRecord{k1, k3})
	all, err := s.Keys(ctx, "")
	ok(t, err)
	if len(all) != 3 {
		t.Fatalf("Keys(\"\") = %d keys", len(all))
	}

	ok(t, s.UpdateKeyWrapping(ctx, "k3", []byte("w3'"), "m2"))
	got, err = s.Key(ctx, "k3")
	ok(t, err)
	if string(got.WrappedKey) != "w3'" || got.MasterID != "m2" || string(got.Material) != "c3" {
		t.Fatalf("rewrapped key = %+v", got)
	}
	wantCode(t, s.UpdateKeyWrapping(ctx, "nope", nil, "m2"), coffer.ENOTFOUND)
}

func testWallets(t *testing.T, s coffer.Store) {
	var mine []*coffer.Wallet
	for i := range 7 {
		w := &coffer.Wallet{Address: address(i), OwnerID: "usr_a", Backend: coffer.BackendLocal, KeyID: fmt.Sprint("k", i),
			CreatedAt: tstamp(time.Duration(i/2) * time.Second)} // pairs share a time: the cursor must break ties
		if i%3 == 2 {
			w.OwnerID = "usr_b"
		} else {
			mine = append(mine, w)
		}
		ok(t, s.CreateWallet(ctx, w))
	}
	platform := &coffer.Wallet{Address: address(100), Backend: coffer.BackendAWSKMS, KeyID: "kp", Label: "platform",
		CreatedAt: tstamp(time.Hour)}
	ok(t, s.CreateWallet(ctx, platform))
	wantCode(t, s.CreateWallet(ctx, &coffer.Wallet{Address: address(1), Backend: "local", KeyID: "x"}), coffer.ECONFLICT)

	got, err := s.Wallet(ctx, address(100))
	ok(t, err)
	same(t, "wallet", got, platform)
	got, err = s.WalletByLabel(ctx, "platform")
	ok(t, err)
	same(t, "wallet by label", got, platform)
	_, err = s.WalletByLabel(ctx, "nope")
	wantCode(t, err, coffer.ENOTFOUND)
	_, err = s.Wallet(ctx, address(555))
	wantCode(t, err, coffer.ENOTFOUND)

	// Newest first, in pages of 2.
	slices.Reverse(mine)
	var listed []*coffer.Wallet
	cursor := ""
	for page := 0; ; page++ {
		ws, next, err := s.Wallets(ctx, "usr_a", 2, cursor)
		ok(t, err)
		listed = append(listed, ws...)
		if next == "" {
			break
		}
		if page > 10 {
			t.Fatal("cursor does not end")
		}
		cursor = next
	}
	// Equal times come out in descending address order.
	slices.SortStableFunc(mine, func(a, b *coffer.Wallet) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(b.Address[:], a.Address[:])
	})
	same(t, "wallets of usr_a", listed, mine)
	all, next, err := s.Wallets(ctx, "", 0, "")
	ok(t, err)
	if len(all) != 8 || next != "" || all[0].Address != platform.Address {
		t.Fatalf("all wallets: %d, next %q", len(all), next)
	}
	_, _, err = s.Wallets(ctx, "", 0, "garbage!")
	wantCode(t, err, coffer.EINVALID)

	ok(t, s.SetWalletDisabled(ctx, address(100), true))
	got, err = s.Wallet(ctx, address(100))
	ok(t, err)
	if !got.Disabled {
		t.Fatal("wallet not disabled")
	}
	ok(t, s.SetWalletDisabled(ctx, address(100), false))
	got, _ = s.Wallet(ctx, address(100))
	if got.Disabled {
		t.Fatal("wallet still disabled")
	}
	wantCode(t, s.SetWalletDisabled(ctx, address(555), true), coffer.ENOTFOUND)
}

func testTransactionRoundTrip(t *testing.T, s coffer.Store) {
	to := address(7)
	tx := &coffer.Transaction{
		ID: "tx_full", OwnerID: "usr_1", Kind: coffer.KindRaw, ChainID: 1 << 40, From: address(1), To: &to,
		Value: maxU256, Data: []byte{0xde, 0xad}, Nonce: ptr(uint64(5)), Gas: 1 << 50, GasPrice: maxU256,
		FeeCap: big.NewInt(0), TipCap: new(big.Int).Lsh(big.NewInt(1), 200), Hash: ptr(hashOf("a")), Raw: []byte{1, 2},
		Status: coffer.TxPending, BlockNumber: ptr(uint64(1) << 62), BlockHash: ptr(hashOf("b")), GasUsed: ptr(uint64(21000)),
		ContractAddress: ptr(address(8)), Error: "none", IdempotencyKey: "user:1:abc", RequestHash: []byte("req"),
		Attempts:  []coffer.TxAttempt{{Hash: hashOf("a"), Raw: []byte{1, 2}, GasPrice: maxU256, CreatedAt: tstamp(0)}},
		CreatedAt: tstamp(0), UpdatedAt: tstamp(time.Second),
	}
	ok(t, s.CreateTransaction(ctx, tx))
	got, err := s.Transaction(ctx, "tx_full")
	ok(t, err)
	same(t, "transaction", got, tx)
	if got.Value.Cmp(maxU256) != 0 {
		t.Fatalf("value %v", got.Value)
	}

	bare := &coffer.Transaction{Kind: coffer.KindDeploy, ChainID: 1, From: address(1), Data: []byte{0x60}}
	ok(t, s.CreateTransaction(ctx, bare))
	if bare.ID[:3] != "tx_" || bare.Status != coffer.TxQueued || bare.CreatedAt.IsZero() {
		t.Fatalf("defaults not filled: %+v", bare)
	}
	got, err = s.Transaction(ctx, bare.ID)
	ok(t, err)
	same(t, "minimal transaction", got, bare)
	if got.To != nil || got.Value != nil || got.Nonce != nil || got.Hash != nil || got.Attempts != nil {
		t.Fatalf("nil fields came back set: %+v", got)
	}
	_, err = s.Transaction(ctx, "tx_missing")
	wantCode(t, err, coffer.ENOTFOUND)
	wantCode(t, s.CreateTransaction(ctx, &coffer.Transaction{ID: "tx_full", Kind: "x", From: address(1)}), coffer.ECONFLICT)
}

func testTransactionIdempotency(t *testing.T, s coffer.Store) {
	a := newTx(1, address(1), "user:1:k")
	ok(t, s.CreateTransaction(ctx, a))
	b := newTx(1, address(1), "user:1:k")
	wantCode(t, s.CreateTransaction(ctx, b), coffer.ECONFLICT)
	got, err := s.TransactionByIdempotencyKey(ctx, "user:1:k")
	ok(t, err)
	if got.ID != a.ID {
		t.Fatalf("by key: %s, want %s", got.ID, a.ID)
	}
	_, err = s.TransactionByIdempotencyKey(ctx, "user:1:other")
	wantCode(t, err, coffer.ENOTFOUND)
	// Transactions without a key never conflict with each other.
	ok(t, s.CreateTransaction(ctx, newTx(1, address(1), "")))
	ok(t, s.CreateTransaction(ctx, newTx(1, address(1), "")))
}

func testTransactionList(t *testing.T, s coffer.Store) {
	var all []*coffer.Transaction
	for i := range 9 {
		tx := newTx(1, address(i%2), "")
		tx.ID = fmt.Sprintf("tx_%02d", i)
		tx.CreatedAt = tstamp(time.Duration(i/3) * time.Minute) // ties broken by id
		if i%3 == 0 {
			tx.OwnerID = "usr_other"
			tx.Kind = coffer.KindMint
		}
		ok(t, s.CreateTransaction(ctx, tx))
		all = append(all, tx)
	}
	ok(t, s.UpdateTransaction(ctx, "tx_04", coffer.TxUpdate{Status: coffer.TxFailed}))
	ids := func(f coffer.TxFilter) []string {
		t.Helper()
		var out []string
		for page := 0; ; page++ {
			txs, next, err := s.Transactions(ctx, f)
			ok(t, err)
			if f.Limit > 0 && len(txs) > f.Limit {
				t.Fatalf("page of %d > limit %d", len(txs), f.Limit)
			}
			for _, tx := range txs {
				out = append(out, tx.ID)
			}
			if next == "" || page > 20 {
				return out
			}
			f.Cursor = next
		}
	}
	same(t, "all", ids(coffer.TxFilter{Limit: 2}), []string{"tx_08", "tx_07", "tx_06", "tx_05", "tx_04", "tx_03", "tx_02", "tx_01", "tx_00"})
	same(t, "owner", ids(coffer.TxFilter{OwnerID: "usr_other", Limit: 1}), []string{"tx_06", "tx_03", "tx_00"})
	same(t, "from", ids(coffer.TxFilter{From: ptr(address(1)), Limit: 3}), []string{"tx_07", "tx_05", "tx_03", "tx_01"})
	same(t, "status", ids(coffer.TxFilter{Status: coffer.TxFailed}), []string{"tx_04"})
	same(t, "kind", ids(coffer.TxFilter{Kind: coffer.KindMint, From: ptr(address(0))}), []string{"tx_06", "tx_00"})
	_, _, err := s.Transactions(ctx, coffer.TxFilter{Cursor: "%%%"})
	wantCode(t, err, coffer.EINVALID)
	txs, next, err := s.Transactions(ctx, coffer.TxFilter{})
	ok(t, err)
	if len(txs) != 9 || next != "" {
		t.Fatalf("default limit: %d rows, next %q", len(txs), next)
	}
}

func testTransactionListLimit(t *testing.T, s coffer.Store) {
	if testing.Short() {
		t.Skip("short")
	}
	// 501 rows: the default page is 50 and the cap 500.
	for i := range 501 {
		tx := newTx(1, address(1), "")
		tx.ID = fmt.Sprintf("tx_%04d", i)
		ok(t, s.CreateTransaction(ctx, tx))
	}
	txs, next, err := s.Transactions(ctx, coffer.TxFilter{})
	ok(t, err)
	if len(txs) != 50 || next == "" {
		t.Fatalf("default page: %d rows, next %q", len(txs), next)
	}
	txs, next, err = s.Transactions(ctx, coffer.TxFilter{Limit: 10000})
	ok(t, err)
	if len(txs) != 500 || next == "" {
		t.Fatalf("capped page: %d rows, next %q", len(txs), next)
	}
	txs, next, err = s.Transactions(ctx, coffer.TxFilter{Limit: 10000, Cursor: next})
	ok(t, err)
	if len(txs) != 1 || next != "" || txs[0].ID != "tx_0000" {
		t.Fatalf("last page: %d rows, next %q", len(txs), next)
	}
}

func testAssignNonce(t *testing.T, s coffer.Store) {
	a := newTx(1, address(1), "")
	ok(t, s.CreateTransaction(ctx, a))
	var seen string
	got, err := s.AssignNonce(ctx, a.ID, func(tx *coffer.Transaction, nonce uint64) (*coffer.TxAttempt, error) {
		seen = tx.ID + " " + tx.Status
		return signer("r")(tx, nonce)
	})
	ok(t, err)
	if seen != a.ID+" "+coffer.TxQueued {
		t.Fatalf("sign saw %q", seen)
	}
	if got.Status != coffer.TxPending || got.Nonce == nil || *got.Nonce != 0 || got.Hash == nil ||
		*got.Hash != hashOf(a.ID, 0, "r") || len(got.Attempts) != 1 || got.FeeCap.Int64() != 3e9 {
		t.Fatalf("assigned: %+v", got)
	}
	stored, err := s.Transaction(ctx, a.ID)
	ok(t, err)
	same(t, "stored after AssignNonce", stored, got)

	_, err = s.AssignNonce(ctx, a.ID, signer("r"))
	wantCode(t, err, coffer.ECONFLICT)
	_, err = s.AssignNonce(ctx, "tx_missing", signer("r"))
	wantCode(t, err, coffer.ENOTFOUND)

	// Nonces are per (chain, sender).
	for _, tx := range []*coffer.Transaction{newTx(1, address(1), ""), newTx(1, address(2), ""), newTx(5, address(1), "")} {
		ok(t, s.CreateTransaction(ctx, tx))
		got, err := s.AssignNonce(ctx, tx.ID, signer("r"))
		ok(t, err)
		want := uint64(0)
		if tx.ChainID == 1 && tx.From == address(1) {
			want = 1
		}
		if *got.Nonce != want {
			t.Fatalf("nonce of chain %d from %s = %d, want %d", tx.ChainID, tx.From, *got.Nonce, want)
		}
	}
}

func testAssignNonceSignError(t *testing.T, s coffer.Store) {
	a := newTx(1, address(1), "")
	ok(t, s.CreateTransaction(ctx, a))
	boom := errors.New("signer unavailable")
	_, err := s.AssignNonce(ctx, a.ID, func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the sign error", err)
	}
	n, err := s.NextNonce(ctx, 1, address(1))
	ok(t, err)
	if n != 0 {
		t.Fatalf("failed sign consumed a nonce: next = %d", n)
	}
	got, err := s.Transaction(ctx, a.ID)
	ok(t, err)
	if got.Status != coffer.TxQueued || got.Nonce != nil || got.Hash != nil || len(got.Attempts) != 0 {
		t.Fatalf("failed sign left %+v", got)
	}
	got, err = s.AssignNonce(ctx, a.ID, signer("r"))
	ok(t, err)
	if *got.Nonce != 0 {
		t.Fatalf("nonce after failed sign = %d", *got.Nonce)
	}
}

// AssignNonceRace assigns n nonces for one sender from concurrent goroutines,
// spread over the given stores (one store, or two pools on one database), and
// checks that they are exactly 0..n-1.
func AssignNonceRace(t testing.TB, n int, stores ...coffer.Store) {
	from := address(77)
	ids := make([]string, n)
	for i := range ids {
		tx := newTx(1, from, "")
		ok(t, stores[0].CreateTransaction(ctx, tx))
		ids[i] = tx.ID
	}
	nonces := make([]uint64, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			got, err := stores[i%len(stores)].AssignNonce(ctx, id, signer("race"))
			if err != nil {
				errs <- err
				return
			}
			nonces[i] = *got.Nonce
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	contiguousNonces(t, stores[0], from, nonces)
	for _, id := range ids {
		tx, err := stores[len(stores)-1].Transaction(ctx, id)
		ok(t, err)
		if tx.Nonce == nil || tx.Status != coffer.TxPending || *tx.Hash != hashOf(id, *tx.Nonce, "race") {
			t.Fatalf("transaction %s after race: %+v", id, tx)
		}
	}
}

// contiguousNonces fails t unless nonces, in any order, are 0..len(nonces)-1
// and s's next nonce for from on chain 1 follows them.
func contiguousNonces(t testing.TB, s coffer.Store, from common.Address, nonces []uint64) {
	t.Helper()
	n := len(nonces)
	slices.Sort(nonces)
	for i, v := range nonces {
		if v != uint64(i) {
			t.Fatalf("nonces not 0..%d: position %d holds %d", n-1, i, v)
		}
	}
	next, err := s.NextNonce(ctx, 1, from)
	ok(t, err)
	if next != uint64(n) {
		t.Fatalf("next nonce %d, want %d", next, n)
	}
}

func testAssignNonceConcurrent(t *testing.T, s coffer.Store) { AssignNonceRace(t, 200, s) }

// The custody service reads the wallet and appends an audit record while it
// signs, from inside AssignNonce's sign: that must neither deadlock nor be
// undone, including with many signers at once.
func testAssignNonceSignUsesStore(t *testing.T, s coffer.Store) {
	for i := range 3 {
		ok(t, s.CreateWallet(ctx, &coffer.Wallet{Address: address(i), Backend: coffer.BackendLocal, KeyID: fmt.Sprint(i)}))
	}
	const n = 60
	var ids []string
	for i := range n {
		tx := newTx(1, address(i%3), "")
		ok(t, s.CreateTransaction(ctx, tx))
		ids = append(ids, tx.ID)
	}
	sign := func(tx *coffer.Transaction, nonce uint64) (*coffer.TxAttempt, error) {
		w, err := s.Wallet(ctx, tx.From)
		if err != nil {
			return nil, err
		}
		if err := s.AppendAudit(ctx, &coffer.AuditRecord{Principal: "txm", Wallet: w.Address, KeyID: w.KeyID,
			Kind: "transaction", Digest: hashOf(tx.ID, nonce), ChainID: tx.ChainID, Outcome: "allowed"}); err != nil {
			return nil, err
		}
		return signer("nested")(tx, nonce)
	}
	done := make(chan error, n)
	for _, id := range ids {
		go func() {
			_, err := s.AssignNonce(ctx, id, sign)
			done <- err
		}()
	}
	timeout := time.After(60 * time.Second)
	for range n {
		select {
		case err := <-done:
			ok(t, err)
		case <-timeout:
			t.Fatal("AssignNonce with a sign that uses the store did not finish: deadlock")
		}
	}
	for i := range 3 {
		next, err := s.NextNonce(ctx, 1, address(i))
		ok(t, err)
		if next != n/3 {
			t.Fatalf("sender %d: next nonce %d, want %d", i, next, n/3)
		}
	}
	all := auditChain(t, s)
	if len(all) < n {
		t.Fatalf("%d audit records, want at least %d", len(all), n)
	}
	ok(t, coffer.VerifyAuditChain(all))
}

func testNextNonce(t *testing.T, s coffer.Store) {
	n, err := s.NextNonce(ctx, 1, address(1))
	ok(t, err)
	if n != 0 {
		t.Fatalf("fresh next nonce %d", n)
	}
	ok(t, s.SetNextNonce(ctx, 1, address(1), 42))
	ok(t, s.SetNextNonce(ctx, 2, address(1), 7))
	tx := newTx(1, address(1), "")
	ok(t, s.CreateTransaction(ctx, tx))
	got, err := s.AssignNonce(ctx, tx.ID, signer("r"))
	ok(t, err)
	if *got.Nonce != 42 {
		t.Fatalf("nonce %d after SetNextNonce(42)", *got.Nonce)
	}
	for _, c := range []struct {
		chain uint64
		want  uint64
	}{{1, 43}, {2, 7}, {3, 0}} {
		n, err := s.NextNonce(ctx, c.chain, address(1))
		ok(t, err)
		if n != c.want {
			t.Fatalf("chain %d: next %d, want %d", c.chain, n, c.want)
		}
	}
	ok(t, s.SetNextNonce(ctx, 1, address(1), 3)) // re-sync downwards
	n, _ = s.NextNonce(ctx, 1, address(1))
	if n != 3 {
		t.Fatalf("next %d after re-sync", n)
	}
}

func testAttemptsAndUpdates(t *testing.T, s coffer.Store) {
	tx := newTx(1, address(1), "")
	ok(t, s.CreateTransaction(ctx, tx))
	first, err := s.AssignNonce(ctx, tx.ID, signer("r1"))
	ok(t, err)
	h1 := *first.Hash
	h2 := hashOf("replacement")
	ok(t, s.AddAttempt(ctx, tx.ID, &coffer.TxAttempt{Kind: coffer.AttemptCancel, Hash: h2, Raw: []byte("r2"), FeeCap: big.NewInt(6e9), TipCap: big.NewInt(2e9),
		CreatedAt: time.Now().Add(time.Second)}))
	wantCode(t, s.AddAttempt(ctx, "tx_missing", &coffer.TxAttempt{Hash: h2}), coffer.ENOTFOUND)
	got, err := s.Transaction(ctx, tx.ID)
	ok(t, err)
	if *got.Hash != h2 || string(got.Raw) != "r2" || got.FeeCap.Int64() != 6e9 || len(got.Attempts) != 2 ||
		got.Attempts[0].Hash != h1 || got.Attempts[1].Hash != h2 || *got.Nonce != 0 ||
		got.Attempts[0].Kind != coffer.AttemptSend || got.Attempts[1].Kind != coffer.AttemptCancel || got.Gas != 21000 {
		t.Fatalf("after AddAttempt: %+v", got)
	}
	// Either attempt's hash finds the transaction.
	for _, h := range []common.Hash{h1, h2} {
		byHash, err := s.TransactionByHash(ctx, h)
		ok(t, err)
		if byHash.ID != tx.ID {
			t.Fatalf("by hash %s: %s", h, byHash.ID)
		}
	}
	_, err = s.TransactionByHash(ctx, hashOf("nothing"))
	wantCode(t, err, coffer.ENOTFOUND)

	// The first attempt was mined after all.
	ok(t, s.UpdateTransaction(ctx, tx.ID, coffer.TxUpdate{Status: coffer.TxMined, BlockNumber: ptr(uint64(10)),
		BlockHash: ptr(hashOf("block")), Hash: &h1, GasUsed: ptr(uint64(21000)), ContractAddress: ptr(address(5))}))
	now, err := s.Transaction(ctx, tx.ID)
	ok(t, err)
	lastEventIs(t, s, coffer.TransactionEvent(now)) // the older attempt's row, read back
	got, err = s.Transaction(ctx, tx.ID)
	ok(t, err)
	if got.Status != coffer.TxMined || *got.BlockNumber != 10 || *got.BlockHash != hashOf("block") || *got.Hash != h1 ||
		!bytes.Equal(got.Raw, first.Raw) || got.FeeCap.Int64() != 3e9 || *got.GasUsed != 21000 || *got.ContractAddress != address(5) ||
		got.Error != "" || !got.UpdatedAt.After(first.UpdatedAt.Add(-time.Second)) {
		t.Fatalf("after UpdateTransaction: %+v", got)
	}
	// The same hash again (the mined attempt is current now) keeps its
	// bytes and fees; a change without a status appends no event.
	events := func() int {
		evs, err := s.Events(ctx, coffer.EventFilter{Limit: 500})
		ok(t, err)
		return len(evs)
	}
	before := events()
	ok(t, s.UpdateTransaction(ctx, tx.ID, coffer.TxUpdate{Hash: &h1, GasUsed: ptr(uint64(21001))}))
	got, err = s.Transaction(ctx, tx.ID)
	ok(t, err)
	if got.Status != coffer.TxMined || *got.Hash != h1 || !bytes.Equal(got.Raw, first.Raw) || got.FeeCap.Int64() != 3e9 || *got.GasUsed != 21001 {
		t.Fatalf("after the same hash again: %+v", got)
	}
	if n := events(); n != before {
		t.Fatalf("%d events after an update without a status, want %d", n, before)
	}
	// Nil fields stay; an empty status stays.
	ok(t, s.UpdateTransaction(ctx, tx.ID, coffer.TxUpdate{Error: ptr("reverted")}))
	got, err = s.Transaction(ctx, tx.ID)
	ok(t, err)
	if got.Status != coffer.TxMined || got.Error != "reverted" || *got.BlockNumber != 10 {
		t.Fatalf("after partial update: %+v", got)
	}
	wantCode(t, s.UpdateTransaction(ctx, "tx_missing", coffer.TxUpdate{Status: coffer.TxFailed}), coffer.ENOTFOUND)
}

func testTransactionsByStatus(t *testing.T, s coffer.Store) {
	statuses := []string{coffer.TxQueued, coffer.TxPending, coffer.TxMined, coffer.TxPending, coffer.TxConfirmed, coffer.TxMined}
	for i, st := range statuses {
		tx := newTx(1, address(1), "")
		tx.ID = fmt.Sprintf("tx_%d", i)
		tx.Status = st
		tx.CreatedAt = tstamp(time.Duration(-i) * time.Minute) // later ids are older
		ok(t, s.CreateTransaction(ctx, tx))
	}
	other := newTx(2, address(1), "")
	other.Status = coffer.TxPending
	ok(t, s.CreateTransaction(ctx, other))
	txs, err := s.TransactionsByStatus(ctx, 1, []string{coffer.TxPending, coffer.TxMined}, 0)
	ok(t, err)
	var ids []string
	for _, tx := range txs {
		ids = append(ids, tx.ID)
	}
	same(t, "pending or mined, oldest first", ids, []string{"tx_5", "tx_3", "tx_2", "tx_1"})
	txs, err = s.TransactionsByStatus(ctx, 1, []string{coffer.TxPending, coffer.TxMined}, 2)
	ok(t, err)
	if len(txs) != 2 || txs[0].ID != "tx_5" {
		t.Fatalf("limited: %d", len(txs))
	}
	txs, err = s.TransactionsByStatus(ctx, 1, []string{coffer.TxFailed}, 0)
	ok(t, err)
	if len(txs) != 0 {
		t.Fatalf("failed: %d", len(txs))
	}
}

func newCollection(name string) (*coffer.Collection, *coffer.Transaction) {
	c := &coffer.Collection{ChainID: 1, Name: name, Symbol: "SYM", BaseURI: "ipfs://x/", Minter: address(100)}
	tx := newTx(1, address(100), "")
	tx.Kind, tx.To = coffer.KindDeploy, nil
	return c, tx
}

func testCollections(t *testing.T, s coffer.Store) {
	var made []*coffer.Collection
	for i := range 5 {
		c, tx := newCollection(fmt.Sprint("c", i))
		c.CreatedAt = tstamp(time.Duration(i) * time.Second)
		ok(t, s.CreateCollection(ctx, c, tx))
		if c.ID[:4] != "col_" || c.TxID != tx.ID || c.Status != coffer.CollectionPending {
			t.Fatalf("created %+v", c)
		}
		made = append(made, c)
	}
	c := made[0]
	got, err := s.Collection(ctx, c.ID)
	ok(t, err)
	same(t, "collection", got, c)
	got, err = s.CollectionByTx(ctx, c.TxID)
	ok(t, err)
	same(t, "collection by tx", got, c)
	tx, err := s.Transaction(ctx, c.TxID)
	ok(t, err)
	if tx.Kind != coffer.KindDeploy || tx.Status != coffer.TxQueued {
		t.Fatalf("deploy tx %+v", tx)
	}
	_, err = s.Collection(ctx, "col_missing")
	wantCode(t, err, coffer.ENOTFOUND)
	_, err = s.CollectionByAddress(ctx, 1, address(50))
	wantCode(t, err, coffer.ENOTFOUND)

	ok(t, s.UpdateCollection(ctx, c.ID, coffer.CollectionDeployed, ptr(address(50))))
	got, err = s.CollectionByAddress(ctx, 1, address(50))
	ok(t, err)
	if got.ID != c.ID || got.Status != coffer.CollectionDeployed || *got.Address != address(50) {
		t.Fatalf("deployed %+v", got)
	}
	_, err = s.CollectionByAddress(ctx, 2, address(50))
	wantCode(t, err, coffer.ENOTFOUND)
	ok(t, s.UpdateCollection(ctx, c.ID, "", nil)) // nothing changes
	got, _ = s.Collection(ctx, c.ID)
	if got.Status != coffer.CollectionDeployed || got.Address == nil {
		t.Fatalf("after empty update %+v", got)
	}
	wantCode(t, s.UpdateCollection(ctx, made[1].ID, coffer.CollectionDeployed, ptr(address(50))), coffer.ECONFLICT)
	wantCode(t, s.UpdateCollection(ctx, "col_missing", coffer.CollectionFailed, nil), coffer.ENOTFOUND)

	var listed []string
	cursor := ""
	for {
		cs, next, err := s.Collections(ctx, 2, cursor)
		ok(t, err)
		for _, c := range cs {
			listed = append(listed, c.Name)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	same(t, "collections newest first", listed, []string{"c4", "c3", "c2", "c1", "c0"})

	// TotalMinted counts mints whose token id is known, once each: a token
	// id learnt again (another receipt, a reorg) or a status change alone
	// does not count again, through UpdateMint or a mint's transaction.
	var ids, txIDs []string
	for i := range 4 {
		m, mtx := newMint(c.ID, "")
		ok(t, s.CreateMint(ctx, m, mtx))
		ids, txIDs = append(ids, m.ID), append(txIDs, mtx.ID)
		if i < 2 {
			ok(t, s.UpdateMint(ctx, m.ID, coffer.MintUpdate{Status: coffer.MintMined, TokenID: big.NewInt(int64(i + 1))}))
		}
	}
	ok(t, s.UpdateMint(ctx, ids[0], coffer.MintUpdate{Status: coffer.MintConfirmed, TokenID: big.NewInt(9)}))
	_, err = s.UpdateTransactions(ctx, []coffer.TxChange{
		{ID: txIDs[1], Update: coffer.TxUpdate{Status: coffer.TxConfirmed}},
		{ID: txIDs[2], Update: coffer.TxUpdate{Status: coffer.TxPending}},
	})
	ok(t, err)
	got, err = s.Collection(ctx, c.ID)
	ok(t, err)
	if got.TotalMinted != 2 {
		t.Fatalf("TotalMinted = %d, want 2", got.TotalMinted)
	}
	ok(t, s.UpdateTransaction(ctx, txIDs[2], coffer.TxUpdate{Status: coffer.TxMined, TokenID: big.NewInt(3)}))
	if got, _ = s.Collection(ctx, c.ID); got.TotalMinted != 3 {
		t.Fatalf("TotalMinted = %d after a third token, want 3", got.TotalMinted)
	}
	ok(t, s.UpdateTransaction(ctx, txIDs[2], coffer.TxUpdate{Status: coffer.TxConfirmed, TokenID: big.NewInt(3)}))
	if got, _ = s.Collection(ctx, c.ID); got.TotalMinted != 3 {
		t.Fatalf("TotalMinted = %d after the third token was seen again, want 3", got.TotalMinted)
	}
	page, _, err := s.Collections(ctx, 10, "")
	ok(t, err)
	for _, l := range page {
		if l.ID == c.ID && l.TotalMinted != 3 {
			t.Fatalf("listed TotalMinted = %d, want 3", l.TotalMinted)
		}
	}
}

func testCollectionAtomic(t *testing.T, s coffer.Store) {
	c, tx := newCollection("first")
	tx.IdempotencyKey = "user:1:deploy"
	ok(t, s.CreateCollection(ctx, c, tx))
	c2, tx2 := newCollection("second")
	tx2.IdempotencyKey = "user:1:deploy"
	c2.ID = "col_second"
	wantCode(t, s.CreateCollection(ctx, c2, tx2), coffer.ECONFLICT)
	_, err := s.Collection(ctx, "col_second")
	wantCode(t, err, coffer.ENOTFOUND)
	// A taken collection id leaves no transaction behind either.
	c3, tx3 := newCollection("third")
	c3.ID, tx3.ID = c.ID, "tx_orphan"
	wantCode(t, s.CreateCollection(ctx, c3, tx3), coffer.ECONFLICT)
	_, err = s.Transaction(ctx, "tx_orphan")
	wantCode(t, err, coffer.ENOTFOUND)
}

func newMint(collectionID, key string) (*coffer.Mint, *coffer.Transaction) {
	m := &coffer.Mint{CollectionID: collectionID, OwnerID: "usr_1", To: address(3), TokenURI: "ipfs://meta",
		Metadata: json.RawMessage(`{"name":"x","attributes":[1,2]}`), IdempotencyKey: key, RequestHash: []byte("rh")}
	tx := newTx(1, address(100), key)
	tx.Kind = coffer.KindMint
	return m, tx
}

func testMints(t *testing.T, s coffer.Store) {
	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	m, tx := newMint(c.ID, "user:1:m1")
	m.CreatedAt = tstamp(0)
	ok(t, s.CreateMint(ctx, m, tx))
	if m.ID[:5] != "mint_" || m.TxID != tx.ID || m.Status != coffer.MintQueued {
		t.Fatalf("created %+v", m)
	}
	got, err := s.Mint(ctx, m.ID)
	ok(t, err)
	same(t, "mint", got, m)
	got, err = s.MintByIdempotencyKey(ctx, "user:1:m1")
	ok(t, err)
	same(t, "mint by key", got, m)
	got, err = s.MintByTx(ctx, tx.ID)
	ok(t, err)
	same(t, "mint by tx", got, m)
	for _, err := range []error{
		func() error { _, err := s.Mint(ctx, "mint_missing"); return err }(),
		func() error { _, err := s.MintByIdempotencyKey(ctx, "nope"); return err }(),
		func() error { _, err := s.MintByTx(ctx, "tx_missing"); return err }(),
	} {
		wantCode(t, err, coffer.ENOTFOUND)
	}

	h := hashOf("mint tx")
	ok(t, s.UpdateMint(ctx, m.ID, coffer.MintUpdate{Status: coffer.MintConfirmed, TxHash: &h, TokenID: maxU256}))
	got, err = s.Mint(ctx, m.ID)
	ok(t, err)
	if got.Status != coffer.MintConfirmed || *got.TxHash != h || got.TokenID.Cmp(maxU256) != 0 || got.Error != "" ||
		got.UpdatedAt.Before(got.CreatedAt) {
		t.Fatalf("updated mint %+v", got)
	}
	ok(t, s.UpdateMint(ctx, m.ID, coffer.MintUpdate{Error: ptr("boom")}))
	got, _ = s.Mint(ctx, m.ID)
	if got.Status != coffer.MintConfirmed || got.Error != "boom" || got.TokenID.Cmp(maxU256) != 0 {
		t.Fatalf("partially updated mint %+v", got)
	}
	// A late report from a process that saw the transaction earlier cannot
	// move a confirmed mint back.
	ok(t, s.UpdateMint(ctx, m.ID, coffer.MintUpdate{Status: coffer.MintPending, TxHash: &h}))
	if got, _ = s.Mint(ctx, m.ID); got.Status != coffer.MintConfirmed {
		t.Fatalf("confirmed mint moved back to %s", got.Status)
	}
	wantCode(t, s.UpdateMint(ctx, "mint_missing", coffer.MintUpdate{Status: coffer.MintFailed}), coffer.ENOTFOUND)

	// A mint of a collection that does not exist is refused.
	bad, btx := newMint("col_missing", "")
	if err := s.CreateMint(ctx, bad, btx); err == nil {
		t.Fatal("mint of a missing collection was accepted")
	}
}

func testMintList(t *testing.T, s coffer.Store) {
	c1, ctx1 := newCollection("c1")
	ok(t, s.CreateCollection(ctx, c1, ctx1))
	c2, ctx2 := newCollection("c2")
	ok(t, s.CreateCollection(ctx, c2, ctx2))
	for i := range 9 {
		col := c1.ID
		if i%2 == 1 {
			col = c2.ID
		}
		m, tx := newMint(col, "")
		m.ID = fmt.Sprintf("mint_%02d", i)
		m.CreatedAt = tstamp(time.Duration(i/3) * time.Minute) // ties broken by id
		if i%3 == 0 {
			m.OwnerID = "usr_other"
		}
		ok(t, s.CreateMint(ctx, m, tx))
	}
	ok(t, s.UpdateMint(ctx, "mint_04", coffer.MintUpdate{Status: coffer.MintFailed}))
	ids := func(f coffer.MintFilter) []string {
		t.Helper()
		var out []string
		for page := 0; ; page++ {
			ms, next, err := s.Mints(ctx, f)
			ok(t, err)
			if f.Limit > 0 && len(ms) > f.Limit {
				t.Fatalf("page of %d > limit %d", len(ms), f.Limit)
			}
			for _, m := range ms {
				if m.Metadata != nil {
					t.Fatalf("listed mint %s carries its metadata", m.ID)
				}
				out = append(out, m.ID)
			}
			if next == "" || page > 20 {
				return out
			}
			f.Cursor = next
		}
	}
	same(t, "all", ids(coffer.MintFilter{Limit: 2}), []string{"mint_08", "mint_07", "mint_06", "mint_05", "mint_04", "mint_03", "mint_02", "mint_01", "mint_00"})
	same(t, "owner", ids(coffer.MintFilter{OwnerID: "usr_other", Limit: 1}), []string{"mint_06", "mint_03", "mint_00"})
	same(t, "owner, paged", ids(coffer.MintFilter{OwnerID: "usr_1", Limit: 4}), []string{"mint_08", "mint_07", "mint_05", "mint_04", "mint_02", "mint_01"})
	same(t, "collection", ids(coffer.MintFilter{CollectionID: c2.ID, Limit: 3}), []string{"mint_07", "mint_05", "mint_03", "mint_01"})
	same(t, "owner and collection", ids(coffer.MintFilter{OwnerID: "usr_other", CollectionID: c2.ID}), []string{"mint_03"})
	same(t, "status", ids(coffer.MintFilter{Status: coffer.MintFailed}), []string{"mint_04"})
	same(t, "queued", ids(coffer.MintFilter{Status: coffer.MintQueued, OwnerID: "usr_other"}), []string{"mint_06", "mint_03", "mint_00"})
	same(t, "no such owner", ids(coffer.MintFilter{OwnerID: "usr_none"}), []string(nil))
	_, _, err := s.Mints(ctx, coffer.MintFilter{Cursor: "%%%"})
	wantCode(t, err, coffer.EINVALID)

	// A listed mint is the stored one without its metadata.
	ms, next, err := s.Mints(ctx, coffer.MintFilter{})
	ok(t, err)
	if len(ms) != 9 || next != "" {
		t.Fatalf("default limit: %d rows, next %q", len(ms), next)
	}
	full, err := s.Mint(ctx, ms[0].ID)
	ok(t, err)
	if full.Metadata == nil {
		t.Fatal("stored mint has no metadata")
	}
	full.Metadata = nil
	same(t, "listed mint", ms[0], full)
}

func testMintListLimit(t *testing.T, s coffer.Store) {
	if testing.Short() {
		t.Skip("short")
	}
	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	// 501 rows: the default page is 50 and the cap 500.
	for i := range 501 {
		m, tx := newMint(c.ID, "")
		m.ID = fmt.Sprintf("mint_%04d", i)
		m.CreatedAt = tstamp(0)
		ok(t, s.CreateMint(ctx, m, tx))
	}
	ms, next, err := s.Mints(ctx, coffer.MintFilter{Limit: -1})
	ok(t, err)
	if len(ms) != 50 || next == "" || ms[0].ID != "mint_0500" {
		t.Fatalf("default page: %d rows, next %q", len(ms), next)
	}
	ms, next, err = s.Mints(ctx, coffer.MintFilter{Limit: 10000})
	ok(t, err)
	if len(ms) != 500 || next == "" {
		t.Fatalf("capped page: %d rows, next %q", len(ms), next)
	}
	ms, next, err = s.Mints(ctx, coffer.MintFilter{Limit: 10000, Cursor: next})
	ok(t, err)
	if len(ms) != 1 || next != "" || ms[0].ID != "mint_0000" {
		t.Fatalf("last page: %d rows, next %q", len(ms), next)
	}
	ms, next, err = s.Mints(ctx, coffer.MintFilter{Limit: 1, OwnerID: "usr_1", CollectionID: c.ID, Status: coffer.MintQueued})
	ok(t, err)
	if len(ms) != 1 || next == "" || ms[0].ID != "mint_0500" {
		t.Fatalf("page of one: %d rows, next %q", len(ms), next)
	}
}

func testMintIdempotency(t *testing.T, s coffer.Store) {
	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	m, tx := newMint(c.ID, "user:1:k")
	ok(t, s.CreateMint(ctx, m, tx))
	m2, tx2 := newMint(c.ID, "user:1:k")
	tx2.IdempotencyKey = "user:1:k-tx" // only the mint's key is taken
	wantCode(t, s.CreateMint(ctx, m2, tx2), coffer.ECONFLICT)
	_, err := s.TransactionByIdempotencyKey(ctx, "user:1:k-tx")
	wantCode(t, err, coffer.ENOTFOUND)
	txs, _, err := s.Transactions(ctx, coffer.TxFilter{Kind: coffer.KindMint})
	ok(t, err)
	if len(txs) != 1 {
		t.Fatalf("%d mint transactions after a refused duplicate", len(txs))
	}
	// Mints without keys do not conflict.
	for range 2 {
		m, tx := newMint(c.ID, "")
		ok(t, s.CreateMint(ctx, m, tx))
	}
}

func testTransfers(t *testing.T, s coffer.Store) {
	n, h, err := s.IndexCursor(ctx, 1)
	ok(t, err)
	if n != 0 || h != (common.Hash{}) {
		t.Fatalf("fresh cursor %d %s", n, h)
	}
	contract := address(50)
	mintTx := hashOf("mint")
	batch1 := []coffer.Transfer{
		{ChainID: 1, Contract: contract, TokenID: maxU256, From: common.Address{}, To: address(1), TxHash: mintTx,
			BlockNumber: 10, BlockHash: hashOf("b10"), TokenURI: "ipfs://tok"},
		{ChainID: 1, Contract: contract, TokenID: big.NewInt(7), From: common.Address{}, To: address(1), TxHash: hashOf("mint7"),
			BlockNumber: 10, BlockHash: hashOf("b10"), LogIndex: 1},
	}
	ok(t, s.ApplyTransfers(ctx, 1, batch1, 12, hashOf("b12")))
	ok(t, s.ApplyTransfers(ctx, 1, batch1, 12, hashOf("b12"))) // replay is harmless
	n, h, err = s.IndexCursor(ctx, 1)
	ok(t, err)
	if n != 12 || h != hashOf("b12") {
		t.Fatalf("cursor %d %s", n, h)
	}
	tok, err := s.Token(ctx, 1, contract, maxU256)
	ok(t, err)
	if tok.Owner != address(1) || tok.MintTxHash == nil || *tok.MintTxHash != mintTx || tok.BlockNumber != 10 ||
		tok.TokenID.Cmp(maxU256) != 0 || tok.Contract != contract || tok.ChainID != 1 || tok.TokenURI != "ipfs://tok" {
		t.Fatalf("minted token %+v", tok)
	}
	if tok, _ := s.Token(ctx, 1, contract, big.NewInt(7)); tok.TokenURI != "" {
		t.Fatalf("token minted without a known uri: %+v", tok)
	}
	batch2 := []coffer.Transfer{{ChainID: 1, Contract: contract, TokenID: maxU256, From: address(1), To: address(2),
		TxHash: hashOf("xfer"), BlockNumber: 15, BlockHash: hashOf("b15")}}
	ok(t, s.ApplyTransfers(ctx, 1, batch2, 15, hashOf("b15")))
	ok(t, s.ApplyTransfers(ctx, 1, batch2, 15, hashOf("b15")))
	tok, err = s.Token(ctx, 1, contract, maxU256)
	ok(t, err)
	if tok.Owner != address(2) || *tok.MintTxHash != mintTx || tok.BlockNumber != 15 || tok.TokenURI != "ipfs://tok" {
		t.Fatalf("transferred token %+v", tok)
	}
	// An empty batch still moves the cursor; other chains are separate.
	ok(t, s.ApplyTransfers(ctx, 1, nil, 20, hashOf("b20")))
	ok(t, s.ApplyTransfers(ctx, 2, nil, 3, hashOf("c3")))
	n, h, _ = s.IndexCursor(ctx, 1)
	if n != 20 || h != hashOf("b20") {
		t.Fatalf("cursor %d %s", n, h)
	}
	n, _, _ = s.IndexCursor(ctx, 2)
	if n != 3 {
		t.Fatalf("chain 2 cursor %d", n)
	}
	_, err = s.Token(ctx, 2, contract, maxU256)
	wantCode(t, err, coffer.ENOTFOUND)

	// Block hashes the cursor passed are kept, where the store exposes them.
	if bh, okk := s.(interface {
		BlockHash(context.Context, uint64, uint64) (common.Hash, error)
	}); okk {
		for num, want := range map[uint64]common.Hash{10: hashOf("b10"), 12: hashOf("b12"), 20: hashOf("b20")} {
			got, err := bh.BlockHash(ctx, 1, num)
			ok(t, err)
			if got != want {
				t.Fatalf("block %d hash %s", num, got)
			}
		}
		_, err := bh.BlockHash(ctx, 1, 11)
		wantCode(t, err, coffer.ENOTFOUND)
	}
}

func testTokenList(t *testing.T, s coffer.Store) {
	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	colAddr, other := address(50), address(51)
	ok(t, s.UpdateCollection(ctx, c.ID, coffer.CollectionDeployed, &colAddr))
	ids := []*big.Int{big.NewInt(10), big.NewInt(2), maxU256, big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 70)}
	var ts []coffer.Transfer
	for i, id := range ids {
		to := address(1)
		if i%2 == 1 {
			to = address(2)
		}
		ts = append(ts, coffer.Transfer{Contract: colAddr, TokenID: id, To: to, TxHash: hashOf(i), BlockNumber: 5})
	}
	ts = append(ts, coffer.Transfer{Contract: other, TokenID: big.NewInt(3), To: address(1), TxHash: hashOf("o"), BlockNumber: 5})
	ok(t, s.ApplyTransfers(ctx, 1, ts, 5, hashOf("b5")))
	ok(t, s.ApplyTransfers(ctx, 2, []coffer.Transfer{{Contract: colAddr, TokenID: big.NewInt(1), To: address(1), BlockNumber: 1}},
		1, hashOf("c1")))

	list := func(f coffer.TokenFilter) []string {
		t.Helper()
		var out []string
		for page := 0; ; page++ {
			toks, next, err := s.Tokens(ctx, f)
			ok(t, err)
			for _, tok := range toks {
				out = append(out, fmt.Sprintf("%d/%d/%s", tok.ChainID, tok.Contract[19]-0x30, tok.TokenID))
			}
			if next == "" || page > 20 {
				return out
			}
			f.Cursor = next
		}
	}
	// Rows read chain/contract/token id, where contract address(50) prints as 2
	// and address(51) as 3; token ids must come in numeric order.
	top := maxU256.String()
	same(t, "collection", list(coffer.TokenFilter{CollectionID: c.ID, Limit: 2}),
		[]string{"1/2/1", "1/2/2", "1/2/10", "1/2/1180591620717411303424", "1/2/" + top})
	same(t, "owner", list(coffer.TokenFilter{Owner: ptr(address(1)), ChainID: 1, Limit: 1}),
		[]string{"1/2/10", "1/2/1180591620717411303424", "1/2/" + top, "1/3/3"})
	same(t, "contract, all chains", list(coffer.TokenFilter{Contract: &colAddr, Owner: ptr(address(1))}),
		[]string{"1/2/10", "1/2/1180591620717411303424", "1/2/" + top, "2/2/1"})
	same(t, "chain 2", list(coffer.TokenFilter{ChainID: 2}), []string{"2/2/1"})
	_, _, err := s.Tokens(ctx, coffer.TokenFilter{Cursor: "nope"})
	wantCode(t, err, coffer.EINVALID)
}

func testResetChainState(t *testing.T, s coffer.Store) {
	u := &coffer.User{Issuer: "siwe", Subject: "a"}
	ok(t, s.CreateUser(ctx, u))
	ok(t, s.CreateAPIKey(ctx, &coffer.APIKey{ID: "ck", Name: "n", Hash: []byte{1}}))
	se := &coffer.Session{UserID: u.ID, RefreshHash: []byte{1}, ExpiresAt: time.Now().Add(time.Hour)}
	ok(t, s.CreateSession(ctx, se))
	ok(t, s.PutKey(ctx, &coffer.KeyRecord{ID: "k", Backend: coffer.BackendLocal, Address: address(1)}))
	ok(t, s.CreateWallet(ctx, &coffer.Wallet{Address: address(1), Backend: coffer.BackendLocal, KeyID: "k"}))
	ok(t, s.SetMeta(ctx, "genesis", "g"))
	ok(t, s.AppendAudit(ctx, &coffer.AuditRecord{Kind: "hash", Outcome: "allowed"}))

	c, ctx0 := newCollection("c")
	ok(t, s.CreateCollection(ctx, c, ctx0))
	m, mtx := newMint(c.ID, "k1")
	ok(t, s.CreateMint(ctx, m, mtx))
	_, err := s.AssignNonce(ctx, mtx.ID, signer("r"))
	ok(t, err)
	ok(t, s.ApplyTransfers(ctx, 1, []coffer.Transfer{{Contract: address(50), TokenID: big.NewInt(1), To: address(1)}}, 9, hashOf(9)))

	ok(t, s.ResetChainState(ctx))

	for what, err := range map[string]error{
		"collection": func() error { _, err := s.Collection(ctx, c.ID); return err }(),
		"mint":       func() error { _, err := s.Mint(ctx, m.ID); return err }(),
		"tx":         func() error { _, err := s.Transaction(ctx, mtx.ID); return err }(),
		"token":      func() error { _, err := s.Token(ctx, 1, address(50), big.NewInt(1)); return err }(),
	} {
		if !coffer.IsNotFound(err) {
			t.Fatalf("%s survived the reset: %v", what, err)
		}
	}
	if n, _ := s.NextNonce(ctx, 1, address(100)); n != 0 {
		t.Fatalf("nonce survived: %d", n)
	}
	if n, _, _ := s.IndexCursor(ctx, 1); n != 0 {
		t.Fatalf("cursor survived: %d", n)
	}
	if bh, okk := s.(interface {
		BlockHash(context.Context, uint64, uint64) (common.Hash, error)
	}); okk {
		_, err := bh.BlockHash(ctx, 1, 9)
		wantCode(t, err, coffer.ENOTFOUND)
	}
	// Everything that does not refer to the chain stays.
	_, err = s.User(ctx, u.ID)
	ok(t, err)
	_, err = s.APIKey(ctx, "ck")
	ok(t, err)
	_, err = s.Session(ctx, se.ID)
	ok(t, err)
	_, err = s.Key(ctx, "k")
	ok(t, err)
	_, err = s.Wallet(ctx, address(1))
	ok(t, err)
	_, err = s.Meta(ctx, "genesis")
	ok(t, err)
	recs, _, err := s.AuditRecords(ctx, coffer.AuditFilter{})
	ok(t, err)
	if len(recs) != 1 {
		t.Fatalf("audit records after reset: %d", len(recs))
	}
	// The same idempotency key can be used again on the new chain.
	m2, mtx2 := newMint("", "k1")
	c2, ctx2 := newCollection("c2")
	ok(t, s.CreateCollection(ctx, c2, ctx2))
	m2.CollectionID = c2.ID
	ok(t, s.CreateMint(ctx, m2, mtx2))
}

// auditChain reads every record in ascending order.
func auditChain(t testing.TB, s coffer.Store) []*coffer.AuditRecord {
	t.Helper()
	if ac, okk := s.(AuditChainer); okk {
		var all []*coffer.AuditRecord
		var after int64
		for {
			recs, err := ac.AuditChain(ctx, after, 7) // small pages exercise afterSeq
			ok(t, err)
			if len(recs) == 0 {
				return all
			}
			all = append(all, recs...)
			after = recs[len(recs)-1].Seq
		}
	}
	var all []*coffer.AuditRecord
	f := coffer.AuditFilter{Limit: 500}
	for {
		recs, next, err := s.AuditRecords(ctx, f)
		ok(t, err)
		all = append(all, recs...)
		if next == "" {
			break
		}
		f.Cursor = next
	}
	slices.Reverse(all)
	return all
}

// AuditAppendRace appends n records from concurrent goroutines spread over
// stores and verifies the resulting chain.
func AuditAppendRace(t testing.TB, n int, stores ...coffer.Store) {
	before := len(auditChain(t, stores[0]))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			r := &coffer.AuditRecord{Time: time.Now(), Principal: fmt.Sprint("user:", i%3), Wallet: address(i % 4),
				KeyID: "k", Kind: "transaction", Digest: hashOf(i), ChainID: 1, To: ptr(address(9)), Value: maxU256,
				RequestID: fmt.Sprint("req", i), Outcome: "allowed"}
			if i%5 == 0 {
				r.To, r.Value, r.Kind, r.Outcome = nil, nil, "message", "refused: rule"
			}
			errs <- stores[i%len(stores)].AppendAudit(ctx, r)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	all := auditChain(t, stores[0])
	if len(all) != before+n {
		t.Fatalf("%d records, want %d", len(all), before+n)
	}
	ok(t, coffer.VerifyAuditChain(all))
}

func testAuditChain(t *testing.T, s coffer.Store) {
	r := &coffer.AuditRecord{Time: tstamp(0), Principal: "apikey:ops", Wallet: address(1), KeyID: "k1", Kind: "hash",
		Digest: hashOf("d"), ChainID: 1 << 40, Outcome: "allowed"}
	ok(t, s.AppendAudit(ctx, r))
	if r.Seq != 1 || len(r.PrevHash) != 0 || len(r.Hash) != 32 || r.Time.Location() != time.UTC {
		t.Fatalf("first record %+v", r)
	}
	recs, _, err := s.AuditRecords(ctx, coffer.AuditFilter{})
	ok(t, err)
	same(t, "audit record", recs, []*coffer.AuditRecord{r})

	AuditAppendRace(t, 50, s)
	all := auditChain(t, s)
	if len(all) != 51 {
		t.Fatalf("%d records", len(all))
	}

	ex, okk := s.(Execer)
	if !okk {
		t.Log("store has no Exec: tampering not tested")
		return
	}
	_, err = ex.Exec(ctx, `UPDATE audit_log SET outcome = 'allowed (edited)' WHERE seq = 17`)
	ok(t, err)
	err = coffer.VerifyAuditChain(auditChain(t, s))
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("17")) {
		t.Fatalf("tampered chain verified: %v", err)
	}
	// Restored, it verifies again; deleting a record is caught too.
	_, err = ex.Exec(ctx, `UPDATE audit_log SET outcome = $1 WHERE seq = 17`, all[16].Outcome)
	ok(t, err)
	ok(t, coffer.VerifyAuditChain(auditChain(t, s)))
	_, err = ex.Exec(ctx, `DELETE FROM audit_log WHERE seq = 30`)
	ok(t, err)
	if coffer.VerifyAuditChain(auditChain(t, s)) == nil {
		t.Fatal("chain with a deleted record verified")
	}
}

func testAuditList(t *testing.T, s coffer.Store) {
	base := tstamp(0)
	for i := range 12 {
		r := &coffer.AuditRecord{Time: base.Add(time.Duration(i) * time.Minute), Principal: fmt.Sprint("user:", i%2),
			Wallet: address(i % 3), Kind: []string{"transaction", "message"}[i%2], Digest: hashOf(i), Outcome: "allowed"}
		ok(t, s.AppendAudit(ctx, r))
	}
	seqs := func(f coffer.AuditFilter) []int64 {
		t.Helper()
		var out []int64
		for page := 0; ; page++ {
			recs, next, err := s.AuditRecords(ctx, f)
			ok(t, err)
			for _, r := range recs {
				out = append(out, r.Seq)
			}
			if next == "" || page > 20 {
				return out
			}
			f.Cursor = next
		}
	}
	same(t, "all", seqs(coffer.AuditFilter{Limit: 5}), []int64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1})
	same(t, "wallet", seqs(coffer.AuditFilter{Wallet: ptr(address(1)), Limit: 2}), []int64{11, 8, 5, 2})
	same(t, "principal+kind", seqs(coffer.AuditFilter{Principal: "user:1", Kind: "message", Limit: 2}), []int64{12, 10, 8, 6, 4, 2})
	same(t, "since", seqs(coffer.AuditFilter{Since: ptr(base.Add(9 * time.Minute))}), []int64{12, 11, 10})
	same(t, "kind none", seqs(coffer.AuditFilter{Kind: "typed_data"}), []int64(nil))
	_, _, err := s.AuditRecords(ctx, coffer.AuditFilter{Cursor: "x"})
	wantCode(t, err, coffer.EINVALID)
}

func testSignedTransaction(t *testing.T, s coffer.Store) {
	h := hashOf("raw1")
	tx := newTx(1, address(7), "")
	tx.Kind, tx.Nonce, tx.Hash, tx.Raw = coffer.KindRaw, ptr(uint64(41)), &h, []byte("signed")
	ok(t, s.CreateSignedTransaction(ctx, tx))
	got, err := s.Transaction(ctx, tx.ID)
	ok(t, err)
	if got.Status != coffer.TxPending || *got.Nonce != 41 || *got.Hash != h || string(got.Raw) != "signed" ||
		len(got.Attempts) != 1 || got.Attempts[0].Hash != h || got.Attempts[0].FeeCap.Int64() != 2e9 {
		t.Fatalf("signed transaction: %+v", got)
	}
	// The sender's managed nonce is untouched.
	if n, err := s.NextNonce(ctx, 1, address(7)); err != nil || n != 0 {
		t.Fatalf("next nonce %d, %v", n, err)
	}
	// The same signed transaction again is a conflict.
	again := newTx(1, address(7), "")
	again.Kind, again.Nonce, again.Hash, again.Raw = coffer.KindRaw, ptr(uint64(41)), &h, []byte("signed")
	wantCode(t, s.CreateSignedTransaction(ctx, again), coffer.ECONFLICT)
	// Incomplete ones are refused.
	bad := newTx(1, address(7), "")
	bad.Kind = coffer.KindRaw
	wantCode(t, s.CreateSignedTransaction(ctx, bad), coffer.EINVALID)
	byHash, err := s.TransactionByHash(ctx, h)
	ok(t, err)
	if byHash.ID != tx.ID {
		t.Fatalf("by hash: %s", byHash.ID)
	}
}

func testCancelQueued(t *testing.T, s coffer.Store) {
	q := newTx(1, address(1), "")
	ok(t, s.CreateTransaction(ctx, q))
	ok(t, s.CancelQueued(ctx, q.ID))
	got, err := s.Transaction(ctx, q.ID)
	ok(t, err)
	if got.Status != coffer.TxCancelled {
		t.Fatalf("status %s", got.Status)
	}
	// A cancelled transaction never gets a nonce.
	_, err = s.AssignNonce(ctx, q.ID, signer("r"))
	wantCode(t, err, coffer.ECONFLICT)
	wantCode(t, s.CancelQueued(ctx, q.ID), coffer.ECONFLICT)

	p := newTx(1, address(1), "")
	ok(t, s.CreateTransaction(ctx, p))
	_, err = s.AssignNonce(ctx, p.ID, signer("r"))
	ok(t, err)
	wantCode(t, s.CancelQueued(ctx, p.ID), coffer.ECONFLICT)
	wantCode(t, s.CancelQueued(ctx, "tx_missing"), coffer.ENOTFOUND)
	if n, _ := s.NextNonce(ctx, 1, address(1)); n != 1 {
		t.Fatalf("next nonce %d", n)
	}
}
