package custody_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/cofferhq/coffer"
)

// listCounter counts the wallet listings custody makes.
type listCounter struct {
	coffer.Store
	lists atomic.Int32
}

func (l *listCounter) Wallets(ctx context.Context, ownerID string, limit int, cursor string) ([]*coffer.Wallet, string, error) {
	l.lists.Add(1)
	return l.Store.Wallets(ctx, ownerID, limit, cursor)
}

// A user's first wallet is created on first need, stays the same when more
// are created, and is found without listing the user's wallets again.
func TestUserWalletRemembered(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	lc := &listCounter{Store: st}
	cs := localCustody(t, lc, st)
	first, err := cs.UserWallet(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CreateWallet(ctx, "u1", "", "second"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		w, err := cs.UserWallet(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if w.Address != first.Address || w.OwnerID != "u1" {
			t.Fatalf("UserWallet = %s of %q, want the first wallet %s", w.Address, w.OwnerID, first.Address)
		}
	}
	if n := lc.lists.Load(); n != 1 {
		t.Errorf("%d wallet listings for four UserWallet calls, want 1", n)
	}
	// Another user gets their own.
	other, err := cs.UserWallet(ctx, "u2")
	if err != nil || other.Address == first.Address || other.OwnerID != "u2" {
		t.Fatalf("u2's wallet %v, %v", other, err)
	}
}
