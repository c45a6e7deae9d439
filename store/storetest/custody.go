package storetest

import (
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
)

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }

func testWalletPolicy(t *testing.T, s coffer.Store) {
	p, err := s.WalletPolicy(ctx, address(1))
	ok(t, err)
	if !p.IsZero() {
		t.Fatalf("policy of a wallet without one: %+v", p)
	}
	full := &coffer.Policy{
		ChainIDs: []uint64{1, 1 << 40}, To: []common.Address{address(2), address(3)},
		MaxValuePerTx: eth(2), MaxValuePerDay: maxU256, RawHash: coffer.RawHashOwners,
		TypedDataDomains: []coffer.DomainRule{{Name: "Permit"}, {VerifyingContract: ptr(address(4)), ChainID: ptr(uint64(5))}},
	}
	ok(t, s.SetWalletPolicy(ctx, address(1), full))
	got, err := s.WalletPolicy(ctx, address(1))
	ok(t, err)
	same(t, "policy", got, full)

	// Set-but-empty lists stay apart from unset ones.
	empty := &coffer.Policy{ChainIDs: []uint64{}, To: []common.Address{}}
	ok(t, s.SetWalletPolicy(ctx, address(1), empty))
	got, err = s.WalletPolicy(ctx, address(1))
	ok(t, err)
	if got.ChainIDs == nil || len(got.ChainIDs) != 0 || got.To == nil || got.TypedDataDomains != nil || got.MaxValuePerTx != nil {
		t.Fatalf("empty lists: %+v", got)
	}
	// A zero policy removes it.
	ok(t, s.SetWalletPolicy(ctx, address(1), &coffer.Policy{}))
	got, err = s.WalletPolicy(ctx, address(1))
	ok(t, err)
	if !got.IsZero() {
		t.Fatalf("after removal: %+v", got)
	}
}

func testSpends(t *testing.T, s coffer.Store) {
	base := time.Now().UTC().Add(-48 * time.Hour)
	at := func(d time.Duration) time.Time { return base.Add(d) }
	res := func(nonce uint64, v *big.Int, when time.Time, limit *big.Int) (bool, *big.Int) {
		t.Helper()
		okk, prior, err := s.ReserveSpend(ctx, &coffer.Spend{Wallet: address(1), ChainID: 1, Nonce: nonce, Value: v, Time: when}, limit, coffer.SpendWindow)
		ok(t, err)
		return okk, prior
	}
	limit := eth(3)
	if okk, prior := res(0, eth(1), at(0), limit); !okk || prior.Sign() != 0 {
		t.Fatal("first spend refused")
	}
	if okk, prior := res(1, eth(2), at(time.Hour), limit); !okk || prior.Cmp(eth(1)) != 0 {
		t.Fatalf("second spend: %v %v", okk, prior)
	}
	if okk, prior := res(2, big.NewInt(1), at(2*time.Hour), limit); okk || prior.Cmp(eth(3)) != 0 {
		t.Fatalf("spend over the limit: %v %v", okk, prior)
	}
	// A replacement at the same nonce counts once, at its largest value.
	if okk, _ := res(1, eth(2), at(3*time.Hour), limit); !okk {
		t.Fatal("replacement at the same nonce refused")
	}
	if okk, _ := res(1, big.NewInt(0), at(3*time.Hour), limit); !okk {
		t.Fatal("cancellation at the same nonce refused")
	}
	if okk, _ := res(1, eth(3), at(3*time.Hour), limit); okk {
		t.Fatal("a larger replacement over the limit was allowed")
	}
	// Other chains and wallets have their own budget.
	okk, _, err := s.ReserveSpend(ctx, &coffer.Spend{Wallet: address(1), ChainID: 2, Nonce: 0, Value: eth(3), Time: at(0)}, limit, coffer.SpendWindow)
	ok(t, err)
	okk2, _, err := s.ReserveSpend(ctx, &coffer.Spend{Wallet: address(2), ChainID: 1, Nonce: 0, Value: eth(3), Time: at(0)}, limit, coffer.SpendWindow)
	ok(t, err)
	if !okk || !okk2 {
		t.Fatal("budgets are shared across chains or wallets")
	}
	// The window rolls: 24h after the first spend its value is free again.
	if okk, prior := res(2, eth(1), at(24*time.Hour+time.Second), limit); !okk || prior.Cmp(eth(2)) != 0 {
		t.Fatalf("after the window: %v %v", okk, prior)
	}
	// No limit records without checking.
	if okk, _ := res(3, maxU256, at(25*time.Hour), nil); !okk {
		t.Fatal("spend without a limit refused")
	}
	_, _, err = s.ReserveSpend(ctx, &coffer.Spend{Wallet: address(1), ChainID: 1, Value: big.NewInt(-1)}, limit, coffer.SpendWindow)
	wantCode(t, err, coffer.EINVALID)
}

// SpendRace makes n concurrent 1-wei spends of one wallet, spread over stores,
// against a limit of n/2 wei: exactly n/2 must be allowed.
func SpendRace(t testing.TB, n int, stores ...coffer.Store) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	wallet := common.BigToAddress(big.NewInt(int64(0x5000 + n)))
	for i := range n {
		wg.Go(func() {
			okk, _, err := stores[i%len(stores)].ReserveSpend(ctx, &coffer.Spend{Wallet: wallet, ChainID: 7, Nonce: uint64(i), Value: big.NewInt(1)},
				big.NewInt(int64(n/2)), coffer.SpendWindow)
			if err != nil {
				t.Error(err)
				return
			}
			if okk {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != n/2 {
		t.Fatalf("%d of %d spends allowed under a limit of %d", allowed, n, n/2)
	}
}

func testSpendRace(t *testing.T, s coffer.Store) { SpendRace(t, 40, s) }

func testAuditHeadAndFilters(t *testing.T, s coffer.Store) {
	seq, h, err := s.AuditHead(ctx)
	ok(t, err)
	if seq != 0 || h != nil {
		t.Fatalf("head of an empty log: %d %x", seq, h)
	}
	base := tstamp(0)
	outcomes := []string{"allowed", "refused: policy chain_ids: 5 not allowed", "error: backend down", "allowed"}
	var last *coffer.AuditRecord
	for i := range 8 {
		last = &coffer.AuditRecord{Time: base.Add(time.Duration(i) * time.Minute), Principal: "user:u", Wallet: address(1),
			Kind: "transaction", Digest: hashOf("h", i), Outcome: outcomes[i%4]}
		ok(t, s.AppendAudit(ctx, last))
	}
	seq, h, err = s.AuditHead(ctx)
	ok(t, err)
	if seq != 8 || string(h) != string(last.Hash) {
		t.Fatalf("head %d %x, want 8 %x", seq, h, last.Hash)
	}
	seqs := func(f coffer.AuditFilter) []int64 {
		t.Helper()
		recs, _, err := s.AuditRecords(ctx, f)
		ok(t, err)
		var out []int64
		for _, r := range recs {
			out = append(out, r.Seq)
		}
		return out
	}
	same(t, "allowed", seqs(coffer.AuditFilter{Outcome: "allowed"}), []int64{8, 5, 4, 1})
	same(t, "refused", seqs(coffer.AuditFilter{Outcome: "refused"}), []int64{6, 2})
	same(t, "error", seqs(coffer.AuditFilter{Outcome: "error"}), []int64{7, 3})
	same(t, "exact refusal", seqs(coffer.AuditFilter{Outcome: outcomes[1]}), []int64{6, 2})
	same(t, "refus (no partial word)", seqs(coffer.AuditFilter{Outcome: "refus"}), []int64(nil))
	same(t, "since+until", seqs(coffer.AuditFilter{Since: ptr(base.Add(2 * time.Minute)), Until: ptr(base.Add(5 * time.Minute))}), []int64{5, 4, 3})
	same(t, "until", seqs(coffer.AuditFilter{Until: ptr(base.Add(time.Minute)), Outcome: "allowed"}), []int64{1})
}
