package bindings

import (
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// VoucherDomainVersion is the EIP-712 domain version CofferNFT uses.
const VoucherDomainVersion = "1"

// MintVoucher is CofferNFT's EIP-712 struct
// MintVoucher(address to,string uri,uint256 nonce,uint256 deadline).
// A MINTER_ROLE holder signs it; only To may redeem it with mintWithVoucher,
// at or before Deadline (unix seconds), once per Nonce.
type MintVoucher struct {
	To       common.Address
	URI      string
	Nonce    *big.Int
	Deadline *big.Int
}

// TypedData returns the voucher as EIP-712 typed data for the CofferNFT
// collection named name (its EIP-712 domain name) at contract on chainID.
// Suitable for eth_signTypedData_v4.
func (v MintVoucher) TypedData(chainID *big.Int, contract common.Address, name string) apitypes.TypedData {
	return apitypes.TypedData{
		Types: apitypes.Types{
			"EIP712Domain": {
				{Name: "name", Type: "string"},
				{Name: "version", Type: "string"},
				{Name: "chainId", Type: "uint256"},
				{Name: "verifyingContract", Type: "address"},
			},
			"MintVoucher": {
				{Name: "to", Type: "address"},
				{Name: "uri", Type: "string"},
				{Name: "nonce", Type: "uint256"},
				{Name: "deadline", Type: "uint256"},
			},
		},
		PrimaryType: "MintVoucher",
		Domain: apitypes.TypedDataDomain{
			Name:              name,
			Version:           VoucherDomainVersion,
			ChainId:           (*math.HexOrDecimal256)(new(big.Int).Set(chainID)),
			VerifyingContract: contract.Hex(),
		},
		Message: apitypes.TypedDataMessage{
			"to":       v.To.Hex(),
			"uri":      v.URI,
			"nonce":    new(big.Int).Set(v.Nonce),
			"deadline": new(big.Int).Set(v.Deadline),
		},
	}
}

// Digest returns the EIP-712 hash a MINTER_ROLE holder signs. The 65-byte
// signature passed to mintWithVoucher is r || s || v with v = 27 or 28
// (crypto.Sign returns v = 0 or 1: add 27).
func (v MintVoucher) Digest(chainID *big.Int, contract common.Address, name string) (common.Hash, error) {
	if chainID == nil || v.Nonce == nil || v.Deadline == nil {
		return common.Hash{}, errors.New("bindings: voucher chainID, nonce and deadline are required")
	}
	h, _, err := apitypes.TypedDataAndHash(v.TypedData(chainID, contract, name))
	if err != nil {
		return common.Hash{}, err
	}
	return common.BytesToHash(h), nil
}
