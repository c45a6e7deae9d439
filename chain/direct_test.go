package chain_test

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/nft/bindings"
)

// TestDirectEstimateGas: the dev chain's Direct estimates as its
// eth_estimateGas does — the same gas for a transfer, a deployment and a
// mint, the same revert (data and decoded reason) for a mint the contract
// refuses, the same errors for a cap too low, fees given, and a value above
// the balance.
func TestDirectEstimateGas(t *testing.T) {
	ctx := context.Background()
	key, _ := crypto.GenerateKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	dc := fundedChain(t, false, "", key)
	viaRPC := chain.NewFromRPC(1337, dc.RPC())
	defer viaRPC.Close()
	direct := dc.Direct()

	nft := bindings.NewCofferNFT()
	opts := bind.NewKeyedTransactor(key, big.NewInt(1337))
	deploy := nft.PackConstructor("T", "T", from, from)
	addr, tx, err := bind.DeployContract(opts, common.FromHex(bindings.CofferNFTMetaData.Bin), dc.Client(), deploy)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bind.WaitDeployed(ctx, dc.Client(), tx.Hash()); err != nil {
		t.Fatal(err)
	}
	other := common.HexToAddress("0xbb")
	mint := nft.PackMint(other, "http://127.0.0.1/metadata/x.json")
	code := append(common.FromHex(bindings.CofferNFTMetaData.Bin), deploy...)
	balance := new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))

	cases := []struct {
		name   string
		msg    ethereum.CallMsg
		revert bool
	}{
		{"transfer", ethereum.CallMsg{From: from, To: &other, Value: big.NewInt(1)}, false},
		{"deployment", ethereum.CallMsg{From: from, Data: code}, false},
		{"mint", ethereum.CallMsg{From: from, To: &addr, Data: mint}, false},
		{"mint under a hint", ethereum.CallMsg{From: from, To: &addr, Data: mint, Gas: 1_000_000}, false},
		{"mint with fees", ethereum.CallMsg{From: from, To: &addr, Data: mint, GasFeeCap: big.NewInt(params.GWei), GasTipCap: big.NewInt(1)}, false},
		{"mint by another", ethereum.CallMsg{From: other, To: &addr, Data: mint}, true},
		{"cap too low", ethereum.CallMsg{From: from, To: &addr, Data: mint, Gas: 30_000}, false},
		{"both fee styles", ethereum.CallMsg{From: from, To: &other, GasPrice: big.NewInt(1), GasFeeCap: big.NewInt(1)}, false},
		{"value above the balance", ethereum.CallMsg{From: from, To: &other, Value: new(big.Int).Add(balance, big.NewInt(1))}, false},
	}
	for _, c := range cases {
		want, werr := viaRPC.EstimateGas(ctx, c.msg)
		got, gerr := direct.EstimateGas(ctx, c.msg)
		if c.revert {
			wr, gr := chain.AsRevert(werr), new(chain.RevertError)
			if wr == nil || !errors.As(gerr, &gr) || gr.Reason != wr.Reason || string(gr.Data) != string(wr.Data) || gr.Reason == "" {
				t.Errorf("%s: direct %v (%+v), json-rpc %v (%+v)", c.name, gerr, gr, werr, wr)
			}
			continue
		}
		if (werr == nil) != (gerr == nil) || werr != nil && gerr.Error() != werr.Error() || got != want {
			t.Errorf("%s: direct %d, %v; json-rpc %d, %v", c.name, got, gerr, want, werr)
		}
		if werr == nil && want < params.TxGas {
			t.Errorf("%s: estimate %d", c.name, want)
		}
	}
}
