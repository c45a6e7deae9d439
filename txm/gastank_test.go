package txm

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/cofferhq/coffer"
)

// userWallet adds a user's custodial wallet (no funds) to e.
func (e *env) userWallet(owner string) common.Address {
	e.t.Helper()
	key, _ := crypto.GenerateKey()
	a := crypto.PubkeyToAddress(key.PublicKey)
	e.keys[a] = key
	if err := e.store.CreateWallet(context.Background(), &coffer.Wallet{Address: a, OwnerID: owner, Backend: "local", KeyID: "k_" + owner}); err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) queueFrom(from, to common.Address, value *big.Int) *coffer.Transaction {
	e.t.Helper()
	tx := &coffer.Transaction{ID: coffer.NewID("tx"), Kind: coffer.KindTransfer, ChainID: chainID, From: from, To: &to,
		Value: value, Status: coffer.TxQueued}
	if err := e.store.CreateTransaction(context.Background(), tx); err != nil {
		e.t.Fatal(err)
	}
	return tx
}

func (e *env) topUps(to common.Address) []*coffer.Transaction {
	e.t.Helper()
	txs, _, err := e.store.Transactions(context.Background(), coffer.TxFilter{Kind: coffer.KindTopUp, To: &to})
	if err != nil {
		e.t.Fatal(err)
	}
	return txs
}

// TestGasTank: a user wallet with 0 ETH sends three transactions; they wait
// (no nonce) for one top-up from the platform wallet, then all go. Once the
// day's limit is spent, a transaction the wallet cannot pay fails before
// taking a nonce, naming the limit; a value the wallet lacks is never topped
// up. The platform balance below platform_low_wei is flagged.
func TestGasTank(t *testing.T) {
	e := newEnv(t, false, "")
	milli := big.NewInt(params.Ether / 1000)
	e.cc.GasTank = &GasTank{TopUp: milli, MaxPerWalletPerDay: milli, PlatformLow: new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))}
	m, _ := e.run()
	lows := make(chan PlatformBalance, 4)
	m.OnPlatformLow(func(_ context.Context, b PlatformBalance) { lows <- b })
	m.SetPlatform(func(context.Context) (common.Address, error) { return e.from, nil })
	user := e.userWallet("usr_1")
	sink := common.HexToAddress("0x00000000000000000000000000000000000000aa")

	var ids []string
	for range 3 {
		ids = append(ids, e.queueFrom(user, sink, new(big.Int)).ID)
	}
	for i, id := range ids {
		tx := e.wait(id, "confirmed", status(coffer.TxConfirmed))
		if tx.Nonce == nil || *tx.Nonce != uint64(i) || tx.Error != "" {
			t.Fatalf("user transaction %d: nonce %v, error %q", i, tx.Nonce, tx.Error)
		}
	}
	tops := e.topUps(user)
	if len(tops) != 1 || tops[0].Status != coffer.TxConfirmed || tops[0].From != e.from || tops[0].Value.Cmp(milli) != 0 {
		t.Fatalf("top-ups %+v, want one confirmed of %s from the platform", tops, milli)
	}
	pb := m.PlatformBalances()
	if len(pb) != 1 || pb[0].Balance == nil || !pb[0].Low || pb[0].Address != e.from {
		t.Fatalf("platform balances %+v, want low", pb)
	}
	if len(lows) != 1 {
		t.Fatalf("%d low-balance hooks, want 1 (once per crossing)", len(lows))
	}

	bal, err := e.client.Balance(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	// All of it as value: gas would need a second top-up, past the day's limit.
	limited := e.wait(e.queueFrom(user, sink, new(big.Int).Sub(bal, big.NewInt(1))).ID, "failed", status(coffer.TxFailed))
	if limited.Nonce != nil || !strings.Contains(limited.Error, "daily gas-tank limit is reached") || !strings.Contains(limited.Error, milli.String()) {
		t.Fatalf("over the limit: nonce %v, error %q", limited.Nonce, limited.Error)
	}
	// More value than it holds: the tank pays gas, not value.
	greedy := e.wait(e.queueFrom(user, sink, new(big.Int).Add(bal, big.NewInt(1))).ID, "failed", status(coffer.TxFailed))
	if greedy.Nonce != nil || !strings.Contains(greedy.Error, "insufficient funds") {
		t.Fatalf("value above the balance: nonce %v, error %q", greedy.Nonce, greedy.Error)
	}
	if n := len(e.topUps(user)); n != 1 {
		t.Fatalf("%d top-ups, want still 1", n)
	}
}
