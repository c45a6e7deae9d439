package custody_test

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/policy"
)

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }

// Transactions go through every transaction rule, for users and for the
// transaction manager alike, and each refusal is audited naming its rule.
func TestTransactionPolicies(t *testing.T) {
	ctx := context.Background()
	st := tempStore(t)
	cs := localCustody(t, st, st)
	w := userWallet(t, cs)
	user := &coffer.Principal{UserID: "u1", Roles: []string{coffer.RoleUser}}
	dest := common.HexToAddress("0x00000000000000000000000000000000000000d1")
	chain := big.NewInt(1337)
	tx := func(nonce uint64, to *common.Address, value *big.Int) *types.Transaction {
		return types.NewTx(&types.DynamicFeeTx{ChainID: chain, Nonce: nonce, GasTipCap: common.Big1, GasFeeCap: common.Big2, Gas: 21000, To: to, Value: value})
	}

	// Defaults: anything goes, deployments and big values included (the dev flow).
	if _, err := cs.SignTx(ctx, w.Address, tx(0, nil, eth(100)), chain); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.SignTransaction(ctx, user, w.Address, tx(1, &dest, eth(100)), chain); err != nil {
		t.Fatal(err)
	}

	pe := policy.New(coffer.Policy{MaxValuePerTx: eth(1), MaxValuePerDay: eth(2)}, st)
	pe.SetCacheTTL(0)
	cs.SetPolicy(pe)
	_, err := cs.SignTransaction(ctx, user, w.Address, tx(2, &dest, eth(2)), chain)
	want := "policy max_value_per_tx: 2000000000000000000 > 1000000000000000000 for wallet " + w.Address.Hex()
	if coffer.ErrorCode(err) != coffer.EFORBIDDEN || coffer.ErrorMessage(err) != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	for n := uint64(2); n < 4; n++ {
		if _, err := cs.SignTx(ctx, w.Address, tx(n, &dest, eth(1)), chain); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.SignTx(ctx, w.Address, tx(4, &dest, big.NewInt(1)), chain); !strings.Contains(coffer.ErrorMessage(err), "policy max_value_per_day: ") {
		t.Fatalf("txm over the daily limit: %v", err)
	}
	if _, err := cs.SignTx(ctx, w.Address, tx(3, &w.Address, big.NewInt(0)), chain); err != nil {
		t.Fatalf("cancellation at a spent nonce: %v", err)
	}
	if err := cs.SetWalletPolicy(ctx, user, w.Address, &coffer.Policy{}); coffer.ErrorCode(err) != coffer.EFORBIDDEN {
		t.Fatalf("user set a policy: %v", err)
	}

	recs, _, err := st.AuditRecords(ctx, coffer.AuditFilter{Outcome: "refused"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].Outcome != "refused: "+want || recs[1].Value.Cmp(eth(2)) != 0 || *recs[1].To != dest ||
		recs[0].Principal != "txm" || !strings.HasPrefix(recs[0].Outcome, "refused: policy max_value_per_day: ") {
		t.Fatalf("audited refusals: %+v", recs)
	}
}
