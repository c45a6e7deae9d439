package custody_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/custody"
	"github.com/cofferhq/coffer/store/sqlstore"
)

// batchStore counts batches and can slow or fail them.
type batchStore struct {
	*sqlstore.DB
	batches, records atomic.Int64
	delay            time.Duration
	fail             atomic.Bool
}

func (b *batchStore) AppendAuditBatch(ctx context.Context, rs []*coffer.AuditRecord) error {
	b.batches.Add(1)
	b.records.Add(int64(len(rs)))
	time.Sleep(b.delay)
	if b.fail.Load() {
		return errors.New("disk full")
	}
	return b.DB.AppendAuditBatch(ctx, rs)
}

func batchService(t *testing.T, delay time.Duration) (*custody.Service, *batchStore, *coffer.Wallet) {
	t.Helper()
	st := &batchStore{DB: tempStore(t), delay: delay}
	cs := localCustody(t, st, st)
	return cs, st, userWallet(t, cs)
}

// Concurrent signatures share audit transactions, and the log still holds
// exactly one chained record per signature, before the signature exists.
func TestAuditGroupCommit(t *testing.T) {
	cs, st, w := batchService(t, 2*time.Millisecond)
	ctx := context.Background()
	admin := &coffer.Principal{Issuer: "apikey", Subject: "ops", Roles: []string{coffer.RoleAdmin}}
	start, err := st.DB.AuditChain(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 32, 10
	var wg sync.WaitGroup
	digests := make(chan common.Hash, workers*each)
	for i := range workers {
		wg.Go(func() {
			for j := range each {
				d := common.BytesToHash(fmt.Appendf(nil, "digest %d %d", i, j))
				sig, err := cs.SignHash(ctx, admin, w.Address, d, false)
				if err != nil {
					t.Error(err)
					return
				}
				if !custody.VerifyRecovers(d[:], sig, w.Address) {
					t.Error("signature does not recover to the wallet")
				}
				digests <- d
			}
		})
	}
	wg.Wait()
	close(digests)
	if t.Failed() {
		return
	}
	all, err := st.DB.AuditChain(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := coffer.VerifyAuditChain(all); err != nil {
		t.Fatal(err)
	}
	recorded := map[common.Hash]int{}
	for _, r := range all[len(start):] {
		if r.Kind != "hash" || r.Outcome != "allowed" || r.Wallet != w.Address {
			t.Fatalf("record %+v", r)
		}
		recorded[r.Digest]++
	}
	for d := range digests {
		if recorded[d] != 1 {
			t.Fatalf("digest %s recorded %d times", d, recorded[d])
		}
	}
	if len(recorded) != workers*each || len(all)-len(start) != workers*each {
		t.Fatalf("%d records for %d signatures", len(all)-len(start), workers*each)
	}
	if b, r := st.batches.Load(), st.records.Load(); b >= r {
		t.Fatalf("%d batches for %d records: nothing was grouped", b, r)
	} else {
		t.Logf("%d records in %d batches", r, b)
	}
}

// A failed batch fails every request in it: no audit record, no signature.
func TestAuditGroupCommitFailure(t *testing.T) {
	cs, st, w := batchService(t, time.Millisecond)
	ctx := context.Background()
	admin := &coffer.Principal{Issuer: "apikey", Subject: "ops", Roles: []string{coffer.RoleAdmin}}
	st.fail.Store(true)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			sig, err := cs.SignHash(ctx, admin, w.Address, common.Hash{byte(i)}, false)
			if err == nil || sig != nil || coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
				t.Errorf("signed without an audit record: %x, %v", sig, err)
			}
		})
	}
	wg.Wait()
	st.fail.Store(false)
	if _, err := cs.SignHash(ctx, admin, w.Address, common.Hash{1}, false); err != nil {
		t.Fatalf("after the store recovered: %v", err)
	}
	// A caller that gives up while its batch waits gets no signature.
	st.delay = 50 * time.Millisecond
	go cs.SignHash(ctx, admin, w.Address, common.Hash{2}, false) // holds the writer
	time.Sleep(5 * time.Millisecond)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if sig, err := cs.SignHash(cctx, admin, w.Address, common.Hash{3}, false); err == nil || sig != nil {
		t.Fatalf("signed after its context ended: %x, %v", sig, err)
	}
	time.Sleep(120 * time.Millisecond)
	all, err := st.DB.AuditChain(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := coffer.VerifyAuditChain(all); err != nil {
		t.Fatal(err)
	}
}
