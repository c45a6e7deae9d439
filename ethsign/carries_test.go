package ethsign

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// carries replaces a second recovery in SignTx: it must accept exactly the
// transaction that holds the signature made, and refuse any other V, R, S
// or signing hash.
func TestCarries(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0x3535353535353535353535353535353535353535")
	chainID := big.NewInt(1337)
	for _, tx := range []*types.Transaction{
		types.NewTx(&types.LegacyTx{Nonce: 9, GasPrice: big.NewInt(20e9), Gas: 21000, To: &to, Value: big.NewInt(1)}),
		types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Nonce: 9, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(2), Gas: 21000, To: &to}),
		types.NewTx(&types.AccessListTx{ChainID: chainID, Nonce: 9, GasPrice: big.NewInt(3), Gas: 21000, To: &to}),
	} {
		signer := types.LatestSignerForChainID(chainID)
		h := signer.Hash(tx)
		sig, err := crypto.Sign(h[:], key)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := tx.WithSignature(signer, sig)
		if err != nil {
			t.Fatal(err)
		}
		if err := carries(signer, signed, h, sig, chainID); err != nil {
			t.Fatalf("type %d: the signed transaction itself refused: %v", tx.Type(), err)
		}
		if from, err := types.Sender(signer, signed); err != nil || from != crypto.PubkeyToAddress(key.PublicKey) {
			t.Fatalf("type %d: sender %s, %v", tx.Type(), from, err)
		}
		flipped := append([]byte(nil), sig...)
		flipped[64] ^= 1
		otherR := append([]byte(nil), sig...)
		otherR[31] ^= 1
		otherS := append([]byte(nil), sig...)
		otherS[63] ^= 1
		for name, bad := range map[string][]byte{"recovery id": flipped, "r": otherR, "s": otherS} {
			if err := carries(signer, signed, h, bad, chainID); err == nil {
				t.Errorf("type %d: a transaction carrying another %s passed", tx.Type(), name)
			}
		}
		if err := carries(signer, signed, [32]byte{1}, sig, chainID); err == nil {
			t.Errorf("type %d: another signing hash passed", tx.Type())
		}
		if tx.Type() == types.LegacyTxType {
			// Same signature, V encoded for another chain.
			other := types.LatestSignerForChainID(big.NewInt(1))
			moved, err := tx.WithSignature(other, sig)
			if err != nil {
				t.Fatal(err)
			}
			if err := carries(signer, moved, h, sig, chainID); err == nil {
				t.Error("legacy: V for chain 1 passed for chain 1337")
			}
		}
	}
}
