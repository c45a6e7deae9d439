package policy_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/policy"
)

// TestPlatformMayAlwaysSignItsCollectionsVouchers: with a typed_data_domains
// allowlist that names none of them, the platform wallet may still sign in
// the exact EIP-712 domain of a collection coffer deployed (mint vouchers),
// and nothing else; other wallets get no such exception.
func TestPlatformMayAlwaysSignItsCollectionsVouchers(t *testing.T) {
	st := openStore(t)
	platform := &coffer.Wallet{Address: common.HexToAddress("0x00000000000000000000000000000000000000f1"), Label: "platform"}
	contract := common.HexToAddress("0x00000000000000000000000000000000000000c0")
	deploy := &coffer.Transaction{ID: "tx_deploy", Kind: coffer.KindDeploy, ChainID: 5, From: platform.Address, Value: new(big.Int), Status: coffer.TxConfirmed}
	col := &coffer.Collection{ID: "col_1", ChainID: 5, Name: "Drops", Symbol: "D", Minter: platform.Address, MintMode: coffer.MintModeVoucher}
	if err := st.CreateCollection(ctx, col, deploy); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateCollection(ctx, col.ID, coffer.CollectionDeployed, &contract); err != nil {
		t.Fatal(err)
	}
	got, err := st.Collection(ctx, col.ID)
	if err != nil || got.MintMode != coffer.MintModeVoucher {
		t.Fatalf("stored mint mode: %+v %v", got, err)
	}
	only := "Permit2"
	e := policy.New(coffer.Policy{TypedDataDomains: []coffer.DomainRule{{Name: only}}}, st)
	dom := func(name, version string, chain int64, at common.Address) *apitypes.TypedDataDomain {
		return &apitypes.TypedDataDomain{Name: name, Version: version, ChainId: math.NewHexOrDecimal256(chain), VerifyingContract: at.Hex()}
	}
	req := func(w *coffer.Wallet, d *apitypes.TypedDataDomain) *policy.Request {
		return &policy.Request{Wallet: w, Kind: policy.KindTypedData, Admin: true, Domain: d}
	}
	allowed(t, e.Check(ctx, req(platform, dom("Drops", "1", 5, contract))))
	allowed(t, e.Precheck(ctx, req(platform, dom("Drops", "1", 5, contract))))
	for _, d := range []*apitypes.TypedDataDomain{
		dom("Drops", "2", 5, contract), // another version
		dom("Other", "1", 5, contract), // another name
		dom("Drops", "1", 6, contract), // another chain
		dom("Drops", "1", 5, alice),    // not a collection
	} {
		if err := e.Check(ctx, req(platform, d)); coffer.ErrorCode(err) != coffer.EFORBIDDEN {
			t.Errorf("platform signing in %+v: %v, want a typed_data_domains refusal", d, err)
		}
	}
	refused(t, e.Check(ctx, req(wallet, dom("Drops", "1", 5, contract))), "typed_data_domains", "is not allowed")
	allowed(t, e.Check(ctx, req(wallet, dom(only, "1", 5, alice))))
}
