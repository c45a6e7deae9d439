package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
)

// JSON-RPC and EIP-1193/1474 error codes.
const (
	codeParse          = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInvalidParams  = -32602
	codeInternal       = -32603
	codeServer         = -32000 // implementation-defined: reverts, failures of the request itself
	codeUnavailable    = -32002 // resource unavailable
	codeLimitExceeded  = -32005
	codeUserRejected   = 4001
	codeUnauthorized   = 4100
)

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

func rpcErrorf(code int, format string, args ...any) *rpcError {
	return &rpcError{Code: code, Message: fmt.Sprintf(format, args...)}
}

type rpcRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"` // absent: a notification
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

// call is one request of a body, and what it gets.
type call struct {
	req     rpcRequest
	notify  bool // no id: answer nothing
	args    []json.RawMessage
	result  json.RawMessage
	err     *rpcError
	local   bool // answered by coffer
	invalid bool // not a valid request object: answered even without an id
}

func (c *call) response() rpcResponse {
	id := c.req.ID
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	r := rpcResponse{JSONRPC: "2.0", ID: id, Error: c.err}
	if c.err == nil {
		r.Result = c.result
		if len(r.Result) == 0 {
			r.Result = json.RawMessage("null")
		}
	}
	return r
}

// guestMethods is the read set anyone may call: reads of chain state that
// cost the node little per call (eth_getLogs is capped separately).
var guestMethods = set(
	"eth_blockNumber", "eth_getBalance", "eth_call", "eth_estimateGas", "eth_getLogs",
	"eth_getTransactionByHash", "eth_getTransactionReceipt", "eth_getBlockByNumber", "eth_getBlockByHash",
	"eth_getBlockTransactionCountByNumber", "eth_getBlockTransactionCountByHash",
	"eth_getTransactionByBlockNumberAndIndex", "eth_getTransactionByBlockHashAndIndex",
	"eth_getUncleCountByBlockNumber", "eth_getUncleCountByBlockHash",
	"eth_gasPrice", "eth_maxPriorityFeePerGas", "eth_feeHistory", "eth_blobBaseFee", "eth_getCode", "eth_getStorageAt",
	"eth_getTransactionCount", "eth_getProof", "eth_createAccessList", "eth_syncing", "eth_protocolVersion",
	"net_version", "net_listening", "web3_clientVersion", "web3_sha3",
)

// walletMethods are answered by coffer with the caller's custodial wallets.
var walletMethods = set(
	"eth_accounts", "eth_requestAccounts", "eth_sendTransaction", "eth_signTransaction", "eth_sendRawTransaction",
	"personal_sign", "eth_sign", "eth_signTypedData_v4", "eth_signTypedData_v3",
)

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// RPC serves POST /v1/rpc/{chain_id}. It answers JSON-RPC itself; the error
// it returns (unknown chain) is an API error.
func (g *Gateway) RPC(w http.ResponseWriter, r *http.Request) error {
	chainID, err := strconv.ParseUint(r.PathValue("chain_id"), 10, 64)
	if err != nil {
		return coffer.Errorf(coffer.EINVALID, "chain_id must be a decimal number")
	}
	client := g.Txm.Client(chainID)
	if client == nil {
		return coffer.Errorf(coffer.ENOTFOUND, "chain %d is not configured on this server", chainID)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, g.cfg.RPC.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeRPC(w, http.StatusRequestEntityTooLarge, (&call{err: rpcErrorf(codeInvalidRequest, "request body is larger than %d bytes", g.cfg.RPC.MaxBodyBytes)}).response())
			return nil
		}
		return coffer.Errorf(coffer.EINVALID, "could not read request body: %v", err)
	}
	calls, batch, perr := g.parse(body)
	if perr != nil {
		writeRPC(w, http.StatusOK, (&call{err: perr}).response())
		return nil
	}
	ctx := r.Context()
	p := coffer.PrincipalFrom(ctx)
	lim := g.rpcLimit
	if p == nil {
		lim = g.guestLim
	}
	if ok, wait := lim.take(rateKey(r, p), len(calls)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(wait)))
		for _, c := range calls {
			if c.err == nil {
				c.err = &rpcError{Code: codeLimitExceeded, Message: fmt.Sprintf("rate limit: retry in %ds", retrySeconds(wait)),
					Data: map[string]any{"retry_after": retrySeconds(wait)}}
			}
		}
		g.write(w, http.StatusTooManyRequests, calls, batch)
		return nil
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" && !batch {
		if len(k) > 200 {
			return coffer.Errorf(coffer.EINVALID, "Idempotency-Key is longer than 200 characters")
		}
		ctx = context.WithValue(ctx, idemKey{}, k)
	}
	g.serve(ctx, client, p, calls)
	g.write(w, http.StatusOK, calls, batch)
	return nil
}

// parse splits a body into calls. A body that is not JSON, an empty batch
// or a batch over the limit is one error for the whole body.
func (g *Gateway) parse(body []byte) ([]*call, bool, *rpcError) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, false, rpcErrorf(codeInvalidRequest, "empty request body; send a JSON-RPC 2.0 request")
	}
	if !json.Valid(body) {
		return nil, false, rpcErrorf(codeParse, "parse error: the body is not valid JSON")
	}
	var raws []json.RawMessage
	batch := body[0] == '['
	if batch {
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, false, rpcErrorf(codeParse, "parse error: %v", err)
		}
		if len(raws) == 0 {
			return nil, false, rpcErrorf(codeInvalidRequest, "empty batch")
		}
		if len(raws) > g.cfg.RPC.MaxBatch {
			return nil, false, rpcErrorf(codeInvalidRequest, "batch of %d calls; the limit is %d", len(raws), g.cfg.RPC.MaxBatch)
		}
	} else {
		raws = []json.RawMessage{body}
	}
	calls := make([]*call, len(raws))
	for i, raw := range raws {
		calls[i] = decodeCall(raw)
	}
	return calls, batch, nil
}

func decodeCall(raw json.RawMessage) *call {
	c := &call{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		c.err, c.invalid = rpcErrorf(codeInvalidRequest, "invalid request: a call must be a JSON object"), true
		return c
	}
	if err := json.Unmarshal(raw, &c.req); err != nil {
		c.req = rpcRequest{}
		c.err, c.invalid = rpcErrorf(codeInvalidRequest, "invalid request: %v", strings.TrimPrefix(err.Error(), "json: ")), true
		return c
	}
	if id := c.req.ID; len(id) > 0 && !(id[0] == '"' || id[0] == '-' || id[0] >= '0' && id[0] <= '9' || string(id) == "null") {
		c.req.ID = nil
		c.err, c.invalid = rpcErrorf(codeInvalidRequest, "invalid request: id must be a string, a number or null"), true
		return c
	}
	c.notify = c.req.ID == nil
	defer func() { c.invalid = c.err != nil }()
	switch {
	case c.req.JSONRPC != "2.0":
		c.err = rpcErrorf(codeInvalidRequest, `invalid request: "jsonrpc" must be "2.0"`)
	case c.req.Method == "":
		c.err = rpcErrorf(codeInvalidRequest, `invalid request: "method" is required`)
	default:
		p := bytes.TrimSpace(c.req.Params)
		if len(p) > 0 && string(p) != "null" {
			if p[0] != '[' {
				c.err = rpcErrorf(codeInvalidParams, "params must be an array (by-position)")
			} else if err := json.Unmarshal(p, &c.args); err != nil {
				c.err = rpcErrorf(codeInvalidParams, "params: %v", err)
			}
		}
	}
	return c
}

// serve answers calls: refused ones keep their error, coffer's own are
// answered in order, the rest go upstream in one batch.
func (g *Gateway) serve(ctx context.Context, client *chain.Client, p *coffer.Principal, calls []*call) {
	var up []*call
	for _, c := range calls {
		if c.err != nil {
			continue
		}
		local, err := g.permit(c.req.Method, p)
		if err != nil {
			c.err = err
			continue
		}
		if local {
			c.local = true
			continue
		}
		if c.req.Method == "eth_getLogs" {
			if c.err = g.checkLogRange(ctx, client, c.args); c.err != nil {
				continue
			}
		}
		up = append(up, c)
	}
	for _, c := range calls {
		if c.local {
			c.result, c.err = g.answer(ctx, client, p, c)
			g.Log.Debug("rpc", "chain_id", client.ID(), "method", c.req.Method, "principal", p.ID(), "ok", c.err == nil)
		}
	}
	g.forward(ctx, client, up)
}

// permit decides who answers method for p: coffer (local), the node, or
// nobody (the error).
func (g *Gateway) permit(method string, p *coffer.Principal) (local bool, _ *rpcError) {
	if walletMethods[method] {
		if p == nil || (p.UserID == "" && !p.IsAdmin()) {
			return false, rpcErrorf(codeUnauthorized, "%s answers with your custodial wallet: sign in (Authorization: Bearer <token>)", method)
		}
		return true, nil
	}
	if method == "eth_chainId" {
		return true, nil
	}
	if guestMethods[method] {
		return false, nil
	}
	switch g.methods[method] {
	case "guest":
		return false, nil
	case "user":
		if p == nil {
			return false, rpcErrorf(codeUnauthorized, "%s needs a signed-in caller (Authorization: Bearer <token>)", method)
		}
		return false, nil
	case "admin":
		if !p.IsAdmin() {
			return false, rpcErrorf(codeUnauthorized, "%s is for admins (operator API keys)", method)
		}
		return false, nil
	}
	return false, rpcErrorf(codeMethodNotFound, "method %s is not available through coffer", method)
}

// forward sends calls to the node: one call alone, several as one batch.
func (g *Gateway) forward(ctx context.Context, client *chain.Client, calls []*call) {
	if len(calls) == 0 {
		return
	}
	args := func(c *call) []any {
		out := make([]any, len(c.args))
		for i, a := range c.args {
			out[i] = a
		}
		return out
	}
	if len(calls) == 1 {
		c := calls[0]
		err := client.RawCall(ctx, &c.result, c.req.Method, args(c)...)
		c.err = g.upstreamError(ctx, err)
		return
	}
	elems := make([]rpc.BatchElem, len(calls))
	for i, c := range calls {
		elems[i] = rpc.BatchElem{Method: c.req.Method, Args: args(c), Result: &c.result}
	}
	if err := client.BatchCall(ctx, elems); err != nil {
		e := g.upstreamError(ctx, err)
		for _, c := range calls {
			c.err = e
		}
		return
	}
	for i, c := range calls {
		c.err = g.upstreamError(ctx, elems[i].Error)
	}
}

// upstreamError converts a node's answer for the client: JSON-RPC errors
// keep code, message and data (scrubbed); anything else says what kind of
// failure it was, never where.
func (g *Gateway) upstreamError(ctx context.Context, err error) *rpcError {
	if err == nil || errors.Is(err, rpc.ErrNoResult) {
		return nil
	}
	var re rpc.Error
	if errors.As(err, &re) {
		e := &rpcError{Code: re.ErrorCode(), Message: g.scrub(re.Error())}
		var de rpc.DataError
		if errors.As(err, &de) && de.ErrorData() != nil {
			e.Data = de.ErrorData()
			if s, ok := e.Data.(string); ok {
				e.Data = g.scrub(s)
			} else if b, merr := json.Marshal(e.Data); merr == nil {
				e.Data = json.RawMessage(g.scrub(string(b)))
			}
		}
		return e
	}
	g.Log.Warn("rpc: upstream node failed", "request_id", coffer.RequestIDFrom(ctx), "err", g.scrub(err.Error()))
	var he rpc.HTTPError
	switch {
	case errors.As(err, &he) && he.StatusCode == http.StatusTooManyRequests:
		return rpcErrorf(codeLimitExceeded, "the chain's node is rate limiting coffer; retry later")
	case errors.As(err, &he):
		return rpcErrorf(codeUnavailable, "the chain's node answered HTTP %d", he.StatusCode)
	case ctx.Err() != nil:
		return rpcErrorf(codeUnavailable, "request cancelled or timed out")
	case chain.Classify(err) == chain.ErrTransport:
		return rpcErrorf(codeUnavailable, "the chain's node is unavailable")
	}
	return rpcErrorf(codeInternal, "the chain's node gave an unexpected answer")
}

// checkLogRange refuses eth_getLogs over more than MaxLogBlocks blocks.
func (g *Gateway) checkLogRange(ctx context.Context, client *chain.Client, args []json.RawMessage) *rpcError {
	if len(args) != 1 {
		return rpcErrorf(codeInvalidParams, "eth_getLogs takes one filter object")
	}
	var f struct {
		FromBlock *string `json:"fromBlock"`
		ToBlock   *string `json:"toBlock"`
		BlockHash *string `json:"blockHash"`
	}
	if err := json.Unmarshal(args[0], &f); err != nil {
		return rpcErrorf(codeInvalidParams, "eth_getLogs filter: %v", err)
	}
	if f.BlockHash != nil {
		if f.FromBlock != nil || f.ToBlock != nil {
			return rpcErrorf(codeInvalidParams, "eth_getLogs: blockHash excludes fromBlock and toBlock")
		}
		return nil // one block
	}
	var head *uint64
	block := func(s *string) (uint64, *rpcError) {
		tag := "latest"
		if s != nil {
			tag = *s
		}
		switch tag {
		case "earliest":
			return 0, nil
		case "latest", "pending", "safe", "finalized":
			if head == nil {
				n, err := client.HeadNumber(ctx)
				if err != nil {
					return 0, g.upstreamError(ctx, err)
				}
				head = &n
			}
			return *head, nil
		}
		n, err := hexutil.DecodeUint64(tag)
		if err != nil {
			return 0, rpcErrorf(codeInvalidParams, "eth_getLogs: block %q is neither a tag nor a hex number", tag)
		}
		return n, nil
	}
	from, e := block(f.FromBlock)
	if e != nil {
		return e
	}
	to, e := block(f.ToBlock)
	if e != nil {
		return e
	}
	if to >= from && to-from >= g.cfg.RPC.MaxLogBlocks {
		return &rpcError{Code: codeLimitExceeded, Message: fmt.Sprintf("eth_getLogs over %d blocks; the limit is %d: split the range", to-from+1, g.cfg.RPC.MaxLogBlocks),
			Data: map[string]any{"max_blocks": g.cfg.RPC.MaxLogBlocks}}
	}
	return nil
}

// write answers calls: one object, or an array for a batch; nothing (204)
// when every call was a notification.
func (g *Gateway) write(w http.ResponseWriter, status int, calls []*call, batch bool) {
	var out []rpcResponse
	for _, c := range calls {
		if !c.notify || c.invalid {
			out = append(out, c.response())
		}
	}
	switch {
	case len(out) == 0:
		w.WriteHeader(http.StatusNoContent)
	case batch:
		writeRPC(w, status, out)
	default:
		writeRPC(w, status, out[0])
	}
}

func writeRPC(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
