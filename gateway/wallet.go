package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/ethsign"
)

// answer serves the methods coffer answers itself.
func (g *Gateway) answer(ctx context.Context, client *chain.Client, p *coffer.Principal, c *call) (json.RawMessage, *rpcError) {
	var v any
	var err error
	switch c.req.Method {
	case "eth_chainId":
		v = hexutil.Uint64(client.ID())
	case "eth_accounts", "eth_requestAccounts":
		v, err = g.accounts(ctx, p)
	case "personal_sign":
		v, err = g.personalSign(ctx, p, c.args)
	case "eth_sign":
		v, err = g.ethSign(ctx, p, c.args)
	case "eth_signTypedData_v4", "eth_signTypedData_v3":
		v, err = g.signTypedData(ctx, p, c.args)
	case "eth_signTransaction":
		v, err = g.signTransaction(ctx, client, p, c.args)
	case "eth_sendTransaction":
		v, err = g.sendTransaction(ctx, client, p, c.args)
	case "eth_sendRawTransaction":
		v, err = g.sendRawTransaction(ctx, client, p, c.args)
	default:
		return nil, rpcErrorf(codeMethodNotFound, "method %s is not available through coffer", c.req.Method)
	}
	if err != nil {
		return nil, g.localError(ctx, c.req.Method, err)
	}
	b, merr := json.Marshal(v)
	if merr != nil {
		return nil, g.localError(ctx, c.req.Method, merr)
	}
	return b, nil
}

// localError maps a coffer error to JSON-RPC.
func (g *Gateway) localError(ctx context.Context, method string, err error) *rpcError {
	var re *rpcError
	if errors.As(err, &re) {
		return re
	}
	msg := coffer.ErrorMessage(err)
	switch coffer.ErrorCode(err) {
	case coffer.EINVALID, coffer.ETOOLARGE:
		if rest, ok := strings.CutPrefix(msg, "the transaction would revert: "); ok {
			return rpcErrorf(codeServer, "execution reverted: %s", rest)
		}
		return rpcErrorf(codeInvalidParams, "%s", msg)
	case coffer.EUNAUTHORIZED:
		return rpcErrorf(codeUnauthorized, "%s", msg)
	case coffer.ENOTFOUND:
		return rpcErrorf(codeUnauthorized, "%s", msg) // another user's wallet: not yours to use
	case coffer.EFORBIDDEN:
		return rpcErrorf(codeUserRejected, "refused: %s", msg)
	case coffer.ECONFLICT:
		return rpcErrorf(codeServer, "%s", msg)
	case coffer.ERATELIMITED:
		return rpcErrorf(codeLimitExceeded, "%s", msg)
	case coffer.EUNAVAILABLE:
		g.Log.Warn("rpc: unavailable", "method", method, "request_id", coffer.RequestIDFrom(ctx), "err", g.cause(err))
		return rpcErrorf(codeUnavailable, "%s", msg)
	}
	g.Log.Error("rpc: internal error", "method", method, "request_id", coffer.RequestIDFrom(ctx), "err", g.cause(err))
	return rpcErrorf(codeInternal, "internal error (request id %s)", coffer.RequestIDFrom(ctx))
}

// accounts are the caller's wallets, the default (oldest) first; the first
// is created on first need, as everywhere in coffer. An operator key with
// no user behind it gets the platform wallet.
func (g *Gateway) accounts(ctx context.Context, p *coffer.Principal) ([]common.Address, error) {
	if p.UserID == "" {
		w, err := g.Custody.PlatformWallet(ctx)
		if err != nil {
			return nil, err
		}
		return []common.Address{w.Address}, nil
	}
	def, err := g.Custody.UserWallet(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	ws, _, err := g.Store.Wallets(ctx, p.UserID, 500, "")
	if err != nil {
		return nil, err
	}
	out := []common.Address{def.Address}
	for _, w := range slices.Backward(ws) { // newest first: oldest after the default
		if w.Address != def.Address && !w.Disabled {
			out = append(out, w.Address)
		}
	}
	return out, nil
}

// wallet is the caller's wallet at addr, or the default one when addr is
// empty.
func (g *Gateway) wallet(ctx context.Context, p *coffer.Principal, addr *common.Address) (*coffer.Wallet, error) {
	if addr == nil {
		accts, err := g.accounts(ctx, p)
		if err != nil {
			return nil, err
		}
		addr = &accts[0]
	}
	w, err := g.Custody.Wallet(ctx, p, *addr)
	if coffer.IsNotFound(err) {
		return nil, rpcErrorf(codeUnauthorized, "account %s is not one of your wallets", addr.Hex())
	}
	return w, err
}

func argN(method string, args []json.RawMessage, n int) error {
	if len(args) < n {
		return rpcErrorf(codeInvalidParams, "%s takes %d params, got %d", method, n, len(args))
	}
	return nil
}

// addressArg decodes an address param.
func addressArg(method string, raw json.RawMessage) (common.Address, error) {
	var s string
	if json.Unmarshal(raw, &s) != nil || !common.IsHexAddress(s) {
		return common.Address{}, rpcErrorf(codeInvalidParams, "%s: %s is not an address", method, short(raw))
	}
	return common.HexToAddress(s), nil
}

func isAddress(raw json.RawMessage) bool {
	var s string
	return json.Unmarshal(raw, &s) == nil && len(s) == 42 && common.IsHexAddress(s)
}

func short(raw json.RawMessage) string {
	if len(raw) > 80 {
		return string(raw[:77]) + "..."
	}
	return string(raw)
}

// personalSign: personal_sign [data, address] (EIP-191). data is 0x hex
// bytes, or else text (as MetaMask accepts); the reversed order some old
// clients send is recognised by the address.
func (g *Gateway) personalSign(ctx context.Context, p *coffer.Principal, args []json.RawMessage) (any, error) {
	if err := argN("personal_sign", args, 2); err != nil {
		return nil, err
	}
	data, who := args[0], args[1]
	if isAddress(data) && !isAddress(who) {
		data, who = who, data
	}
	addr, err := addressArg("personal_sign", who)
	if err != nil {
		return nil, err
	}
	var s string
	if json.Unmarshal(data, &s) != nil {
		return nil, rpcErrorf(codeInvalidParams, "personal_sign: the message must be a string (0x hex or text)")
	}
	msg := []byte(s)
	if b, err := hexutil.Decode(s); err == nil {
		msg = b
	}
	w, err := g.wallet(ctx, p, &addr)
	if err != nil {
		return nil, err
	}
	sig, err := g.Custody.SignMessage(ctx, p, w.Address, msg)
	if err != nil {
		return nil, err
	}
	return hexutil.Bytes(sig), nil
}

// ethSign: eth_sign [address, hash] in its original (and MetaMask's) meaning:
// a signature over a raw 32-byte digest, which can be a transaction or
// anything else. It is custody's SignHash, so policy.raw_hash decides
// (admins only by default: a user is refused with 4001). Messages belong in
// personal_sign.
func (g *Gateway) ethSign(ctx context.Context, p *coffer.Principal, args []json.RawMessage) (any, error) {
	if err := argN("eth_sign", args, 2); err != nil {
		return nil, err
	}
	addr, err := addressArg("eth_sign", args[0])
	if err != nil {
		return nil, err
	}
	var s string
	_ = json.Unmarshal(args[1], &s)
	digest, err := hexutil.Decode(s)
	if err != nil || len(digest) != 32 {
		return nil, rpcErrorf(codeInvalidParams, "eth_sign signs a raw 32-byte hash (0x + 64 hex digits); to sign a message use personal_sign")
	}
	w, err := g.wallet(ctx, p, &addr)
	if err != nil {
		return nil, err
	}
	sig, err := g.Custody.SignHash(ctx, p, w.Address, [32]byte(digest), false)
	if err != nil {
		return nil, err
	}
	return hexutil.Bytes(sig), nil
}

// signTypedData: eth_signTypedData_v4 [address, typedData], typedData as a
// JSON string (ethers, MetaMask) or an object.
func (g *Gateway) signTypedData(ctx context.Context, p *coffer.Principal, args []json.RawMessage) (any, error) {
	if err := argN("eth_signTypedData_v4", args, 2); err != nil {
		return nil, err
	}
	addr, err := addressArg("eth_signTypedData_v4", args[0])
	if err != nil {
		return nil, err
	}
	raw := []byte(args[1])
	var s string
	if json.Unmarshal(args[1], &s) == nil {
		raw = []byte(s)
	}
	td, err := ethsign.ParseTypedData(raw)
	if err != nil {
		return nil, err
	}
	w, err := g.wallet(ctx, p, &addr)
	if err != nil {
		return nil, err
	}
	sig, err := g.Custody.SignTypedData(ctx, p, w.Address, td)
	if err != nil {
		return nil, err
	}
	return hexutil.Bytes(sig), nil
}

// txArgs is the transaction object of eth_sendTransaction and
// eth_signTransaction (EIP-1474).
type txArgs struct {
	From                 *common.Address `json:"from"`
	To                   *common.Address `json:"to"`
	Gas                  *hexutil.Uint64 `json:"gas"`
	GasPrice             *hexutil.Big    `json:"gasPrice"`
	MaxFeePerGas         *hexutil.Big    `json:"maxFeePerGas"`
	MaxPriorityFeePerGas *hexutil.Big    `json:"maxPriorityFeePerGas"`
	Value                *hexutil.Big    `json:"value"`
	Nonce                *hexutil.Uint64 `json:"nonce"`
	Data                 *hexutil.Bytes  `json:"data"`
	Input                *hexutil.Bytes  `json:"input"`
	ChainID              *hexutil.Big    `json:"chainId"`
	Type                 *hexutil.Uint64 `json:"type"`
	AccessList           json.RawMessage `json:"accessList"`
	BlobVersionedHashes  json.RawMessage `json:"blobVersionedHashes"`
	AuthorizationList    json.RawMessage `json:"authorizationList"`
}

// maxTxData bounds calldata, as the REST API does.
const maxTxData = 128 << 10

func decodeTxArgs(method string, args []json.RawMessage, chainID uint64) (*txArgs, error) {
	if err := argN(method, args, 1); err != nil {
		return nil, err
	}
	var t txArgs
	if err := json.Unmarshal(args[0], &t); err != nil {
		return nil, rpcErrorf(codeInvalidParams, "%s: transaction: %v", method, strings.TrimPrefix(err.Error(), "json: "))
	}
	if t.Data != nil && t.Input != nil && string(*t.Data) != string(*t.Input) {
		return nil, rpcErrorf(codeInvalidParams, "%s: data and input differ; send one", method)
	}
	if t.Input != nil {
		t.Data = t.Input
	}
	if t.Data != nil && len(*t.Data) > maxTxData {
		return nil, rpcErrorf(codeInvalidParams, "%s: data is %d bytes; the limit is %d", method, len(*t.Data), maxTxData)
	}
	if t.ChainID != nil && t.ChainID.ToInt().Cmp(new(big.Int).SetUint64(chainID)) != 0 {
		return nil, rpcErrorf(codeInvalidParams, "%s: chainId %s does not match this endpoint's chain %d", method, t.ChainID.ToInt(), chainID)
	}
	if t.Type != nil && *t.Type != 0 && *t.Type != 2 {
		return nil, rpcErrorf(codeInvalidParams, "%s: transaction type %d is not supported (0 legacy, 2 EIP-1559)", method, *t.Type)
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"accessList", t.AccessList}, {"blobVersionedHashes", t.BlobVersionedHashes}, {"authorizationList", t.AuthorizationList}} {
		if s := strings.TrimSpace(string(f.raw)); s != "" && s != "null" && s != "[]" {
			return nil, rpcErrorf(codeInvalidParams, "%s: %s is not supported", method, f.name)
		}
	}
	if t.Gas != nil && (*t.Gas < 21000 || *t.Gas > 100_000_000) {
		return nil, rpcErrorf(codeInvalidParams, "%s: gas must be between 21000 and 100000000", method)
	}
	if t.To == nil && (t.Data == nil || len(*t.Data) == 0) {
		return nil, rpcErrorf(codeInvalidParams, "%s: to is required (or data, to create a contract)", method)
	}
	return &t, nil
}

func (t *txArgs) value() *big.Int {
	if t.Value == nil {
		return new(big.Int)
	}
	return t.Value.ToInt()
}

func (t *txArgs) data() []byte {
	if t.Data == nil {
		return nil
	}
	return *t.Data
}

// signTransaction: eth_signTransaction [tx] → the signed raw transaction.
// Omitted nonce, gas and fees are filled from the node, as in POST
// /v1/wallets/{address}/sign-transaction; nothing is broadcast.
func (g *Gateway) signTransaction(ctx context.Context, client *chain.Client, p *coffer.Principal, args []json.RawMessage) (any, error) {
	t, err := decodeTxArgs("eth_signTransaction", args, client.ID())
	if err != nil {
		return nil, err
	}
	w, err := g.wallet(ctx, p, t.From)
	if err != nil {
		return nil, err
	}
	unavailable := func(err error) error {
		return coffer.WrapError(coffer.EUNAVAILABLE, g.cause(err), "chain %d node unavailable", client.ID())
	}
	var nonce uint64
	if t.Nonce != nil {
		nonce = uint64(*t.Nonce)
	} else if nonce, err = client.PendingNonce(ctx, w.Address); err != nil {
		return nil, unavailable(err)
	}
	var gas uint64
	if t.Gas != nil {
		gas = uint64(*t.Gas)
	} else {
		msg := callMsg(w.Address, t)
		if gas, err = client.EstimateGas(ctx, msg); err != nil {
			if rev := chain.AsRevert(err); rev != nil {
				return nil, rpcErrorf(codeServer, "execution reverted: %s", revertReason(rev))
			}
			return nil, unavailable(err)
		}
	}
	legacy := t.GasPrice != nil || (t.Type != nil && *t.Type == 0)
	if legacy && (t.MaxFeePerGas != nil || t.MaxPriorityFeePerGas != nil) {
		return nil, rpcErrorf(codeInvalidParams, "eth_signTransaction: gasPrice (legacy) and maxFeePerGas/maxPriorityFeePerGas (EIP-1559) exclude each other")
	}
	var inner types.TxData
	if legacy {
		var price *big.Int
		if t.GasPrice != nil {
			price = t.GasPrice.ToInt()
		} else {
			f, err := client.SuggestFees(ctx)
			if err != nil {
				return nil, unavailable(err)
			}
			if price = f.GasPrice; price == nil {
				price = f.FeeCap
			}
		}
		inner = &types.LegacyTx{Nonce: nonce, GasPrice: price, Gas: gas, To: t.To, Value: t.value(), Data: t.data()}
	} else {
		var feeCap, tipCap *big.Int
		if t.MaxFeePerGas != nil {
			feeCap = t.MaxFeePerGas.ToInt()
		}
		if t.MaxPriorityFeePerGas != nil {
			tipCap = t.MaxPriorityFeePerGas.ToInt()
		}
		if feeCap == nil || tipCap == nil {
			f, err := client.SuggestFees(ctx)
			if err != nil {
				return nil, unavailable(err)
			}
			if f.FeeCap == nil {
				return nil, rpcErrorf(codeInvalidParams, "chain %d has no EIP-1559 fees; send type 0 or gasPrice", client.ID())
			}
			if feeCap == nil {
				feeCap = f.FeeCap
			}
			if tipCap == nil {
				tipCap = f.TipCap
			}
		}
		if tipCap.Cmp(feeCap) > 0 {
			return nil, rpcErrorf(codeInvalidParams, "maxPriorityFeePerGas is above maxFeePerGas")
		}
		inner = &types.DynamicFeeTx{ChainID: new(big.Int).SetUint64(client.ID()), Nonce: nonce, GasTipCap: tipCap, GasFeeCap: feeCap,
			Gas: gas, To: t.To, Value: t.value(), Data: t.data()}
	}
	signed, err := g.Custody.SignTransaction(ctx, p, w.Address, types.NewTx(inner), new(big.Int).SetUint64(client.ID()))
	if err != nil {
		return nil, err
	}
	raw, err := signed.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return hexutil.Bytes(raw), nil
}

// sendTransaction: eth_sendTransaction [tx] → the hash, once the managed
// transaction manager has signed it (see the package doc). An
// Idempotency-Key header on a single call makes a retry return the same
// transaction.
func (g *Gateway) sendTransaction(ctx context.Context, client *chain.Client, p *coffer.Principal, args []json.RawMessage) (any, error) {
	t, err := decodeTxArgs("eth_sendTransaction", args, client.ID())
	if err != nil {
		return nil, err
	}
	w, err := g.wallet(ctx, p, t.From)
	if err != nil {
		return nil, err
	}
	if w.Disabled {
		return nil, coffer.Errorf(coffer.EFORBIDDEN, "wallet %s is disabled", w.Address.Hex())
	}
	sum := sha256.Sum256(append([]byte(fmt.Sprintf("rpc eth_sendTransaction %d\n", client.ID())), args[0]...))
	key := ""
	if k := idempotencyKeyFrom(ctx); k != "" {
		key = p.ID() + "|rpc|" + k
		if prior, err := g.Store.TransactionByIdempotencyKey(ctx, key); err == nil {
			if string(prior.RequestHash) != string(sum[:]) {
				return nil, coffer.Errorf(coffer.ECONFLICT, "Idempotency-Key was already used with a different transaction")
			}
			return g.waitHash(ctx, prior.ID)
		} else if !coffer.IsNotFound(err) {
			return nil, err
		}
	}
	if err := g.Custody.CheckTransaction(ctx, p, w.Address, client.ID(), t.To, t.value()); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	tx := &coffer.Transaction{ID: coffer.NewID("tx"), OwnerID: p.UserID, Kind: coffer.KindTransfer, ChainID: client.ID(), From: w.Address,
		To: t.To, Value: t.value(), Data: t.data(), Status: coffer.TxQueued, IdempotencyKey: key, RequestHash: sum[:], CreatedAt: now, UpdatedAt: now}
	if t.To == nil {
		tx.Kind = coffer.KindDeploy
	}
	if t.Gas != nil {
		tx.Gas = uint64(*t.Gas)
	}
	if err := g.Txm.Preflight(ctx, tx); err != nil {
		return nil, err
	}
	if err := g.Store.CreateTransaction(ctx, tx); err != nil {
		if coffer.ErrorCode(err) == coffer.ECONFLICT && key != "" {
			if prior, perr := g.Store.TransactionByIdempotencyKey(ctx, key); perr == nil && string(prior.RequestHash) == string(sum[:]) {
				return g.waitHash(ctx, prior.ID)
			}
		}
		return nil, err
	}
	g.Log.Info("rpc: eth_sendTransaction queued", "id", tx.ID, "chain_id", tx.ChainID, "from", tx.From, "principal", p.ID(), "request_id", coffer.RequestIDFrom(ctx))
	g.Txm.Notify(client.ID())
	return g.waitHash(ctx, tx.ID)
}

// waitHash waits up to SendWait for the transaction's first signed hash.
func (g *Gateway) waitHash(ctx context.Context, id string) (any, error) {
	timer := time.NewTimer(g.cfg.RPC.SendWait)
	defer timer.Stop()
	tick := time.NewTicker(250 * time.Millisecond) // other processes' workers do not wake us
	defer tick.Stop()
	for {
		changed := g.txWait()
		tx, err := g.Store.Transaction(ctx, id)
		if err != nil {
			return nil, err
		}
		switch {
		case tx.Hash != nil && tx.Status != coffer.TxFailed && tx.Status != coffer.TxCancelled:
			return tx.Hash, nil
		case tx.Status == coffer.TxFailed:
			reason := tx.Error
			if reason == "" {
				reason = "no reason given"
			}
			if rest, ok := strings.CutPrefix(reason, "execution reverted"); ok {
				return nil, &rpcError{Code: codeServer, Message: "execution reverted" + rest, Data: map[string]string{"transaction_id": id}}
			}
			return nil, &rpcError{Code: codeServer, Message: "transaction failed: " + reason, Data: map[string]string{"transaction_id": id}}
		case tx.Status == coffer.TxCancelled:
			return nil, &rpcError{Code: codeServer, Message: "transaction cancelled", Data: map[string]string{"transaction_id": id}}
		}
		select {
		case <-ctx.Done():
			return nil, &rpcError{Code: codeUnavailable, Message: "request ended before the transaction was signed; it stays queued",
				Data: map[string]string{"transaction_id": id, "status": tx.Status}}
		case <-timer.C:
			return nil, &rpcError{Code: codeServer,
				Message: fmt.Sprintf("transaction %s is queued but not signed after %s (waiting for gas or fees); follow it at GET /v1/transactions/%s", id, g.cfg.RPC.SendWait, id),
				Data:    map[string]string{"transaction_id": id, "status": tx.Status}}
		case <-changed:
		case <-tick.C:
		}
	}
}

// sendRawTransaction: eth_sendRawTransaction [raw] through the manager's
// self-custody path (POST /v1/transactions/raw): validated, stored,
// broadcast and followed. coffer's own wallets sign through
// eth_sendTransaction.
func (g *Gateway) sendRawTransaction(ctx context.Context, client *chain.Client, p *coffer.Principal, args []json.RawMessage) (any, error) {
	if err := argN("eth_sendRawTransaction", args, 1); err != nil {
		return nil, err
	}
	var s string
	_ = json.Unmarshal(args[0], &s)
	raw, err := hexutil.Decode(s)
	if err != nil {
		return nil, rpcErrorf(codeInvalidParams, "eth_sendRawTransaction: the transaction must be 0x hex")
	}
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return nil, rpcErrorf(codeInvalidParams, "eth_sendRawTransaction: not a signed transaction: %v", err)
	}
	if id := tx.ChainId(); id != nil && id.Sign() != 0 && id.Uint64() != client.ID() {
		return nil, rpcErrorf(codeInvalidParams, "eth_sendRawTransaction: the transaction is for chain %s, this endpoint for %d", id, client.ID())
	}
	stored, _, err := g.Txm.SubmitRaw(ctx, p.UserID, raw)
	if err != nil {
		return nil, err
	}
	if stored.Hash != nil {
		return stored.Hash, nil
	}
	return tx.Hash(), nil
}

func callMsg(from common.Address, t *txArgs) ethereum.CallMsg {
	return ethereum.CallMsg{From: from, To: t.To, Value: t.value(), Data: t.data()}
}

func revertReason(rev *chain.RevertError) string {
	if rev.Reason == "" {
		return "no reason given"
	}
	return rev.Reason
}

type idemKey struct{}

// idempotencyKeyFrom is the Idempotency-Key of a single-call request.
func idempotencyKeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(idemKey{}).(string)
	return k
}
