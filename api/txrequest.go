package api

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/cofferhq/coffer"
)

// txRequest is a decoded and validated sign-transaction request. Omitted
// fields stay nil and are filled from the chain.
type txRequest struct {
	ChainID                  uint64
	Type                     string // "legacy" or "eip1559"
	To                       *common.Address
	Value                    *big.Int
	Data                     []byte
	Nonce, Gas               *uint64
	GasPrice, FeeCap, TipCap *big.Int
}

// maxTxData bounds calldata: well above any contract call, far below the body limit's abuse.
const maxTxData = 128 << 10

// decodeTxRequest parses untrusted sign-transaction JSON strictly; every
// error is EINVALID with a message naming the field.
func decodeTxRequest(body []byte) (*txRequest, error) {
	var in struct {
		ChainID              uint64  `json:"chain_id"`
		To                   *string `json:"to"`
		Value                *string `json:"value"`
		Data                 *string `json:"data"`
		Nonce                *uint64 `json:"nonce"`
		Gas                  *uint64 `json:"gas"`
		Type                 string  `json:"type"`
		GasPrice             *string `json:"gas_price"`
		MaxFeePerGas         *string `json:"max_fee_per_gas"`
		MaxPriorityFeePerGas *string `json:"max_priority_fee_per_gas"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.ChainID == 0 {
		return nil, coffer.Errorf(coffer.EINVALID, "chain_id is required")
	}
	req := &txRequest{ChainID: in.ChainID, Type: in.Type, Nonce: in.Nonce, Gas: in.Gas}
	if in.To != nil {
		a, err := parseAddress("to", *in.To)
		if err != nil {
			return nil, err
		}
		req.To = &a
	}
	var err error
	if req.Value, err = decimal("value", in.Value); err != nil {
		return nil, err
	}
	if req.Value == nil {
		req.Value = new(big.Int)
	}
	if in.Data != nil {
		if req.Data, err = hexutil.Decode(*in.Data); err != nil {
			return nil, coffer.Errorf(coffer.EINVALID, "data must be 0x-prefixed hex with an even number of digits")
		}
		if len(req.Data) > maxTxData {
			return nil, coffer.Errorf(coffer.EINVALID, "data is %d bytes; the limit is %d", len(req.Data), maxTxData)
		}
	}
	if req.To == nil && len(req.Data) == 0 {
		return nil, coffer.Errorf(coffer.EINVALID, "to is required (or data, to create a contract)")
	}
	if in.Gas != nil && (*in.Gas < 21000 || *in.Gas > 100_000_000) {
		return nil, coffer.Errorf(coffer.EINVALID, "gas must be between 21000 and 100000000")
	}
	if req.GasPrice, err = decimal("gas_price", in.GasPrice); err != nil {
		return nil, err
	}
	if req.FeeCap, err = decimal("max_fee_per_gas", in.MaxFeePerGas); err != nil {
		return nil, err
	}
	if req.TipCap, err = decimal("max_priority_fee_per_gas", in.MaxPriorityFeePerGas); err != nil {
		return nil, err
	}
	switch req.Type {
	case "", "eip1559":
		req.Type = "eip1559"
		if req.GasPrice != nil {
			return nil, coffer.Errorf(coffer.EINVALID, "gas_price is for type legacy; use max_fee_per_gas and max_priority_fee_per_gas")
		}
		if req.FeeCap != nil && req.TipCap != nil && req.TipCap.Cmp(req.FeeCap) > 0 {
			return nil, coffer.Errorf(coffer.EINVALID, "max_priority_fee_per_gas is above max_fee_per_gas")
		}
	case "legacy":
		if req.FeeCap != nil || req.TipCap != nil {
			return nil, coffer.Errorf(coffer.EINVALID, "max_fee_per_gas and max_priority_fee_per_gas are for type eip1559")
		}
	default:
		return nil, coffer.Errorf(coffer.EINVALID, "type must be legacy or eip1559")
	}
	return req, nil
}
