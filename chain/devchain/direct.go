package devchain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/eth/gasestimator"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"

	"github.com/cofferhq/coffer/chain"
)

// Direct answers coffer's most frequent calls — per transaction the gas
// estimate and the send, per block the head, the blocks with receipts and
// the indexer's headers and logs — as Go calls into the node, without
// JSON-RPC (see chain.Direct). The tests hold the answers to what the same
// node says over JSON-RPC.
func (c *Chain) Direct() chain.Direct { return direct{c.eth, c.filters} }

type direct struct {
	eth     *eth.Ethereum
	filters *filters.FilterSystem
}

// estimateErrorRatio is go-ethereum's for eth_estimateGas: the search stops
// within 1.5 % above the least gas that succeeds.
const estimateErrorRatio = 0.015

// EstimateGas is eth_estimateGas at the latest block, as go-ethereum's
// DoEstimateGas runs it: msg.Gas (0: the node's cap) bounds the search,
// fees default to zero, and nonce and EOA checks are off.
func (d direct) EstimateGas(ctx context.Context, msg ethereum.CallMsg) (uint64, error) {
	bc := d.eth.BlockChain()
	header := bc.CurrentBlock()
	state, err := bc.StateAt(header.Root, header.Number, header.Time)
	if err != nil {
		return 0, err
	}
	gasCap := d.eth.APIBackend.RPCGasCap()
	gas := msg.Gas
	if gasCap > 0 && gas > gasCap {
		gas = gasCap
	}
	price, feeCap, tipCap, err := callFees(msg, header.BaseFee)
	if err != nil {
		return 0, err
	}
	value, err := u256("value", msg.Value)
	if err != nil {
		return 0, err
	}
	call := &core.Message{
		From: msg.From, To: msg.To, Value: value, GasLimit: gas,
		GasPrice: price, GasFeeCap: feeCap, GasTipCap: tipCap,
		Data: msg.Data, AccessList: msg.AccessList,
	}
	call.SkipNonceCheck()
	call = call.SkipEOACheck().SkipGasLimitCapCheck()
	opts := &gasestimator.Options{Config: bc.Config(), Chain: bc, Header: header, State: state, ErrorRatio: estimateErrorRatio}
	estimate, revert, err := gasestimator.Estimate(ctx, call, opts, gasCap)
	if errors.Is(err, vm.ErrExecutionReverted) {
		return 0, &chain.RevertError{Reason: chain.DecodeRevert(revert), Data: revert}
	}
	return estimate, err
}

// callFees are the fees a call runs with, as go-ethereum fills them in:
// a gas price stands for both fee fields; otherwise the price is tip plus
// base fee up to the fee cap, and zero when neither is given.
func callFees(msg ethereum.CallMsg, baseFee *big.Int) (price, feeCap, tipCap *uint256.Int, err error) {
	eip1559 := msg.GasFeeCap != nil || msg.GasTipCap != nil
	switch {
	case msg.GasPrice != nil && eip1559:
		return nil, nil, nil, errors.New("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
	case baseFee == nil && eip1559:
		return nil, nil, nil, errors.New("maxFeePerGas and maxPriorityFeePerGas are not valid before London is active")
	case baseFee == nil || msg.GasPrice != nil:
		price, err = u256("gasPrice", msg.GasPrice)
		return price, price, price, err
	}
	if feeCap, err = u256("maxFeePerGas", msg.GasFeeCap); err != nil {
		return nil, nil, nil, err
	}
	if tipCap, err = u256("maxPriorityFeePerGas", msg.GasTipCap); err != nil {
		return nil, nil, nil, err
	}
	price = new(uint256.Int)
	if feeCap.BitLen() > 0 || tipCap.BitLen() > 0 {
		price.Add(tipCap, uint256.MustFromBig(baseFee))
		if price.Cmp(feeCap) > 0 {
			price.Set(feeCap)
		}
	}
	return price, feeCap, tipCap, nil
}

// u256 is b (nil: zero) as a uint256, or an error naming the field.
func u256(field string, b *big.Int) (*uint256.Int, error) {
	if b == nil {
		return new(uint256.Int), nil
	}
	v, overflow := uint256.FromBig(b)
	if overflow || b.Sign() < 0 {
		return nil, fmt.Errorf("%s %v out of range", field, b)
	}
	return v, nil
}

// SendRawTransactions decodes each raw transaction and adds those that
// decode to the pool together, answering each as eth_sendRawTransaction
// would (nil, or the pool's error: "nonce too low", "already known", …).
//
// Why together: the chain mines on arrival, and eth_sendRawTransaction adds
// one transaction at a time, so a JSON-RPC batch of them was sealed into a
// block after its first few and the rest into the next ones — each run of
// nonces in two or three blocks, at about five mints' worth of chain work
// per block.
func (d direct) SendRawTransactions(_ context.Context, raws [][]byte) []error {
	errs := make([]error, len(raws))
	txs := make([]*types.Transaction, 0, len(raws))
	at := make([]int, 0, len(raws)) // txs[j] is raws[at[j]]
	for i, raw := range raws {
		tx := new(types.Transaction)
		if err := tx.UnmarshalBinary(raw); err != nil {
			errs[i] = err
			continue
		}
		if err := d.check(tx); err != nil {
			errs[i] = err
			continue
		}
		txs, at = append(txs, tx), append(at, i)
	}
	for j, err := range d.eth.TxPool().Add(txs, false) {
		errs[at[j]] = err
	}
	return errs
}

// check refuses what eth_sendRawTransaction refuses before the pool:
// transactions without replay protection (unless the node allows them).
// Blob transactions carry sidecars that method converts; they go there.
func (d direct) check(tx *types.Transaction) error {
	if tx.Type() == types.BlobTxType {
		return errors.New("blob transactions: send them with eth_sendRawTransaction")
	}
	if !d.eth.APIBackend.UnprotectedAllowed() && !tx.Protected() {
		return errors.New("only replay-protected (EIP-155) transactions allowed over RPC")
	}
	return nil
}

// Head is eth_getBlockByNumber("latest", false): the head block's number,
// hash, parent and transaction hashes.
func (d direct) Head(context.Context) (chain.Block, error) {
	bc := d.eth.BlockChain()
	h := bc.CurrentBlock()
	b := bc.GetBlock(h.Hash(), h.Number.Uint64())
	if b == nil {
		return chain.Block{}, fmt.Errorf("no latest block: %w", ethereum.NotFound)
	}
	return blockOf(b), nil
}

// Blocks reads the canonical blocks from..to with, where want is set, the
// receipts want accepts, as chain.Client.Blocks does from
// eth_getBlockByNumber and eth_getBlockReceipts: one chain (each block the
// parent of the next), or chain.ErrInconsistent.
func (d direct) Blocks(_ context.Context, from, to uint64, want func(common.Hash) bool) ([]chain.Block, error) {
	bc := d.eth.BlockChain()
	out := make([]chain.Block, 0, to-from+1)
	for num := from; num <= to; num++ {
		b := bc.GetBlockByNumber(num)
		if b == nil {
			return nil, fmt.Errorf("%w: block %d not found", chain.ErrInconsistent, num)
		}
		blk := blockOf(b)
		if n := len(out); n > 0 && blk.ParentHash != out[n-1].Hash {
			return nil, fmt.Errorf("%w: block %d (%s) does not follow %s", chain.ErrInconsistent, num, blk.Hash, out[n-1].Hash)
		}
		if want != nil {
			rs := bc.GetReceiptsByHash(blk.Hash)
			if len(rs) != len(blk.TxHashes) {
				return nil, fmt.Errorf("%w: block %d: %d receipts for %d transactions", chain.ErrInconsistent, num, len(rs), len(blk.TxHashes))
			}
			for j, th := range blk.TxHashes {
				if !want(th) {
					continue
				}
				if blk.Receipts == nil {
					blk.Receipts = make([]*types.Receipt, len(blk.TxHashes))
				}
				blk.Receipts[j] = copyReceipt(rs[j])
			}
		}
		out = append(out, blk)
	}
	return out, nil
}

func blockOf(b *types.Block) chain.Block {
	txs := b.Transactions()
	hashes := make([]common.Hash, len(txs))
	for i, tx := range txs {
		hashes[i] = tx.Hash()
	}
	return chain.Block{Number: b.NumberU64(), Hash: b.Hash(), ParentHash: b.ParentHash(), TxHashes: hashes}
}

// copyReceipt copies r and its logs: the chain caches the receipts it hands
// out, and the caller owns what it gets, as it would a decoded answer.
func copyReceipt(r *types.Receipt) *types.Receipt {
	c := *r
	c.Logs = make([]*types.Log, len(r.Logs))
	for i, l := range r.Logs {
		cl := *l
		c.Logs[i] = &cl
	}
	return &c
}

// HeadNumber is eth_blockNumber.
func (d direct) HeadNumber(context.Context) (uint64, error) {
	return d.eth.BlockChain().CurrentBlock().Number.Uint64(), nil
}

// Header is eth_getBlockByNumber(number, false)'s header (nil: the latest),
// ethereum.NotFound past the head.
func (d direct) Header(_ context.Context, number *big.Int) (*types.Header, error) {
	bc := d.eth.BlockChain()
	var h *types.Header
	switch {
	case number == nil:
		h = bc.CurrentBlock()
	case number.IsUint64():
		h = bc.GetHeaderByNumber(number.Uint64())
	}
	if h == nil {
		return nil, ethereum.NotFound
	}
	return types.CopyHeader(h), nil
}

// What a JSON-RPC client of the node is told for the queries eth_getLogs
// refuses (by ethclient, the node's argument decoding, eth/filters).
var (
	errExceedMaxTopics    = errors.New("invalid argument 0: exceed max topics")
	errBlockHashWithRange = errors.New("cannot specify both BlockHash and FromBlock/ToBlock")
	errInvalidBlockRange  = errors.New("invalid block range params")
)

// Logs is eth_getLogs, run by the same filter system as the node's
// JSON-RPC method (a nil FromBlock or ToBlock is the latest block).
func (d direct) Logs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	if q.BlockHash != nil && (q.FromBlock != nil || q.ToBlock != nil) {
		return nil, errBlockHashWithRange
	}
	if len(q.Topics) > 4 {
		return nil, errExceedMaxTopics
	}
	var f *filters.Filter
	if q.BlockHash != nil {
		f = d.filters.NewBlockFilter(*q.BlockHash, q.Addresses, q.Topics)
	} else {
		begin, end := rpc.LatestBlockNumber.Int64(), rpc.LatestBlockNumber.Int64()
		if q.FromBlock != nil {
			begin = q.FromBlock.Int64()
		}
		if q.ToBlock != nil {
			end = q.ToBlock.Int64()
		}
		if begin >= 0 && end >= 0 && begin > end {
			return nil, errInvalidBlockRange
		}
		f = d.filters.NewRangeFilter(begin, end, q.Addresses, q.Topics, 0)
	}
	logs, err := f.Logs(ctx)
	if err != nil {
		return nil, err
	}
	// The filter system caches what it reads: the caller gets copies, as
	// it would decoded answers.
	out := make([]types.Log, len(logs))
	for i, l := range logs {
		out[i] = *l
		out[i].Topics = slices.Clone(l.Topics)
		out[i].Data = slices.Clone(l.Data)
	}
	return out, nil
}
