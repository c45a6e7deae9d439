package chain

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/rpc"
)

// rpcErr is a JSON-RPC error answer as go-ethereum's rpc package hands it over.
type rpcErr struct {
	code int
	msg  string
}

func (e rpcErr) Error() string  { return e.msg }
func (e rpcErr) ErrorCode() int { return e.code }

// Wordings as geth (core/txpool, internal/ethapi) and anvil
// (crates/anvil/src/eth/error.rs: pool errors and invalid transactions are
// code -32003 "transaction rejected") send them.
var classifyCases = []struct {
	node string
	err  error
	want error
}{
	{"geth", rpcErr{-32000, "nonce too low: address 0x71562b71999873DB5b286dF957af199Ec94617F7, tx: 0 state: 3"}, ErrNonceTooLow},
	{"geth", rpcErr{-32000, "nonce too high: address 0x71562b71999873DB5b286dF957af199Ec94617F7, tx: 9 state: 3"}, ErrNonceTooHigh},
	{"geth", rpcErr{-32000, "already known"}, ErrAlreadyKnown},
	{"geth", rpcErr{-32000, "replacement transaction underpriced"}, ErrReplacementUnderpriced},
	{"geth", rpcErr{-32000, "transaction underpriced: tip needed 1000000, tip permitted 1"}, ErrUnderpriced},
	{"geth", rpcErr{-32000, "max fee per gas less than block base fee: address 0x71562b71999873DB5b286dF957af199Ec94617F7, maxFeePerGas: 1, baseFee: 7"}, ErrUnderpriced},
	{"geth", rpcErr{-32000, "insufficient funds for gas * price + value: address 0x71562b71999873DB5b286dF957af199Ec94617F7 have 0 want 21000"}, ErrInsufficientFunds},
	{"geth", rpcErr{-32000, "intrinsic gas too low: gas 20000, minimum needed 21000"}, ErrGasLimit},
	{"geth", rpcErr{-32000, "exceeds block gas limit"}, ErrGasLimit},
	{"geth", rpcErr{3, "execution reverted: not minter"}, ErrReverted},
	{"geth", rpcErr{-32000, "execution reverted"}, ErrReverted},
	{"anvil", rpcErr{-32003, "nonce too low"}, ErrNonceTooLow},
	{"anvil", rpcErr{-32003, "Nonce too high"}, ErrNonceTooHigh},
	{"anvil", rpcErr{-32003, "transaction already imported"}, ErrAlreadyKnown},
	{"anvil", rpcErr{-32003, "replacement transaction underpriced"}, ErrReplacementUnderpriced},
	{"anvil", errors.New("Tx: [0xabc] insufficient gas price to replace existing transaction"), ErrReplacementUnderpriced},
	{"anvil", errors.New("Tx: [0xabc] already Imported"), ErrAlreadyKnown},
	{"anvil", rpcErr{-32003, "Insufficient funds for gas * price + value"}, ErrInsufficientFunds},
	{"anvil", rpcErr{-32003, "insufficient funds for transfer"}, ErrInsufficientFunds},
	{"anvil", rpcErr{-32003, "max fee per gas less than block base fee"}, ErrUnderpriced},
	{"anvil", rpcErr{-32000, "intrinsic gas too low"}, ErrGasLimit},
	{"anvil", rpcErr{-32000, "intrinsic gas too high -- CallerGasLimitMoreThanBlock"}, ErrGasLimit},
	{"anvil", rpcErr{3, "execution reverted: custom error 0x118cdaa7"}, ErrReverted},
	{"infura", rpcErr{-32005, "daily request count exceeded, request rate limited"}, ErrRateLimited},
	{"provider", rpc.HTTPError{StatusCode: 429, Status: "429 Too Many Requests"}, ErrRateLimited},
	{"provider", rpc.HTTPError{StatusCode: 502, Status: "502 Bad Gateway"}, ErrTransport},
	{"any", context.DeadlineExceeded, ErrTransport},
	{"any", fmt.Errorf("post: %w", errors.New("dial tcp 127.0.0.1:1: connect: connection refused")), ErrTransport},
	{"geth", rpcErr{-32601, "the method eth_getBlockReceipts does not exist/is not available"}, ErrUnsupported},
	{"besu", rpcErr{-32601, "Method not found"}, ErrUnsupported},
	{"provider", rpcErr{-32004, "Method not supported"}, ErrUnsupported},
	{"provider", errors.New("Unsupported method: eth_getBlockReceipts. See available methods at https://docs.example/"), ErrUnsupported},
}

func TestClassify(t *testing.T) {
	if Classify(nil) != nil {
		t.Fatal("nil error classified")
	}
	for _, c := range classifyCases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("%s %q: %v, want %v", c.node, c.err, got, c.want)
		}
	}
}

// TestClassifyOverHTTP classifies the errors as go-ethereum's client returns
// them from a node's real JSON answers.
func TestClassifyOverHTTP(t *testing.T) {
	answers := map[string]string{
		"anvil-underpriced": `{"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"replacement transaction underpriced"}}`,
		"anvil-nonce":       `{"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"nonce too low"}}`,
		"geth-known":        `{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"already known"}}`,
		"geth-revert":       `{"jsonrpc":"2.0","id":1,"error":{"code":3,"message":"execution reverted: no","data":"0x08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000026e6f000000000000000000000000000000000000000000000000000000000000"}}`,
	}
	want := map[string]error{"anvil-underpriced": ErrReplacementUnderpriced, "anvil-nonce": ErrNonceTooLow, "geth-known": ErrAlreadyKnown, "geth-revert": ErrReverted}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/")
		if key == "limited" {
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, answers[key])
	}))
	defer srv.Close()
	ctx := context.Background()
	for key, kind := range want {
		rc, err := rpc.DialContext(ctx, srv.URL+"/"+key)
		if err != nil {
			t.Fatal(err)
		}
		err = rc.CallContext(ctx, nil, "eth_sendRawTransaction", "0x00")
		if got := Classify(err); got != kind {
			t.Errorf("%s: %v classified %v, want %v", key, err, got, kind)
		}
		if key == "geth-revert" {
			if rev := AsRevert(err); rev == nil || rev.Reason != "no" {
				t.Errorf("revert reason: %+v", rev)
			}
		}
		rc.Close()
	}
	rc, _ := rpc.DialContext(ctx, srv.URL+"/limited")
	defer rc.Close()
	if err := rc.CallContext(ctx, nil, "eth_blockNumber"); Classify(err) != ErrRateLimited {
		t.Errorf("HTTP 429: %v classified %v", err, Classify(err))
	}
}
