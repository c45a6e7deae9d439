package bindings_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"

	"github.com/cofferhq/coffer/nft/artifacts"
	"github.com/cofferhq/coffer/nft/bindings"
)

const collectionName = "Coffer Test"

type env struct {
	t       *testing.T
	ctx     context.Context
	sim     *simulated.Backend
	client  simulated.Client
	chainID *big.Int
	nft     *bindings.CofferNFT
	addr    common.Address
	inst    *bind.BoundContract

	admin, minter, user, other *ecdsa.PrivateKey
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func addrOf(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

func setup(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(),
		admin: newKey(t), minter: newKey(t), user: newKey(t), other: newKey(t)}
	funds := new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18))
	alloc := types.GenesisAlloc{}
	for _, k := range []*ecdsa.PrivateKey{e.admin, e.minter, e.user, e.other} {
		alloc[addrOf(k)] = types.Account{Balance: funds}
	}
	e.sim = simulated.NewBackend(alloc)
	t.Cleanup(func() { _ = e.sim.Close() })
	e.client = e.sim.Client()
	var err error
	if e.chainID, err = e.client.ChainID(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.nft = bindings.NewCofferNFT()

	// Deploy from the embedded artifact; the binding carries the same code.
	code := artifacts.Bytecode()
	if !bytes.Equal(code, common.FromHex(bindings.CofferNFTMetaData.Bin)) {
		t.Fatal("artifact bytecode and binding bytecode differ; run nft/contracts/build.sh")
	}
	ctor := e.nft.PackConstructor(collectionName, "CFT", addrOf(e.admin), addrOf(e.minter))
	addr, tx, err := bind.DeployContract(e.opts(e.admin), code, e.client, ctor)
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	e.sim.Commit()
	if e.addr, err = bind.WaitDeployed(e.ctx, e.client, tx.Hash()); err != nil {
		t.Fatalf("wait deployed: %v", err)
	}
	if e.addr != addr {
		t.Fatalf("deployed at %s, predicted %s", e.addr, addr)
	}
	e.inst = e.nft.Instance(e.client, e.addr)
	return e
}

func (e *env) opts(k *ecdsa.PrivateKey) *bind.TransactOpts {
	o := bind.NewKeyedTransactor(k, e.chainID)
	o.Context = e.ctx
	return o // GasLimit 0: bind estimates gas
}

// send transacts calldata from k, mines it and returns the successful receipt.
func (e *env) send(k *ecdsa.PrivateKey, data []byte) *types.Receipt {
	e.t.Helper()
	tx, err := bind.Transact(e.inst, e.opts(k), data)
	if err != nil {
		e.t.Fatalf("transact: %v", err)
	}
	e.sim.Commit()
	r, err := bind.WaitMined(e.ctx, e.client, tx.Hash())
	if err != nil {
		e.t.Fatalf("wait mined: %v", err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		e.t.Fatalf("tx %s reverted", tx.Hash())
	}
	return r
}

// sendReverts transacts calldata from k, expects gas estimation to fail with
// a revert and returns the decoded custom error.
func (e *env) sendReverts(k *ecdsa.PrivateKey, data []byte) any {
	e.t.Helper()
	tx, err := bind.Transact(e.inst, e.opts(k), data)
	if err == nil {
		e.sim.Commit()
		e.t.Fatalf("tx %s was sent; expected a revert", tx.Hash())
	}
	var de interface{ ErrorData() any }
	if !errors.As(err, &de) {
		e.t.Fatalf("error without revert data: %v", err)
	}
	s, _ := de.ErrorData().(string)
	raw, decErr := hexutil.Decode(s)
	if decErr != nil || len(raw) < 4 {
		e.t.Fatalf("bad revert data %q (%v): %v", s, decErr, err)
	}
	dec, uerr := e.nft.UnpackError(raw)
	if uerr != nil {
		e.t.Fatalf("unknown revert %x: %v", raw, uerr)
	}
	return dec
}

func call[T any](e *env, from common.Address, data []byte, unpack func([]byte) (T, error)) T {
	e.t.Helper()
	v, err := bind.Call(e.inst, &bind.CallOpts{Context: e.ctx, From: from}, data, unpack)
	if err != nil {
		e.t.Fatalf("call: %v", err)
	}
	return v
}

// minted returns the Transfer(0 -> to) events in r.
func (e *env) minted(r *types.Receipt) []*bindings.CofferNFTTransfer {
	e.t.Helper()
	var out []*bindings.CofferNFTTransfer
	for _, l := range r.Logs {
		if l.Address != e.addr || len(l.Topics) == 0 || l.Topics[0] != e.nft.GetABI().Events["Transfer"].ID {
			continue
		}
		ev, err := e.nft.UnpackTransferEvent(l)
		if err != nil {
			e.t.Fatalf("unpack Transfer: %v", err)
		}
		if ev.From == (common.Address{}) {
			out = append(out, ev)
		}
	}
	return out
}

func (e *env) headTime() uint64 {
	e.t.Helper()
	h, err := e.client.HeaderByNumber(e.ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return h.Time
}

func (e *env) signVoucher(k *ecdsa.PrivateKey, v bindings.MintVoucher) []byte {
	e.t.Helper()
	digest, err := v.Digest(e.chainID, e.addr, collectionName)
	if err != nil {
		e.t.Fatal(err)
	}
	sig, err := crypto.Sign(digest[:], k)
	if err != nil {
		e.t.Fatal(err)
	}
	sig[64] += 27
	return sig
}

func (e *env) voucher(to common.Address, uri string, nonce int64) bindings.MintVoucher {
	return bindings.MintVoucher{To: to, URI: uri, Nonce: big.NewInt(nonce),
		Deadline: new(big.Int).SetUint64(e.headTime() + 3600)}
}

func (e *env) packVoucher(v bindings.MintVoucher, sig []byte) []byte {
	return e.nft.PackMintWithVoucher(v.To, v.URI, v.Nonce, v.Deadline, sig)
}

func (e *env) totalMinted() uint64 {
	return call(e, common.Address{}, e.nft.PackTotalMinted(), e.nft.UnpackTotalMinted).Uint64()
}

func TestDeployment(t *testing.T) {
	e := setup(t)
	zero := common.Address{}
	if got := call(e, zero, e.nft.PackName(), e.nft.UnpackName); got != collectionName {
		t.Errorf("name = %q", got)
	}
	if got := call(e, zero, e.nft.PackSymbol(), e.nft.UnpackSymbol); got != "CFT" {
		t.Errorf("symbol = %q", got)
	}
	minterRole := call(e, zero, e.nft.PackMINTERROLE(), e.nft.UnpackMINTERROLE)
	if minterRole != crypto.Keccak256Hash([]byte("MINTER_ROLE")) {
		t.Errorf("MINTER_ROLE = %x", minterRole)
	}
	adminRole := [32]byte{}
	for _, c := range []struct {
		role [32]byte
		who  common.Address
		want bool
	}{
		{adminRole, addrOf(e.admin), true},
		{minterRole, addrOf(e.minter), true},
		{minterRole, addrOf(e.admin), false},
		{adminRole, addrOf(e.minter), false},
	} {
		if got := call(e, zero, e.nft.PackHasRole(c.role, c.who), e.nft.UnpackHasRole); got != c.want {
			t.Errorf("hasRole(%x, %s) = %v", c.role[:4], c.who, got)
		}
	}
	for _, c := range []struct {
		id   string
		want bool
	}{
		{"0x01ffc9a7", true}, // ERC-165
		{"0x80ac58cd", true}, // ERC-721
		{"0x5b5e139f", true}, // ERC-721 metadata
		{"0x49064906", true}, // ERC-4906
		{"0x7965db0b", true}, // AccessControl
		{"0xffffffff", false},
	} {
		var id [4]byte
		copy(id[:], common.FromHex(c.id))
		if got := call(e, zero, e.nft.PackSupportsInterface(id), e.nft.UnpackSupportsInterface); got != c.want {
			t.Errorf("supportsInterface(%s) = %v", c.id, got)
		}
	}
	// The on-chain domain separator matches go-ethereum's EIP-712 encoding.
	td := bindings.MintVoucher{Nonce: big.NewInt(0), Deadline: big.NewInt(0)}.TypedData(e.chainID, e.addr, collectionName)
	want, err := td.HashStruct("EIP712Domain", td.Domain.Map())
	if err != nil {
		t.Fatal(err)
	}
	if got := call(e, zero, e.nft.PackDomainSeparator(), e.nft.UnpackDomainSeparator); !bytes.Equal(got[:], want) {
		t.Errorf("domainSeparator = %x, want %x", got, want)
	}
	if e.totalMinted() != 0 {
		t.Error("totalMinted != 0 after deployment")
	}
}

func TestMint(t *testing.T) {
	e := setup(t)
	to := addrOf(e.user)
	for i, uri := range []string{"ipfs://bafy-one", "ipfs://bafy-two"} {
		data := e.nft.PackMint(to, uri)
		// A static call predicts the id the transaction will return.
		predicted := call(e, addrOf(e.minter), data, e.nft.UnpackMint)
		r := e.send(e.minter, data)
		t.Logf("mint gas used: %d", r.GasUsed)
		evs := e.minted(r)
		if len(evs) != 1 {
			t.Fatalf("%d mint Transfer events", len(evs))
		}
		id := evs[0].TokenId
		if want := int64(i + 1); id.Int64() != want || predicted.Cmp(id) != 0 || evs[0].To != to {
			t.Fatalf("minted id %v (predicted %v) to %s, want id %d to %s", id, predicted, evs[0].To, want, to)
		}
		if got := call(e, to, e.nft.PackOwnerOf(id), e.nft.UnpackOwnerOf); got != to {
			t.Errorf("ownerOf(%v) = %s", id, got)
		}
		if got := call(e, to, e.nft.PackTokenURI(id), e.nft.UnpackTokenURI); got != uri {
			t.Errorf("tokenURI(%v) = %q", id, got)
		}
		if got := e.totalMinted(); got != uint64(i+1) {
			t.Errorf("totalMinted = %d", got)
		}
	}
	if got := call(e, to, e.nft.PackBalanceOf(to), e.nft.UnpackBalanceOf); got.Int64() != 2 {
		t.Errorf("balanceOf = %v", got)
	}
}

func TestMintByNonMinterReverts(t *testing.T) {
	e := setup(t)
	for _, k := range []*ecdsa.PrivateKey{e.other, e.admin} {
		got := e.sendReverts(k, e.nft.PackMint(addrOf(k), "ipfs://x"))
		ua, ok := got.(*bindings.CofferNFTAccessControlUnauthorizedAccount)
		if !ok || ua.Account != addrOf(k) || ua.NeededRole != crypto.Keccak256Hash([]byte("MINTER_ROLE")) {
			t.Errorf("revert = %#v, want AccessControlUnauthorizedAccount(%s, MINTER_ROLE)", got, addrOf(k))
		}
	}
	if e.totalMinted() != 0 {
		t.Error("token minted by non-minter")
	}
}

func TestMintWithVoucher(t *testing.T) {
	e := setup(t)
	to := addrOf(e.user)
	v := e.voucher(to, "ipfs://voucher", 42)
	sig := e.signVoucher(e.minter, v)

	// The contract recovers the same signer go-ethereum signed with.
	signer := call(e, to, e.nft.PackVoucherSigner(v.To, v.URI, v.Nonce, v.Deadline, sig), e.nft.UnpackVoucherSigner)
	if signer != addrOf(e.minter) {
		t.Fatalf("voucherSigner = %s, want minter %s", signer, addrOf(e.minter))
	}

	r := e.send(e.user, e.packVoucher(v, sig)) // the recipient's own wallet sends it
	t.Logf("mintWithVoucher gas used: %d", r.GasUsed)
	evs := e.minted(r)
	if len(evs) != 1 || evs[0].To != to || evs[0].TokenId.Int64() != 1 {
		t.Fatalf("mint events = %+v", evs)
	}
	var redeemed *bindings.CofferNFTVoucherRedeemed
	for _, l := range r.Logs {
		if ev, err := e.nft.UnpackVoucherRedeemedEvent(l); err == nil {
			redeemed = ev
		}
	}
	if redeemed == nil || redeemed.Nonce.Int64() != 42 || redeemed.Signer != addrOf(e.minter) || redeemed.TokenId.Int64() != 1 {
		t.Fatalf("VoucherRedeemed = %+v", redeemed)
	}
	if got := call(e, to, e.nft.PackOwnerOf(big.NewInt(1)), e.nft.UnpackOwnerOf); got != to {
		t.Errorf("ownerOf = %s", got)
	}
	if got := call(e, to, e.nft.PackTokenURI(big.NewInt(1)), e.nft.UnpackTokenURI); got != v.URI {
		t.Errorf("tokenURI = %q", got)
	}
	if !call(e, to, e.nft.PackIsVoucherUsed(v.Nonce), e.nft.UnpackIsVoucherUsed) {
		t.Error("isVoucherUsed = false after redemption")
	}

	// Reuse of the same voucher.
	if got := e.sendReverts(e.user, e.packVoucher(v, sig)); !isType[*bindings.CofferNFTVoucherUsed](got) {
		t.Errorf("reused voucher: revert = %#v, want VoucherUsed", got)
	}
	// A different voucher with the same nonce is also spent.
	v2 := e.voucher(to, "ipfs://other", 42)
	if got := e.sendReverts(e.user, e.packVoucher(v2, e.signVoucher(e.minter, v2))); !isType[*bindings.CofferNFTVoucherUsed](got) {
		t.Errorf("reused nonce: revert = %#v, want VoucherUsed", got)
	}
	if e.totalMinted() != 1 {
		t.Errorf("totalMinted = %d, want 1", e.totalMinted())
	}
}

func TestVoucherExpired(t *testing.T) {
	e := setup(t)
	to := addrOf(e.user)
	v := bindings.MintVoucher{To: to, URI: "ipfs://late", Nonce: big.NewInt(1),
		Deadline: new(big.Int).SetUint64(e.headTime() + 60)}
	sig := e.signVoucher(e.minter, v)
	if err := e.sim.AdjustTime(2 * time.Minute); err != nil {
		t.Fatal(err)
	}
	e.sim.Commit()
	if got := e.sendReverts(e.user, e.packVoucher(v, sig)); !isType[*bindings.CofferNFTVoucherExpired](got) {
		t.Errorf("revert = %#v, want VoucherExpired", got)
	}
}

func TestVoucherSentByOtherReverts(t *testing.T) {
	e := setup(t)
	v := e.voucher(addrOf(e.user), "ipfs://front-run", 7)
	sig := e.signVoucher(e.minter, v)
	// Someone who saw the voucher (e.g. in the mempool) cannot redeem it,
	// neither for the recipient nor redirected to themselves.
	if got := e.sendReverts(e.other, e.packVoucher(v, sig)); !isType[*bindings.CofferNFTNotVoucherRecipient](got) {
		t.Errorf("revert = %#v, want NotVoucherRecipient", got)
	}
	redirected := v
	redirected.To = addrOf(e.other)
	got := e.sendReverts(e.other, e.packVoucher(redirected, sig))
	if bad, ok := got.(*bindings.CofferNFTInvalidVoucherSigner); !ok || bad.Signer == addrOf(e.minter) {
		t.Errorf("redirected voucher: revert = %#v, want InvalidVoucherSigner(not minter)", got)
	}
	// Even the minter cannot send it for the user.
	if got := e.sendReverts(e.minter, e.packVoucher(v, sig)); !isType[*bindings.CofferNFTNotVoucherRecipient](got) {
		t.Errorf("minter-sent: revert = %#v, want NotVoucherRecipient", got)
	}
	// The voucher is still good for its recipient.
	e.send(e.user, e.packVoucher(v, sig))
	if e.totalMinted() != 1 {
		t.Errorf("totalMinted = %d, want 1", e.totalMinted())
	}
}

func TestVoucherBadSignerReverts(t *testing.T) {
	e := setup(t)
	to := addrOf(e.user)
	for name, k := range map[string]*ecdsa.PrivateKey{"stranger": e.other, "admin": e.admin, "recipient": e.user} {
		v := e.voucher(to, "ipfs://forged-"+name, 9)
		got := e.sendReverts(e.user, e.packVoucher(v, e.signVoucher(k, v)))
		if bad, ok := got.(*bindings.CofferNFTInvalidVoucherSigner); !ok || bad.Signer != addrOf(k) {
			t.Errorf("%s-signed: revert = %#v, want InvalidVoucherSigner(%s)", name, got, addrOf(k))
		}
	}
	// A tampered URI recovers some other address.
	v := e.voucher(to, "ipfs://original", 10)
	sig := e.signVoucher(e.minter, v)
	v.URI = "ipfs://tampered"
	if got := e.sendReverts(e.user, e.packVoucher(v, sig)); !isType[*bindings.CofferNFTInvalidVoucherSigner](got) {
		t.Errorf("tampered: revert = %#v, want InvalidVoucherSigner", got)
	}
	// A malformed signature reports the zero address.
	got := e.sendReverts(e.user, e.packVoucher(v, []byte{1, 2, 3}))
	if bad, ok := got.(*bindings.CofferNFTInvalidVoucherSigner); !ok || bad.Signer != (common.Address{}) {
		t.Errorf("malformed: revert = %#v, want InvalidVoucherSigner(0x0)", got)
	}
	if e.totalMinted() != 0 {
		t.Errorf("totalMinted = %d, want 0", e.totalMinted())
	}
}

func TestVoucherDigestMatchesManualEncoding(t *testing.T) {
	chainID := big.NewInt(1337)
	contract := common.HexToAddress("0x00000000000000000000000000000000000c0ffe")
	v := bindings.MintVoucher{To: common.HexToAddress("0x1111111111111111111111111111111111111111"),
		URI: "ipfs://x", Nonce: big.NewInt(5), Deadline: big.NewInt(1 << 40)}
	got, err := v.Digest(chainID, contract, collectionName)
	if err != nil {
		t.Fatal(err)
	}
	word := func(b *big.Int) []byte { return common.LeftPadBytes(b.Bytes(), 32) }
	domain := crypto.Keccak256(
		crypto.Keccak256([]byte("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")),
		crypto.Keccak256([]byte(collectionName)), crypto.Keccak256([]byte("1")),
		word(chainID), common.LeftPadBytes(contract.Bytes(), 32))
	structHash := crypto.Keccak256(
		crypto.Keccak256([]byte("MintVoucher(address to,string uri,uint256 nonce,uint256 deadline)")),
		common.LeftPadBytes(v.To.Bytes(), 32), crypto.Keccak256([]byte(v.URI)), word(v.Nonce), word(v.Deadline))
	want := crypto.Keccak256Hash([]byte{0x19, 0x01}, domain, structHash)
	if got != want {
		t.Fatalf("digest = %s, want %s", got, want)
	}
}

func isType[T any](v any) bool { _, ok := v.(T); return ok }
