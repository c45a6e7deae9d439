package nft

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/nft/bindings"
)

// TestMintedToken: a mint's receipt gives the token minted to the recipient
// its call data names, in both mint modes; other transactions and calls get
// nothing.
func TestMintedToken(t *testing.T) {
	abi := bindings.NewCofferNFT()
	collection := common.HexToAddress("0x00000000000000000000000000000000000c0ffe")
	to := common.HexToAddress("0x1111111111111111111111111111111111111111")
	someone := common.HexToAddress("0x2222222222222222222222222222222222222222")
	log := func(rcpt common.Address, id int64) *types.Log {
		return &types.Log{Address: collection, Topics: []common.Hash{transferTopic, {}, common.BytesToHash(rcpt.Bytes()), common.BigToHash(big.NewInt(id))}}
	}
	r := &types.Receipt{Logs: []*types.Log{log(someone, 3), log(to, 4)}}
	for _, tc := range []struct {
		name string
		kind string
		data []byte
		want int64 // -1: none
	}{
		{"mint", coffer.KindMint, abi.PackMint(to, "ipfs://x"), 4},
		{"mint with voucher", coffer.KindMint, abi.PackMintWithVoucher(to, "ipfs://x", big.NewInt(1), big.NewInt(2), []byte{1}), 4},
		{"to someone", coffer.KindMint, abi.PackMint(someone, "ipfs://x"), 3},
		{"not a mint call", coffer.KindMint, abi.PackTotalMinted(), -1},
		{"short data", coffer.KindMint, abi.PackMint(to, "")[:20], -1},
		{"not a mint transaction", coffer.KindTransfer, abi.PackMint(to, "ipfs://x"), -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u coffer.TxUpdate
			MintedToken(&coffer.Transaction{Kind: tc.kind, To: &collection, Data: tc.data}, r, &u)
			if tc.want < 0 && u.TokenID != nil || tc.want >= 0 && (u.TokenID == nil || u.TokenID.Int64() != tc.want) {
				t.Fatalf("TokenID = %v, want %d", u.TokenID, tc.want)
			}
		})
	}
	var u coffer.TxUpdate
	MintedToken(&coffer.Transaction{Kind: coffer.KindMint, To: &collection, Data: abi.PackMint(to, "x")}, nil, &u)
	if u.TokenID != nil {
		t.Fatal("a token without a receipt")
	}
}

func TestTransferTopic(t *testing.T) {
	if want := crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)")); TransferTopic() != want || transferTopic != want {
		t.Fatalf("TransferTopic() = %s, want %s", TransferTopic(), want)
	}
}

func TestMintedTokenID(t *testing.T) {
	collection := common.HexToAddress("0x00000000000000000000000000000000000c0ffe")
	other := common.HexToAddress("0x000000000000000000000000000000000000beef")
	to := common.HexToAddress("0x1111111111111111111111111111111111111111")
	someone := common.HexToAddress("0x2222222222222222222222222222222222222222")
	approval := crypto.Keccak256Hash([]byte("Approval(address,address,uint256)"))
	addr := func(a common.Address) common.Hash { return common.BytesToHash(a.Bytes()) }
	id := func(n *big.Int) common.Hash { return common.BigToHash(n) }
	zero := common.Hash{}
	big7 := big.NewInt(7)
	huge, _ := new(big.Int).SetString("115792089237316195423570985008687907853269984665640564039457584007913129639935", 10) // 2^256-1
	transfer := func(contract common.Address, from, to common.Hash, tokenID common.Hash) *types.Log {
		return &types.Log{Address: contract, Topics: []common.Hash{transferTopic, from, to, tokenID}}
	}
	// ERC-20 Transfer: the same signature, the value in data, three topics.
	erc20 := func(contract common.Address, from, to common.Address) *types.Log {
		return &types.Log{Address: contract, Topics: []common.Hash{transferTopic, addr(from), addr(to)}, Data: id(big7).Bytes()}
	}
	for _, tc := range []struct {
		name string
		logs []*types.Log
		want *big.Int
	}{
		{"no logs", nil, nil},
		{"the mint", []*types.Log{transfer(collection, zero, addr(to), id(big7))}, big7},
		{"token 0", []*types.Log{transfer(collection, zero, addr(to), id(big.NewInt(0)))}, big.NewInt(0)},
		{"token 2^256-1", []*types.Log{transfer(collection, zero, addr(to), id(huge))}, huge},
		{"among other logs", []*types.Log{
			erc20(collection, common.Address{}, to),                                                   // 3 topics from the collection itself
			erc20(other, common.Address{}, to),                                                        // an ERC-20 mint to the same wallet
			transfer(other, zero, addr(to), id(big.NewInt(1))),                                        // another collection's mint to the same wallet
			transfer(collection, addr(someone), addr(to), id(big.NewInt(2))),                          // a transfer, not a mint
			transfer(collection, zero, addr(someone), id(big.NewInt(3))),                              // a mint to someone else
			{Address: collection, Topics: []common.Hash{approval, zero, addr(to), id(big.NewInt(4))}}, // not a Transfer
			{Address: collection, Topics: []common.Hash{transferTopic, zero, addr(to)}, Data: id(big.NewInt(5)).Bytes()},
			{Address: collection},                                   // no topics
			transfer(collection, zero, addr(to), id(big7)),          // the mint
			transfer(collection, zero, addr(to), id(big.NewInt(8))), // a second one: the first wins
		}, big7},
		{"only others", []*types.Log{
			erc20(collection, common.Address{}, to),
			transfer(other, zero, addr(to), id(big7)),
			transfer(collection, addr(someone), addr(to), id(big7)),
			transfer(collection, zero, addr(someone), id(big7)),
		}, nil},
		{"five topics", []*types.Log{{Address: collection, Topics: []common.Hash{transferTopic, zero, addr(to), id(big7), zero}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mintedTokenID(&types.Receipt{Logs: tc.logs}, collection, to)
			if (got == nil) != (tc.want == nil) || (got != nil && got.Cmp(tc.want) != 0) {
				t.Fatalf("mintedTokenID = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVoucherNonce(t *testing.T) {
	n := VoucherNonce("mint_abc")
	if want := new(big.Int).SetBytes(crypto.Keccak256([]byte("coffer/mint-voucher/mint_abc"))); n.Cmp(want) != 0 {
		t.Fatalf("VoucherNonce = %s, want keccak256(\"coffer/mint-voucher/\" + id) = %s", n, want)
	}
	if VoucherNonce("mint_abc").Cmp(n) != 0 {
		t.Fatal("not stable")
	}
	if n.Sign() <= 0 || n.BitLen() > 256 {
		t.Fatalf("not a uint256: %s", n)
	}
	seen := map[string]string{}
	for range 1000 {
		id := coffer.NewID("mint")
		k := VoucherNonce(id).String()
		if prev, ok := seen[k]; ok {
			t.Fatalf("%s and %s share a nonce", prev, id)
		}
		seen[k] = id
	}
	// A fresh value each call: changing it does not change the next.
	VoucherNonce("mint_abc").SetInt64(1)
	if VoucherNonce("mint_abc").Cmp(n) != 0 {
		t.Fatal("shared big.Int")
	}
}

func TestNewDefaults(t *testing.T) {
	s := New(nil, nil, nil, nil, Config{PublicURL: "https://coffer.example//"}, nil)
	if s.cfg.PublicURL != "https://coffer.example" {
		t.Errorf("PublicURL %q: trailing slashes not trimmed", s.cfg.PublicURL)
	}
	if s.cfg.VoucherTTL != DefaultVoucherTTL {
		t.Errorf("VoucherTTL %v, want %v", s.cfg.VoucherTTL, DefaultVoucherTTL)
	}
	if s := New(nil, nil, nil, nil, Config{VoucherTTL: time.Minute}, nil); s.cfg.VoucherTTL != time.Minute {
		t.Errorf("VoucherTTL %v, want 1m", s.cfg.VoucherTTL)
	}
}

func TestCheckChain(t *testing.T) {
	s := New(nil, nil, nil, nil, Config{Chains: []uint64{1337, 8453}}, nil)
	for _, id := range []uint64{1337, 8453} {
		if err := s.checkChain(id); err != nil {
			t.Errorf("chain %d: %v", id, err)
		}
	}
	for _, id := range []uint64{0, 1} {
		if err := s.checkChain(id); coffer.ErrorCode(err) != coffer.EINVALID {
			t.Errorf("chain %d: %v, want EINVALID", id, err)
		}
	}
}

// CreateCollection refuses bad input before it looks anything up or writes.
func TestCreateCollectionRefuses(t *testing.T) {
	s := New(nil, nil, nil, nil, Config{Chains: []uint64{1337}}, nil) // no store, wallets or txm: reaching them panics
	admin := &coffer.Principal{Issuer: "apikey", Subject: "ops", Roles: []string{coffer.RoleAdmin}}
	user := &coffer.Principal{UserID: "u1", Issuer: "test", Subject: "u1", Roles: []string{coffer.RoleUser}}
	ok := CollectionRequest{ChainID: 1337, Name: "Coffer", Symbol: "CFR"}
	with := func(f func(*CollectionRequest)) CollectionRequest { r := ok; f(&r); return r }
	for _, tc := range []struct {
		name string
		p    *coffer.Principal
		req  CollectionRequest
		code string
	}{
		{"user", user, ok, coffer.EFORBIDDEN},
		{"chain", admin, with(func(r *CollectionRequest) { r.ChainID = 1 }), coffer.EINVALID},
		{"no name", admin, with(func(r *CollectionRequest) { r.Name = "  " }), coffer.EINVALID},
		{"long name", admin, with(func(r *CollectionRequest) { r.Name = string(make([]rune, 101)) }), coffer.EINVALID},
		{"no symbol", admin, with(func(r *CollectionRequest) { r.Symbol = "" }), coffer.EINVALID},
		{"long symbol", admin, with(func(r *CollectionRequest) { r.Symbol = "ABCDEFGHIJKLMNOPQ" }), coffer.EINVALID},
		{"mint mode", admin, with(func(r *CollectionRequest) { r.MintMode = "lazy" }), coffer.EINVALID},
		{"base_uri scheme", admin, with(func(r *CollectionRequest) { r.BaseURI = "javascript:alert(1)" }), coffer.EINVALID},
		{"base_uri host", admin, with(func(r *CollectionRequest) { r.BaseURI = "https:///x/" }), coffer.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.CreateCollection(t.Context(), tc.p, tc.req)
			if c != nil || coffer.ErrorCode(err) != tc.code {
				t.Fatalf("%v, %v; want %s", c, err, tc.code)
			}
		})
	}
	if _, _, err := s.Mint(t.Context(), nil, "col_x", MintRequest{Metadata: []byte(`{"name":"a"}`)}); coffer.ErrorCode(err) != coffer.EUNAUTHORIZED {
		t.Fatalf("guest mint: %v, want EUNAUTHORIZED", err)
	}
}
