// Package chain talks to Ethereum JSON-RPC nodes: one Client per chain over
// one or more URLs (failing over on transport errors), fee suggestions, and a
// classification of node errors by meaning rather than one node's wording.
package chain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Client is a JSON-RPC client for one chain.
type Client struct {
	id      uint64
	urls    []string
	rpcs    []*rpc.Client
	current atomic.Int32
	timeout time.Duration // per call and URL
	retries int           // rounds over every URL after the first, for transient errors
	backoff time.Duration // before the first retry; doubles each time
	// noBlockReceipts: a node answered that it has no eth_getBlockReceipts;
	// Blocks asks no more.
	noBlockReceipts atomic.Bool
	direct          Direct // SetDirect
}

// Direct is a node in this process (the embedded dev chain) that answers
// the calls coffer makes most often — per transaction (estimate, send) and
// per block (head, blocks with receipts, the indexer's headers and logs) —
// as Go calls, without encoding
// JSON-RPC messages. Its answers and errors are what the node's JSON-RPC
// methods give, a revert as a *RevertError.
type Direct interface {
	// EstimateGas is eth_estimateGas at the latest block.
	EstimateGas(ctx context.Context, msg ethereum.CallMsg) (uint64, error)
	// SendRawTransactions hands raws to the node together; errs[i] is
	// eth_sendRawTransaction's answer to raws[i].
	SendRawTransactions(ctx context.Context, raws [][]byte) (errs []error)
	// Head is Client.Head's answer.
	Head(ctx context.Context) (Block, error)
	// Blocks is Client.Blocks's answer (from ≤ to, at most maxBlocks).
	Blocks(ctx context.Context, from, to uint64, want func(common.Hash) bool) ([]Block, error)
	// HeadNumber is eth_blockNumber.
	HeadNumber(ctx context.Context) (uint64, error)
	// Header is eth_getBlockByNumber's header (nil: latest; number is not
	// negative), or ethereum.NotFound.
	Header(ctx context.Context, number *big.Int) (*types.Header, error)
	// Logs is eth_getLogs.
	Logs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error)
}

// Retry tuning of new clients.
const (
	DefaultRetries = 3
	DefaultBackoff = 100 * time.Millisecond
	DefaultTimeout = 30 * time.Second
)

// SetRetry changes how often (after the first round over every URL) and with
// which initial backoff transient errors — transport failures, rate limits —
// are retried.
func (c *Client) SetRetry(retries int, backoff time.Duration) {
	c.retries, c.backoff = max(retries, 0), max(backoff, time.Millisecond)
}

// SetDirect makes EstimateGas, SendRawBatch, Head, Blocks, HeadNumber,
// Header and Logs call d instead of the JSON-RPC client; the other calls
// still go through it. Call it before the client is used.
func (c *Client) SetDirect(d Direct) { c.direct = d }

// SetTimeout bounds each call to one URL.
func (c *Client) SetTimeout(d time.Duration) {
	if d > 0 {
		c.timeout = d
	}
}

// Dial connects to every URL and checks that each one that answers reports
// chainID (0 takes the first answer). URLs that do not answer now are kept
// for failover; at least one must answer.
func Dial(ctx context.Context, chainID uint64, urls []string) (*Client, error) {
	if len(urls) == 0 {
		return nil, errors.New("chain: no RPC URL configured")
	}
	c := newClient(chainID, urls)
	for _, u := range urls {
		rc, err := rpc.DialContext(ctx, u)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("chain %d: dial %s: %w", chainID, redactURL(u), err)
		}
		c.rpcs = append(c.rpcs, rc)
	}
	if err := c.checkChainID(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// NewFromRPC wraps an existing RPC client (the in-process dev chain).
func NewFromRPC(chainID uint64, rc *rpc.Client) *Client {
	c := newClient(chainID, []string{"in-process"})
	c.rpcs = []*rpc.Client{rc}
	return c
}

func newClient(chainID uint64, urls []string) *Client {
	return &Client{id: chainID, urls: urls, timeout: DefaultTimeout, retries: DefaultRetries, backoff: DefaultBackoff}
}

func (c *Client) checkChainID(ctx context.Context) error {
	var down []error
	live := -1
	for i, rc := range c.rpcs {
		cctx, cancel := context.WithTimeout(ctx, c.timeout)
		id, err := ethclient.NewClient(rc).ChainID(cctx)
		cancel()
		if err != nil && Classify(err) == ErrTransport && ctx.Err() == nil {
			down = append(down, fmt.Errorf("eth_chainId at %s: %w", redactURL(c.urls[i]), err))
			continue
		}
		if err != nil {
			return fmt.Errorf("chain %d: eth_chainId at %s: %w", c.id, redactURL(c.urls[i]), err)
		}
		if live < 0 {
			live = i
			c.current.Store(int32(i))
		}
		if c.id == 0 {
			c.id = id.Uint64()
		}
		if id.Uint64() != c.id {
			return fmt.Errorf("chain: node %s serves chain id %d, configuration says %d", redactURL(c.urls[i]), id.Uint64(), c.id)
		}
	}
	if len(down) == len(c.rpcs) {
		return fmt.Errorf("chain %d: no node answers: %w", c.id, errors.Join(down...))
	}
	return nil
}

// ID is the chain id.
func (c *Client) ID() uint64 { return c.id }

// Close closes every connection.
func (c *Client) Close() {
	for _, rc := range c.rpcs {
		rc.Close()
	}
}

// do runs f against the current node, moving to the next URL on transient
// errors (transport failures, rate limits); when every URL failed it waits
// with exponential backoff and tries them all again, up to c.retries times.
// Node answers (JSON-RPC errors) are returned as they are. f must be safe to
// repeat: sending a signed transaction twice is ("already known").
func (c *Client) do(ctx context.Context, f func(ctx context.Context, ec *ethclient.Client, rc *rpc.Client) error) error {
	backoff := c.backoff
	for round := 0; ; round++ {
		err := c.round(ctx, f)
		if !transient(err) || ctx.Err() != nil || round >= c.retries {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff *= 2
	}
}

func (c *Client) round(ctx context.Context, f func(ctx context.Context, ec *ethclient.Client, rc *rpc.Client) error) error {
	var err error
	start := int(c.current.Load())
	for i := range c.rpcs {
		idx := (start + i) % len(c.rpcs)
		cctx, cancel := context.WithTimeout(ctx, c.timeout)
		err = f(cctx, ethclient.NewClient(c.rpcs[idx]), c.rpcs[idx])
		cancel()
		if err == nil || !transient(err) || ctx.Err() != nil {
			if i > 0 && err == nil {
				c.current.Store(int32(idx)) // stay with the node that answered
			}
			return err
		}
	}
	return err
}

// transient reports errors worth retrying elsewhere or later.
func transient(err error) bool {
	k := Classify(err)
	return k == ErrTransport || k == ErrRateLimited
}

// RPC returns the RPC client of the node in use (for batch calls and proxying).
func (c *Client) RPC() *rpc.Client { return c.rpcs[c.current.Load()] }

// Eth returns an ethclient for the node in use (for bindings).
func (c *Client) Eth() *ethclient.Client { return ethclient.NewClient(c.RPC()) }

// HeadNumber returns the latest block number.
func (c *Client) HeadNumber(ctx context.Context) (n uint64, err error) {
	if c.direct != nil {
		return c.direct.HeadNumber(ctx)
	}
	err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		n, err = ec.BlockNumber(ctx)
		return err
	})
	return n, err
}

// Header returns a block header (nil number: latest; the negative tags —
// pending, safe, finalized — go to the node over JSON-RPC).
func (c *Client) Header(ctx context.Context, number *big.Int) (h *types.Header, err error) {
	if c.direct != nil && (number == nil || number.Sign() >= 0) {
		return c.direct.Header(ctx, number)
	}
	err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		h, err = ec.HeaderByNumber(ctx, number)
		return err
	})
	return h, err
}

// PendingNonce returns the node's next nonce for addr, counting its mempool.
func (c *Client) PendingNonce(ctx context.Context, addr common.Address) (n uint64, err error) {
	err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		n, err = ec.PendingNonceAt(ctx, addr)
		return err
	})
	return n, err
}

// Nonce returns addr's nonce at the latest block: the number of its
// transactions mined.
func (c *Client) Nonce(ctx context.Context, addr common.Address) (n uint64, err error) {
	err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		n, err = ec.NonceAt(ctx, addr, nil)
		return err
	})
	return n, err
}

// Balance returns addr's balance at the latest block.
func (c *Client) Balance(ctx context.Context, addr common.Address) (b *big.Int, err error) {
	err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		b, err = ec.BalanceAt(ctx, addr, nil)
		return err
	})
	return b, err
}

// Code returns the code at addr.
func (c *Client) Code(ctx context.Context, addr common.Address) (code []byte, err error) {
	err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		code, err = ec.CodeAt(ctx, addr, nil)
		return err
	})
	return code, err
}

// Call runs eth_call at the latest block.
func (c *Client) Call(ctx context.Context, msg ethereum.CallMsg) (out []byte, err error) {
	err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		out, err = ec.CallContract(ctx, msg, nil)
		return err
	})
	return out, err
}

// EstimateGas estimates msg's gas. A revert comes back as a *RevertError.
func (c *Client) EstimateGas(ctx context.Context, msg ethereum.CallMsg) (gas uint64, err error) {
	if c.direct != nil {
		return c.direct.EstimateGas(ctx, msg)
	}
	err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		gas, err = ec.EstimateGas(ctx, msg)
		return err
	})
	if err != nil {
		if rerr := AsRevert(err); rerr != nil {
			return 0, rerr
		}
	}
	return gas, err
}

// Send broadcasts a signed transaction.
func (c *Client) Send(ctx context.Context, tx *types.Transaction) error {
	return c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		return ec.SendTransaction(ctx, tx)
	})
}

// SendRaw broadcasts signed transaction bytes.
func (c *Client) SendRaw(ctx context.Context, raw []byte) error {
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return fmt.Errorf("chain: decode raw transaction: %w", err)
	}
	return c.Send(ctx, tx)
}

// sendBatchSize bounds one eth_sendRawTransaction batch (providers limit
// batch sizes; geth's default is 1,000 calls).
const sendBatchSize = 100

// SendRawBatch broadcasts signed transactions with JSON-RPC batches of
// eth_sendRawTransaction (in the order given, up to sendBatchSize per
// request), so that a node receives a sender's run of nonces together.
// errs[i] is the node's answer to raws[i] (nil: accepted), to be classified
// as SendRaw's; a batch that fails as a whole (transport, after the client's
// retries and failover) gives its error to each of its transactions, and an
// answer missing from a batch counts as a transport error.
func (c *Client) SendRawBatch(ctx context.Context, raws [][]byte) []error {
	if c.direct != nil {
		return c.direct.SendRawTransactions(ctx, raws)
	}
	errs := make([]error, len(raws))
	for start := 0; start < len(raws); start += sendBatchSize {
		part := raws[start:min(start+sendBatchSize, len(raws))]
		batch := make([]rpc.BatchElem, len(part))
		for i, raw := range part {
			batch[i] = rpc.BatchElem{Method: "eth_sendRawTransaction", Args: []any{hexutil.Bytes(raw)}, Result: new(common.Hash)}
		}
		err := c.BatchCall(ctx, batch)
		for i := range part {
			switch {
			case err != nil:
				errs[start+i] = err
			case errors.Is(batch[i].Error, rpc.ErrMissingBatchResponse):
				errs[start+i] = fmt.Errorf("%w: %v", ErrTransport, batch[i].Error)
			default:
				errs[start+i] = batch[i].Error
			}
		}
	}
	return errs
}

// receiptBatchSize bounds one eth_getTransactionReceipt batch: geth refuses
// batches of more than 1,000 calls ("batch too large").
const receiptBatchSize = 500

// Receipts fetches the receipts of hashes in batches (of receiptBatchSize);
// a nil entry means the transaction is not mined (yet).
func (c *Client) Receipts(ctx context.Context, hashes []common.Hash) ([]*types.Receipt, error) {
	out := make([]*types.Receipt, len(hashes))
	for start := 0; start < len(hashes); start += receiptBatchSize {
		end := min(start+receiptBatchSize, len(hashes))
		if err := c.receipts(ctx, hashes[start:end], out[start:end]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Client) receipts(ctx context.Context, hashes []common.Hash, out []*types.Receipt) error {
	got := make([]*rpcReceipt, len(hashes))
	err := c.do(ctx, func(ctx context.Context, _ *ethclient.Client, rc *rpc.Client) error {
		batch := make([]rpc.BatchElem, len(hashes))
		for i, h := range hashes {
			got[i] = nil
			batch[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{h}, Result: &got[i]}
		}
		if err := rc.BatchCallContext(ctx, batch); err != nil {
			return err
		}
		for _, e := range batch {
			// geth answers "transaction indexing is in progress" until its
			// index covers the chain: the receipt is not known (yet).
			if e.Error != nil && !errors.Is(e.Error, ethereum.NotFound) &&
				!strings.Contains(e.Error.Error(), "indexing is in progress") {
				return e.Error
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, d := range got {
		out[i] = nil
		if d != nil {
			if out[i], err = d.receipt(); err != nil {
				return fmt.Errorf("chain: receipt of %s: %w", hashes[i], err)
			}
		}
	}
	return nil
}

// rpcReceipt and rpcLog decode a receipt as types.Receipt's UnmarshalJSON
// does (the same fields, the same required ones), in one pass over the
// JSON: that one parses each receipt's and each log's bytes again, twice
// the work for a mint's receipt.
type rpcReceipt struct {
	Type              *hexutil.Uint64 `json:"type"`
	PostState         *hexutil.Bytes  `json:"root"`
	Status            *hexutil.Uint64 `json:"status"`
	CumulativeGasUsed *hexutil.Uint64 `json:"cumulativeGasUsed"`
	Bloom             *types.Bloom    `json:"logsBloom"`
	Logs              []*rpcLog       `json:"logs"`
	TxHash            *common.Hash    `json:"transactionHash"`
	ContractAddress   *common.Address `json:"contractAddress"`
	GasUsed           *hexutil.Uint64 `json:"gasUsed"`
	EffectiveGasPrice *hexutil.Big    `json:"effectiveGasPrice"`
	BlobGasUsed       *hexutil.Uint64 `json:"blobGasUsed"`
	BlobGasPrice      *hexutil.Big    `json:"blobGasPrice"`
	BlockHash         *common.Hash    `json:"blockHash"`
	BlockNumber       *hexutil.Big    `json:"blockNumber"`
	TransactionIndex  *hexutil.Uint   `json:"transactionIndex"`
}

type rpcLog struct {
	Address        *common.Address `json:"address"`
	Topics         []common.Hash   `json:"topics"`
	Data           *hexutil.Bytes  `json:"data"`
	BlockNumber    *hexutil.Uint64 `json:"blockNumber"`
	TxHash         *common.Hash    `json:"transactionHash"`
	TxIndex        *hexutil.Uint   `json:"transactionIndex"`
	BlockHash      *common.Hash    `json:"blockHash"`
	BlockTimestamp *hexutil.Uint64 `json:"blockTimestamp"`
	Index          *hexutil.Uint   `json:"logIndex"`
	Removed        *bool           `json:"removed"`
}

func (d *rpcReceipt) receipt() (*types.Receipt, error) {
	switch {
	case d.CumulativeGasUsed == nil:
		return nil, errors.New("missing required field 'cumulativeGasUsed' for Receipt")
	case d.Bloom == nil:
		return nil, errors.New("missing required field 'logsBloom' for Receipt")
	case d.Logs == nil:
		return nil, errors.New("missing required field 'logs' for Receipt")
	case d.TxHash == nil:
		return nil, errors.New("missing required field 'transactionHash' for Receipt")
	case d.GasUsed == nil:
		return nil, errors.New("missing required field 'gasUsed' for Receipt")
	}
	r := &types.Receipt{CumulativeGasUsed: uint64(*d.CumulativeGasUsed), Bloom: *d.Bloom, TxHash: *d.TxHash, GasUsed: uint64(*d.GasUsed),
		Logs: make([]*types.Log, len(d.Logs))}
	for i, dl := range d.Logs {
		if dl == nil {
			continue
		}
		l, err := dl.log()
		if err != nil {
			return nil, err
		}
		r.Logs[i] = l
	}
	if d.Type != nil {
		r.Type = uint8(*d.Type)
	}
	if d.PostState != nil {
		r.PostState = *d.PostState
	}
	if d.Status != nil {
		r.Status = uint64(*d.Status)
	}
	if d.ContractAddress != nil {
		r.ContractAddress = *d.ContractAddress
	}
	if d.EffectiveGasPrice != nil {
		r.EffectiveGasPrice = (*big.Int)(d.EffectiveGasPrice)
	}
	if d.BlobGasUsed != nil {
		r.BlobGasUsed = uint64(*d.BlobGasUsed)
	}
	if d.BlobGasPrice != nil {
		r.BlobGasPrice = (*big.Int)(d.BlobGasPrice)
	}
	if d.BlockHash != nil {
		r.BlockHash = *d.BlockHash
	}
	if d.BlockNumber != nil {
		r.BlockNumber = (*big.Int)(d.BlockNumber)
	}
	if d.TransactionIndex != nil {
		r.TransactionIndex = uint(*d.TransactionIndex)
	}
	return r, nil
}

func (d *rpcLog) log() (*types.Log, error) {
	switch {
	case d.Address == nil:
		return nil, errors.New("missing required field 'address' for Log")
	case d.Topics == nil:
		return nil, errors.New("missing required field 'topics' for Log")
	case d.Data == nil:
		return nil, errors.New("missing required field 'data' for Log")
	case d.TxHash == nil:
		return nil, errors.New("missing required field 'transactionHash' for Log")
	}
	l := &types.Log{Address: *d.Address, Topics: d.Topics, Data: *d.Data, TxHash: *d.TxHash}
	if d.BlockNumber != nil {
		l.BlockNumber = uint64(*d.BlockNumber)
	}
	if d.TxIndex != nil {
		l.TxIndex = uint(*d.TxIndex)
	}
	if d.BlockHash != nil {
		l.BlockHash = *d.BlockHash
	}
	if d.BlockTimestamp != nil {
		l.BlockTimestamp = uint64(*d.BlockTimestamp)
	}
	if d.Index != nil {
		l.Index = uint(*d.Index)
	}
	if d.Removed != nil {
		l.Removed = *d.Removed
	}
	return l, nil
}

// Block is a block as a transaction tracker reads it: which block it is,
// the one it follows, its transactions' hashes in order and, where asked
// for, their receipts.
type Block struct {
	Number     uint64
	Hash       common.Hash
	ParentHash common.Hash
	TxHashes   []common.Hash
	Receipts   []*types.Receipt // aligned with TxHashes; nil where not asked for
}

// rpcBlock is what Head and Blocks decode of eth_getBlockByNumber(n, false).
type rpcBlock struct {
	Number       hexutil.Uint64 `json:"number"`
	Hash         common.Hash    `json:"hash"`
	ParentHash   common.Hash    `json:"parentHash"`
	Transactions []common.Hash  `json:"transactions"`
}

func (b *rpcBlock) block() Block {
	return Block{Number: uint64(b.Number), Hash: b.Hash, ParentHash: b.ParentHash, TxHashes: b.Transactions}
}

// Head returns the latest block, without receipts. Its hash is the node's
// (a header decoded and hashed again differs on chains with extra fields).
func (c *Client) Head(ctx context.Context) (Block, error) {
	if c.direct != nil {
		return c.direct.Head(ctx)
	}
	var b *rpcBlock
	err := c.do(ctx, func(ctx context.Context, _ *ethclient.Client, rc *rpc.Client) error {
		b = nil
		return rc.CallContext(ctx, &b, "eth_getBlockByNumber", "latest", false)
	})
	if err != nil {
		return Block{}, err
	}
	if b == nil {
		return Block{}, fmt.Errorf("chain %d: no latest block: %w", c.id, ethereum.NotFound)
	}
	return b.block(), nil
}

// maxBlocks bounds Blocks' range: two calls per block in one batch.
const maxBlocks = 256

// Blocks reads blocks from..to (at most maxBlocks) in one JSON-RPC batch:
// each block's header and transaction hashes (eth_getBlockByNumber) and,
// with want set, its receipts (eth_getBlockReceipts), of which those of
// transactions want accepts are returned. The answer is one chain as one
// node saw it: each block is the parent of the next, and each decoded
// receipt is of its transaction in that block; otherwise (a reorganisation
// while the batch ran, a block the node does not have) the error is
// ErrInconsistent. A node without eth_getBlockReceipts answers
// ErrUnsupported, and the client does not ask it again.
func (c *Client) Blocks(ctx context.Context, from, to uint64, want func(common.Hash) bool) ([]Block, error) {
	if to < from || to-from >= maxBlocks {
		return nil, fmt.Errorf("chain: blocks %d to %d: at most %d at once", from, to, maxBlocks)
	}
	if want != nil && c.noBlockReceipts.Load() {
		return nil, ErrUnsupported
	}
	if c.direct != nil {
		return c.direct.Blocks(ctx, from, to, want)
	}
	n := int(to - from + 1)
	hdrs := make([]*rpcBlock, n)
	rcpts := make([][]rpcReceipt, n)
	var batch []rpc.BatchElem
	for i := range n {
		num := hexutil.Uint64(from + uint64(i))
		batch = append(batch, rpc.BatchElem{Method: "eth_getBlockByNumber", Args: []any{num, false}, Result: &hdrs[i]})
		if want != nil {
			batch = append(batch, rpc.BatchElem{Method: "eth_getBlockReceipts", Args: []any{num}, Result: &rcpts[i]})
		}
	}
	if err := c.BatchCall(ctx, batch); err != nil {
		return nil, err
	}
	for _, e := range batch {
		switch {
		case e.Error == nil:
		case errors.Is(e.Error, rpc.ErrMissingBatchResponse):
			return nil, fmt.Errorf("%w: %s: %v", ErrTransport, e.Method, e.Error)
		case e.Method == "eth_getBlockReceipts" && Classify(e.Error) == ErrUnsupported:
			c.noBlockReceipts.Store(true)
			return nil, fmt.Errorf("%w: eth_getBlockReceipts: %v", ErrUnsupported, e.Error)
		default:
			return nil, fmt.Errorf("%s: %w", e.Method, e.Error)
		}
	}
	out := make([]Block, n)
	for i, h := range hdrs {
		num := from + uint64(i)
		if h == nil || uint64(h.Number) != num {
			return nil, fmt.Errorf("%w: block %d not found", ErrInconsistent, num)
		}
		out[i] = h.block()
		if i > 0 && h.ParentHash != out[i-1].Hash {
			return nil, fmt.Errorf("%w: block %d (%s) does not follow %s", ErrInconsistent, num, h.Hash, out[i-1].Hash)
		}
		if want == nil {
			continue
		}
		// null: the block is gone since its header was read.
		if rcpts[i] == nil || len(rcpts[i]) != len(h.Transactions) {
			return nil, fmt.Errorf("%w: block %d: %d receipts for %d transactions", ErrInconsistent, num, len(rcpts[i]), len(h.Transactions))
		}
		for j, th := range h.Transactions {
			if !want(th) {
				continue
			}
			r, err := rcpts[i][j].receipt()
			if err != nil {
				return nil, fmt.Errorf("chain: receipt %d of block %d: %w", j, num, err)
			}
			if r.TxHash != th || r.BlockHash != h.Hash {
				return nil, fmt.Errorf("%w: receipt %d of block %d (%s) is of %s in block %s", ErrInconsistent, j, num, h.Hash, r.TxHash, r.BlockHash)
			}
			if out[i].Receipts == nil {
				out[i].Receipts = make([]*types.Receipt, len(h.Transactions))
			}
			out[i].Receipts[j] = r
		}
	}
	return out, nil
}

func redactURL(u string) string {
	// Provider URLs often carry an API key in the path or query; show the host only.
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexAny(rest, "/?"); j >= 0 {
			rest = rest[:j]
		}
		if k := strings.LastIndex(rest, "@"); k >= 0 {
			rest = rest[k+1:]
		}
		return u[:i+3] + rest
	}
	return u
}

// Logs runs eth_getLogs.
func (c *Client) Logs(ctx context.Context, q ethereum.FilterQuery) (logs []types.Log, err error) {
	if c.direct != nil {
		return c.direct.Logs(ctx, q)
	}
	err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		logs, err = ec.FilterLogs(ctx, q)
		return err
	})
	return logs, err
}

// RawCall runs one JSON-RPC call with the same failover and retries as the
// typed methods (for proxying; result is usually a *json.RawMessage). Node
// answers (JSON-RPC errors) are returned as they are.
func (c *Client) RawCall(ctx context.Context, result any, method string, args ...any) error {
	return c.do(ctx, func(ctx context.Context, _ *ethclient.Client, rc *rpc.Client) error {
		return rc.CallContext(ctx, result, method, args...)
	})
}

// BatchCall sends elems as one JSON-RPC batch, failing over and retrying on
// transport errors; each element's own error is in its Error field.
func (c *Client) BatchCall(ctx context.Context, elems []rpc.BatchElem) error {
	return c.do(ctx, func(ctx context.Context, _ *ethclient.Client, rc *rpc.Client) error {
		for i := range elems {
			elems[i].Error = nil
		}
		return rc.BatchCallContext(ctx, elems)
	})
}
