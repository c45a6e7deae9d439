package policy_test

import (
	"context"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/policy"
	"github.com/cofferhq/coffer/store/sqlite"
)

var ctx = context.Background()

func openStore(t *testing.T) coffer.Store {
	t.Helper()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "coffer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }

var (
	wallet = &coffer.Wallet{Address: common.HexToAddress("0x00000000000000000000000000000000000000a1")}
	alice  = common.HexToAddress("0x00000000000000000000000000000000000000b2")
	bob    = common.HexToAddress("0x00000000000000000000000000000000000000c3")
)

func tx(chain uint64, to *common.Address, value *big.Int, nonce uint64) *policy.Request {
	return &policy.Request{Wallet: wallet, Kind: policy.KindTransaction, ChainID: chain, To: to, Value: value, Nonce: nonce}
}

// refused checks err is a 403 naming rule and, when given, containing want.
func refused(t *testing.T, err error, rule, want string) {
	t.Helper()
	if coffer.ErrorCode(err) != coffer.EFORBIDDEN {
		t.Fatalf("want a %s refusal, got %v", rule, err)
	}
	msg := coffer.ErrorMessage(err)
	if !strings.HasPrefix(msg, "policy "+rule+": ") || !strings.Contains(msg, want) || !strings.Contains(msg, wallet.Address.Hex()) {
		t.Fatalf("message %q does not name rule %s, %q and the wallet", msg, rule, want)
	}
}

func allowed(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
}

func TestDefaultsRestrictOnlyRawHash(t *testing.T) {
	e := policy.New(coffer.Policy{}, openStore(t))
	allowed(t, e.Check(ctx, tx(1337, nil, math.MaxBig256, 0))) // a deployment with any value
	allowed(t, e.Check(ctx, tx(1, &alice, eth(1_000_000), 1)))
	allowed(t, e.Check(ctx, &policy.Request{Wallet: wallet, Kind: policy.KindMessage}))
	allowed(t, e.Check(ctx, &policy.Request{Wallet: wallet, Kind: policy.KindTypedData, Domain: &apitypes.TypedDataDomain{Name: "x"}}))
	allowed(t, e.Check(ctx, &policy.Request{Wallet: wallet, Kind: policy.KindHash, Admin: true}))
	refused(t, e.Check(ctx, &policy.Request{Wallet: wallet, Kind: policy.KindHash}), "raw_hash", "reserved to admins")
	// The legacy switch lets owners where no policy says otherwise.
	allowed(t, e.Check(ctx, &policy.Request{Wallet: wallet, Kind: policy.KindHash, OwnersMayHash: true}))
}

func TestChainIDs(t *testing.T) {
	e := policy.New(coffer.Policy{ChainIDs: []uint64{1, 10}}, openStore(t))
	allowed(t, e.Check(ctx, tx(10, &alice, nil, 0)))
	refused(t, e.Check(ctx, tx(5, &alice, nil, 0)), "chain_ids", "chain 5 is not allowed (allowed: 1, 10)")
	td := func(chain int64) *policy.Request {
		d := &apitypes.TypedDataDomain{Name: "Mail"}
		if chain >= 0 {
			d.ChainId = (*math.HexOrDecimal256)(big.NewInt(chain))
		}
		return &policy.Request{Wallet: wallet, Kind: policy.KindTypedData, Domain: d}
	}
	allowed(t, e.Check(ctx, td(1)))
	allowed(t, e.Check(ctx, td(-1))) // a domain without a chain is not chain-bound
	refused(t, e.Check(ctx, td(137)), "chain_ids", "typed data for chain 137")
}

func TestTo(t *testing.T) {
	e := policy.New(coffer.Policy{To: []common.Address{alice}}, openStore(t))
	allowed(t, e.Check(ctx, tx(1, &alice, eth(1), 0)))
	refused(t, e.Check(ctx, tx(1, &bob, eth(1), 0)), "to", "destination "+bob.Hex()+" is not allowed")
	refused(t, e.Check(ctx, tx(1, nil, nil, 0)), "to", "contract creation is not allowed")
	self := wallet.Address
	allowed(t, e.Check(ctx, tx(1, &self, nil, 0))) // a cancellation is always possible
}

func TestMaxValuePerTx(t *testing.T) {
	e := policy.New(coffer.Policy{MaxValuePerTx: eth(1)}, openStore(t))
	allowed(t, e.Check(ctx, tx(1, &alice, eth(1), 0)))
	refused(t, e.Check(ctx, tx(1, &alice, eth(2), 1)), "max_value_per_tx", "2000000000000000000 > 1000000000000000000")
}

func TestMaxValuePerDay(t *testing.T) {
	st := openStore(t)
	e := policy.New(coffer.Policy{MaxValuePerDay: eth(3)}, st)
	allowed(t, e.Check(ctx, tx(1, &alice, eth(2), 0)))
	allowed(t, e.Check(ctx, tx(1, &alice, eth(2), 0))) // the same nonce again (a replacement) counts once
	refused(t, e.Check(ctx, tx(1, &alice, eth(2), 1)), "max_value_per_day",
		"2000000000000000000 spent in the last 24h + 2000000000000000000 > 3000000000000000000 on chain 1")
	allowed(t, e.Check(ctx, tx(1, &alice, eth(1), 1)))
	allowed(t, e.Check(ctx, tx(2, &alice, eth(3), 0))) // another chain has its own budget
	// A refusal by an earlier rule reserves nothing.
	e2 := policy.New(coffer.Policy{MaxValuePerDay: eth(3), MaxValuePerTx: eth(1)}, st)
	refused(t, e2.Check(ctx, tx(3, &alice, eth(2), 0)), "max_value_per_tx", "")
	allowed(t, e2.Check(ctx, tx(3, &alice, eth(1), 1)))

	// Concurrent requests through two engines (two processes) never overspend.
	e3, e4 := policy.New(coffer.Policy{MaxValuePerDay: big.NewInt(10)}, st), policy.New(coffer.Policy{MaxValuePerDay: big.NewInt(10)}, st)
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for i := range 30 {
		wg.Go(func() {
			e := e3
			if i%2 == 1 {
				e = e4
			}
			if e.Check(ctx, tx(4, &alice, big.NewInt(1), uint64(i))) == nil {
				mu.Lock()
				n++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if n != 10 {
		t.Fatalf("%d one-wei transactions allowed under a 10-wei daily limit", n)
	}
}

func TestRawHash(t *testing.T) {
	st := openStore(t)
	hash := func(e *policy.Engine, admin bool) error {
		return e.Check(ctx, &policy.Request{Wallet: wallet, Kind: policy.KindHash, Admin: admin, OwnersMayHash: true})
	}
	off := policy.New(coffer.Policy{RawHash: coffer.RawHashOff}, st)
	refused(t, hash(off, true), "raw_hash", "raw hash signing is off")
	admins := policy.New(coffer.Policy{RawHash: coffer.RawHashAdmins}, st)
	refused(t, hash(admins, false), "raw_hash", "reserved to admins") // a set policy beats the legacy switch
	allowed(t, hash(admins, true))
	owners := policy.New(coffer.Policy{RawHash: coffer.RawHashOwners}, st)
	allowed(t, hash(owners, false))
}

func TestTypedDataDomains(t *testing.T) {
	usdc := common.HexToAddress("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48")
	one := uint64(1)
	e := policy.New(coffer.Policy{TypedDataDomains: []coffer.DomainRule{
		{Name: "USD Coin", VerifyingContract: &usdc, ChainID: &one},
		{Name: "Ether Mail"},
	}}, openStore(t))
	req := func(name, contract string, chain int64) *policy.Request {
		d := &apitypes.TypedDataDomain{Name: name, VerifyingContract: contract}
		if chain > 0 {
			d.ChainId = (*math.HexOrDecimal256)(big.NewInt(chain))
		}
		return &policy.Request{Wallet: wallet, Kind: policy.KindTypedData, Domain: d}
	}
	allowed(t, e.Check(ctx, req("USD Coin", strings.ToLower(usdc.Hex()), 1)))
	allowed(t, e.Check(ctx, req("Ether Mail", "", 5)))
	refused(t, e.Check(ctx, req("USD Coin", usdc.Hex(), 5)), "typed_data_domains", `domain {name="USD Coin", chainId=5, verifyingContract=`+usdc.Hex()+"} is not allowed")
	refused(t, e.Check(ctx, req("USD Coin", bob.Hex(), 1)), "typed_data_domains", "")
	refused(t, e.Check(ctx, req("Permit2", "", 0)), "typed_data_domains", `name="Permit2"`)
}

func TestWalletPolicyOverridesGlobal(t *testing.T) {
	st := openStore(t)
	e := policy.New(coffer.Policy{ChainIDs: []uint64{1}, MaxValuePerTx: eth(1), To: []common.Address{alice}}, st)
	e.SetCacheTTL(0)
	refused(t, e.Check(ctx, tx(5, &alice, nil, 0)), "chain_ids", "")
	// The wallet's own policy replaces rules it sets and inherits the others;
	// an empty list lifts the global restriction.
	allowed(t, e.SetWalletPolicy(ctx, wallet.Address, &coffer.Policy{ChainIDs: []uint64{5}, To: []common.Address{}}))
	allowed(t, e.Check(ctx, tx(5, &bob, eth(1), 0)))
	refused(t, e.Check(ctx, tx(1, &bob, nil, 0)), "chain_ids", "")
	refused(t, e.Check(ctx, tx(5, &bob, eth(2), 0)), "max_value_per_tx", "")
	own, err := e.WalletPolicy(ctx, wallet.Address)
	allowed(t, err)
	if own.To == nil || len(own.To) != 0 || own.MaxValuePerTx != nil {
		t.Fatalf("stored policy %+v", own)
	}
	// Validation.
	for _, bad := range []*coffer.Policy{
		{RawHash: "sometimes"}, {MaxValuePerTx: big.NewInt(-1)}, {TypedDataDomains: []coffer.DomainRule{{}}},
	} {
		if err := e.SetWalletPolicy(ctx, wallet.Address, bad); coffer.ErrorCode(err) != coffer.EINVALID {
			t.Errorf("policy %+v: %v", bad, err)
		}
	}
	// Other wallets keep the global policy.
	other := &policy.Request{Wallet: &coffer.Wallet{Address: bob}, Kind: policy.KindTransaction, ChainID: 5, To: &alice}
	if err := e.Check(ctx, other); coffer.ErrorCode(err) != coffer.EFORBIDDEN {
		t.Fatalf("other wallet: %v", err)
	}
}
