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
	err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		n, err = ec.BlockNumber(ctx)
		return err
	})
	return n, err
}

// Header returns a block header (nil number: latest).
func (c *Client) Header(ctx context.Context, number *big.Int) (h *types.Header, err error) {
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
	return c.do(ctx, func(ctx context.Context, _ *ethclient.Client, rc *rpc.Client) error {
		batch := make([]rpc.BatchElem, len(hashes))
		for i, h := range hashes {
			out[i] = nil
			batch[i] = rpc.BatchElem{Method: "eth_getTransactionReceipt", Args: []any{h}, Result: &out[i]}
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
