package ethsign

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/keys/keystest"
	"github.com/cofferhq/coffer/keys/local"
	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// signerFor imports priv into a fresh local backend, so every test goes
// through the real primitive.
func signerFor(t testing.TB, privHex string) KeySigner {
	t.Helper()
	priv, err := crypto.HexToECDSA(privHex)
	if err != nil {
		t.Fatal(err)
	}
	var mk [32]byte
	mk[0] = 1
	b := local.New(keystest.NewMemKeyStore(), local.NewStaticMaster(mk))
	rec, err := b.ImportKey(context.Background(), priv)
	if err != nil {
		t.Fatal(err)
	}
	return KeySigner{Signer: b, KeyID: rec.ID, Address: rec.Address}
}

const key46 = "4646464646464646464646464646464646464646464646464646464646464646"

// The example of EIP-155 itself.
func TestEIP155Example(t *testing.T) {
	k := signerFor(t, key46)
	to := common.HexToAddress("0x3535353535353535353535353535353535353535")
	tx := types.NewTransaction(9, to, big.NewInt(1e18), 21000, big.NewInt(20e9), nil)
	chainID := big.NewInt(1)
	if h := types.LatestSignerForChainID(chainID).Hash(tx); h.Hex() != "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53" {
		t.Fatalf("signing hash = %s", h.Hex())
	}
	signed, err := k.SignTx(context.Background(), tx, chainID)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := signed.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	const want = "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
	if got := hex.EncodeToString(raw); got != want {
		t.Fatalf("raw tx\n got %s\nwant %s", got, want)
	}
	if v, _, _ := signed.RawSignatureValues(); v.Int64() != 37 {
		t.Errorf("v = %d, want 37", v)
	}
}

func TestTypedTransactions(t *testing.T) {
	ctx := context.Background()
	k := signerFor(t, key46)
	chainID := big.NewInt(1337)
	to := common.HexToAddress("0x1111111111111111111111111111111111111111")
	al := types.AccessList{{Address: to, StorageKeys: []common.Hash{{1}}}}
	txs := map[string]*types.Transaction{
		"legacy": types.NewTransaction(0, to, big.NewInt(1), 21000, big.NewInt(1e9), nil),
		"2930": types.NewTx(&types.AccessListTx{ChainID: chainID, Nonce: 1, GasPrice: big.NewInt(1e9), Gas: 50000,
			To: &to, Value: big.NewInt(2), Data: []byte{1, 2}, AccessList: al}),
		"1559": types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Nonce: 2, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(3e9),
			Gas: 60000, To: &to, Value: big.NewInt(3), Data: []byte{3}, AccessList: al}),
		"1559 deploy": types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Nonce: 3, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(2),
			Gas: 1e6, Data: []byte{0x60, 0x00}}),
	}
	for name, tx := range txs {
		t.Run(name, func(t *testing.T) {
			signed, err := k.SignTx(ctx, tx, chainID)
			if err != nil {
				t.Fatal(err)
			}
			if signed.Type() != tx.Type() || signed.ChainId().Cmp(chainID) != 0 {
				t.Errorf("type %d chain %s", signed.Type(), signed.ChainId())
			}
			raw, _ := signed.MarshalBinary()
			var back types.Transaction
			if err := back.UnmarshalBinary(raw); err != nil {
				t.Fatal(err)
			}
			from, err := types.Sender(types.LatestSignerForChainID(chainID), &back)
			if err != nil || from != k.Address {
				t.Fatalf("decoded sender = %s, %v; want %s", from, err, k.Address)
			}
			if _, _, s := back.RawSignatureValues(); s.Cmp(new(big.Int).Rsh(crypto.S256().Params().N, 1)) > 0 {
				t.Error("high s")
			}
		})
	}
	// A typed transaction built for another chain is refused, not re-targeted.
	if _, err := k.SignTx(ctx, txs["1559"], big.NewInt(1)); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Errorf("chain mismatch: %v", err)
	}
	if _, err := k.SignTx(ctx, txs["1559"], nil); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Errorf("nil chain id: %v", err)
	}
}

func TestRejectedTransactionTypes(t *testing.T) {
	k := signerFor(t, key46)
	to := common.HexToAddress("0x1111111111111111111111111111111111111111")
	for name, tx := range map[string]*types.Transaction{
		"4844": types.NewTx(&types.BlobTx{ChainID: uint256.NewInt(1), To: to, BlobHashes: []common.Hash{{1}},
			GasTipCap: uint256.NewInt(1), GasFeeCap: uint256.NewInt(1), BlobFeeCap: uint256.NewInt(1)}),
		"7702": types.NewTx(&types.SetCodeTx{ChainID: uint256.NewInt(1), To: to,
			GasTipCap: uint256.NewInt(1), GasFeeCap: uint256.NewInt(1), AuthList: []types.SetCodeAuthorization{{}}}),
	} {
		_, err := k.SignTx(context.Background(), tx, big.NewInt(1))
		if coffer.ErrorCode(err) != coffer.EINVALID || !strings.Contains(err.Error(), "EIP-"+name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSignMessageEIP191(t *testing.T) {
	k := signerFor(t, key46)
	priv, _ := crypto.HexToECDSA(key46)
	for _, msg := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte{0xff}, 1000)} {
		got, err := k.SignMessage(context.Background(), msg)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := crypto.Sign(accounts.TextHash(msg), priv)
		want[64] += 27
		if !bytes.Equal(got, want) {
			t.Fatalf("SignMessage(%q)\n got %x\nwant %x", msg, got, want)
		}
		if !VerifyHash(common.BytesToHash(accounts.TextHash(msg)), got, k.Address) {
			t.Error("VerifyHash rejects it")
		}
	}
}

func TestSignHash(t *testing.T) {
	k := signerFor(t, key46)
	h := crypto.Keccak256Hash([]byte("digest"))
	sig, err := k.SignHash(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if sig[64] != 27 && sig[64] != 28 {
		t.Fatalf("v = %d", sig[64])
	}
	if !VerifyHash(h, sig, k.Address) || VerifyHash(common.Hash{1}, sig, k.Address) {
		t.Error("VerifyHash is wrong")
	}
}

const mailJSON = `{
  "types": {
    "EIP712Domain": [
      {"name": "name", "type": "string"},
      {"name": "version", "type": "string"},
      {"name": "chainId", "type": "uint256"},
      {"name": "verifyingContract", "type": "address"}
    ],
    "Person": [
      {"name": "name", "type": "string"},
      {"name": "wallet", "type": "address"}
    ],
    "Mail": [
      {"name": "from", "type": "Person"},
      {"name": "to", "type": "Person"},
      {"name": "contents", "type": "string"}
    ]
  },
  "primaryType": "Mail",
  "domain": {
    "name": "Ether Mail",
    "version": "1",
    "chainId": 1,
    "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"
  },
  "message": {
    "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
    "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
    "contents": "Hello, Bob!"
  }
}`

// The example of EIP-712 itself.
func TestEIP712Mail(t *testing.T) {
	td, err := ParseTypedData([]byte(mailJSON))
	if err != nil {
		t.Fatal(err)
	}
	h, err := HashTypedData(td)
	if err != nil {
		t.Fatal(err)
	}
	if h.Hex() != "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2" {
		t.Fatalf("digest = %s", h.Hex())
	}
	k := signerFor(t, hex.EncodeToString(crypto.Keccak256([]byte("cow"))))
	if k.Address.Hex() != "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826" {
		t.Fatalf("cow's address = %s", k.Address.Hex())
	}
	sig, err := k.SignTypedData(context.Background(), td)
	if err != nil {
		t.Fatal(err)
	}
	const want = "4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d" +
		"07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562" + "1c"
	if got := hex.EncodeToString(sig); got != want {
		t.Fatalf("signature\n got %s\nwant %s", got, want)
	}
}

func TestWrongAddress(t *testing.T) {
	k := signerFor(t, key46)
	k.Address = common.HexToAddress("0x1111111111111111111111111111111111111111")
	if _, err := k.SignHash(context.Background(), common.Hash{1}); err == nil || coffer.ErrorCode(err) != coffer.EINTERNAL {
		t.Errorf("SignHash as another address: %v", err)
	}
	tx := types.NewTransaction(0, common.Address{}, big.NewInt(0), 21000, big.NewInt(1), nil)
	if _, err := k.SignTx(context.Background(), tx, big.NewInt(1)); err == nil {
		t.Error("SignTx as another address succeeded")
	}
	k.KeyID = "missing"
	if _, err := k.SignHash(context.Background(), common.Hash{1}); !coffer.IsNotFound(err) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestTransactOpts(t *testing.T) {
	k := signerFor(t, key46)
	opts := k.TransactOpts(big.NewInt(5))
	if opts.From != k.Address {
		t.Fatal("From is not the key's address")
	}
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(5), Gas: 21000, GasFeeCap: big.NewInt(2), GasTipCap: big.NewInt(1)})
	signed, err := opts.Signer(k.Address, tx)
	if err != nil {
		t.Fatal(err)
	}
	if from, _ := types.Sender(types.LatestSignerForChainID(big.NewInt(5)), signed); from != k.Address {
		t.Errorf("sender = %s", from)
	}
	if _, err := opts.Signer(common.Address{1}, tx); !errors.Is(err, bind.ErrNotAuthorized) {
		t.Errorf("other address: %v", err)
	}
}

func TestParseTypedDataRejects(t *testing.T) {
	mod := func(old, new string) string {
		if !strings.Contains(mailJSON, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(mailJSON, old, new, 1)
	}
	cases := map[string]string{
		"empty":              ``,
		"array":              `[]`,
		"trailing":           mailJSON + `{}`,
		"trailing garbage":   mailJSON + `x`,
		"unknown top key":    mod(`"primaryType"`, `"extra": 1, "primaryType"`),
		"case-folded key":    mod(`"primaryType": "Mail",`, `"primaryType": "Mail", "PrimaryType": "Person",`),
		"duplicate key":      mod(`"contents": "Hello, Bob!"`, `"contents": "Hello, Bob!", "contents": "Bye"`),
		"unknown domain key": mod(`"version": "1",`, `"version": "1", "extra": "x",`),
		"null":               mod(`"Hello, Bob!"`, `null`),
		"float":              mod(`"chainId": 1`, `"chainId": 1.5`),
		"unsafe int":         mod(`"chainId": 1`, `"chainId": 9007199254740993`),
		"exponent":           mod(`"chainId": 1`, `"chainId": 1e3`),
		"undefined primary":  mod(`"primaryType": "Mail"`, `"primaryType": "Nope"`),
		"domain primary":     mod(`"primaryType": "Mail"`, `"primaryType": "EIP712Domain"`),
		"undefined type":     mod(`"type": "Person"}`, `"type": "Persona"}`),
		"bad array":          mod(`"type": "Person"}`, `"type": "Person[x]"}`),
		"bad primitive":      mod(`{"name": "contents", "type": "string"}`, `{"name": "contents", "type": "uint7"}`),
		"dup field":          mod(`{"name": "contents", "type": "string"}`, `{"name": "contents", "type": "string"}, {"name": "contents", "type": "string"}`),
		"bad address":        mod(`0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB`, `0xbB`),
		"missing field":      mod(`"contents": "Hello, Bob!"`, `"content": "Hello, Bob!"`),
		"wrong value type":   mod(`"Hello, Bob!"`, `7`),
		"too deep":           mod(`"Hello, Bob!"`, strings.Repeat("[", 20)+strings.Repeat("]", 20)),
		"no message":         mod(`"message": {`, `"massage": {`),
	}
	for name, in := range cases {
		_, err := ParseTypedData([]byte(in))
		if coffer.ErrorCode(err) != coffer.EINVALID {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	big := `{"message": "` + strings.Repeat("a", MaxTypedDataSize) + `"}`
	if _, err := ParseTypedData([]byte(big)); coffer.ErrorCode(err) != coffer.ETOOLARGE {
		t.Errorf("too large: %v", err)
	}
	// Large integers are fine as strings.
	if _, err := ParseTypedData([]byte(mod(`"chainId": 1`, `"chainId": "0x1"`))); err != nil {
		t.Errorf("hex chain id: %v", err)
	}
}

// go-ethereum's encoder panics on a null inside an array; HashTypedData must
// turn that into an error for data that did not come through ParseTypedData.
func TestHashTypedDataNoPanic(t *testing.T) {
	td, err := ParseTypedData([]byte(mailJSON))
	if err != nil {
		t.Fatal(err)
	}
	td.Types["Mail"] = append(td.Types["Mail"], apitypesField("tags", "string[]"))
	td.Message["tags"] = []interface{}{nil}
	if _, err := HashTypedData(td); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Errorf("err = %v, want invalid", err)
	}
}
