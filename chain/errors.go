package chain

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// Kinds of node errors. Classify maps an error to one of these.
var (
	ErrNonceTooLow            = errors.New("nonce too low")
	ErrNonceTooHigh           = errors.New("nonce too high")
	ErrAlreadyKnown           = errors.New("transaction already known")
	ErrReplacementUnderpriced = errors.New("replacement transaction underpriced")
	ErrUnderpriced            = errors.New("transaction underpriced")
	ErrInsufficientFunds      = errors.New("insufficient funds")
	ErrRateLimited            = errors.New("rate limited")
	ErrReverted               = errors.New("execution reverted")
	ErrTransport              = errors.New("node unreachable")
	ErrGasLimit               = errors.New("gas limit too high or too low")
	ErrUnsupported            = errors.New("method not supported by the node")
	ErrInconsistent           = errors.New("blocks read do not form one chain")
	ErrOther                  = errors.New("node error")
)

var kinds = []error{ErrNonceTooLow, ErrNonceTooHigh, ErrAlreadyKnown, ErrReplacementUnderpriced, ErrUnderpriced,
	ErrInsufficientFunds, ErrRateLimited, ErrReverted, ErrTransport, ErrGasLimit, ErrUnsupported, ErrInconsistent, ErrOther}

// Classify returns the kind of a node error (nil for nil). It looks at
// JSON-RPC codes first and falls back to the phrases geth, anvil, erigon,
// nethermind and besu use.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ErrTransport
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k // already classified (wrapped by this package)
		}
	}
	var rerr *RevertError
	if errors.As(err, &rerr) {
		return ErrReverted
	}
	var herr rpc.HTTPError
	if errors.As(err, &herr) {
		if herr.StatusCode == 429 {
			return ErrRateLimited
		}
		if herr.StatusCode >= 500 {
			return ErrTransport
		}
	}
	var nerr net.Error
	var uerr *url.Error
	if errors.As(err, &nerr) || errors.As(err, &uerr) {
		return ErrTransport
	}
	var ce rpc.Error
	if errors.As(err, &ce) {
		switch ce.ErrorCode() {
		case 3:
			return ErrReverted
		case -32005, 429:
			return ErrRateLimited
		case -32601, -32004: // JSON-RPC "method not found", EIP-1474 "method not supported"
			return ErrUnsupported
		}
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "nonce too low"), strings.Contains(msg, "nonce is too low"),
		strings.Contains(msg, "oldnonce"), strings.Contains(msg, "invalid nonce"):
		return ErrNonceTooLow
	case strings.Contains(msg, "nonce too high"), strings.Contains(msg, "nonce gap"):
		return ErrNonceTooHigh
	case strings.Contains(msg, "already known"), strings.Contains(msg, "already imported"),
		strings.Contains(msg, "alreadyknown"), strings.Contains(msg, "known transaction"):
		return ErrAlreadyKnown
	case strings.Contains(msg, "replacement transaction underpriced"), strings.Contains(msg, "replacement underpriced"),
		strings.Contains(msg, "feetoolowtocompete"), strings.Contains(msg, "insufficient gas price to replace"):
		return ErrReplacementUnderpriced
	case strings.Contains(msg, "underpriced"), strings.Contains(msg, "fee cap less than block base fee"),
		strings.Contains(msg, "max fee per gas less than block base fee"):
		return ErrUnderpriced
	case strings.Contains(msg, "insufficient funds"):
		return ErrInsufficientFunds
	case strings.Contains(msg, "rate limit"), strings.Contains(msg, "too many requests"):
		return ErrRateLimited
	case strings.Contains(msg, "execution reverted"), strings.Contains(msg, "reverted"):
		return ErrReverted
	case strings.Contains(msg, "intrinsic gas too low"), strings.Contains(msg, "exceeds block gas limit"),
		strings.Contains(msg, "gas limit reached"), strings.Contains(msg, "intrinsic gas too high"),
		strings.Contains(msg, "gas limit is greater than the block gas limit"):
		return ErrGasLimit
	case strings.Contains(msg, "method not found"), strings.Contains(msg, "does not exist/is not available"),
		strings.Contains(msg, "method not supported"), strings.Contains(msg, "unsupported method"):
		return ErrUnsupported
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "connection reset"),
		strings.Contains(msg, "eof"), strings.Contains(msg, "broken pipe"), strings.Contains(msg, "no such host"),
		strings.Contains(msg, "i/o timeout"):
		return ErrTransport
	}
	return ErrOther
}

// RevertError is a call or estimate that the EVM reverted, with the decoded
// reason when the contract gave one.
type RevertError struct {
	Reason string // decoded Error(string), custom error selector, or ""
	Data   []byte
}

func (e *RevertError) Error() string {
	if e.Reason == "" {
		return "execution reverted"
	}
	return "execution reverted: " + e.Reason
}

// AsRevert turns a node's revert answer into a *RevertError (nil otherwise).
func AsRevert(err error) *RevertError {
	if err == nil {
		return nil
	}
	var rerr *RevertError
	if errors.As(err, &rerr) {
		return rerr
	}
	var de rpc.DataError
	if errors.As(err, &de) {
		if s, ok := de.ErrorData().(string); ok {
			if data, derr := hexutil.Decode(s); derr == nil {
				return &RevertError{Reason: DecodeRevert(data), Data: data}
			}
		}
	}
	if Classify(err) == ErrReverted {
		msg := err.Error()
		if i := strings.Index(msg, "execution reverted: "); i >= 0 {
			return &RevertError{Reason: msg[i+len("execution reverted: "):]}
		}
		return &RevertError{}
	}
	return nil
}

// DecodeRevert renders revert data: Error(string), Panic(uint256), or a
// known custom error of coffer's contract; other data as its selector.
func DecodeRevert(data []byte) string {
	if len(data) < 4 {
		return ""
	}
	if reason, err := abi.UnpackRevert(data); err == nil {
		return reason
	}
	sel := [4]byte(data[:4])
	if name, ok := knownErrors[sel]; ok {
		return name
	}
	return fmt.Sprintf("custom error %s", hexutil.Encode(data[:4]))
}

// knownErrors maps selectors of errors coffer's contracts and OpenZeppelin
// raise to readable names.
var knownErrors = map[[4]byte]string{}

// RegisterErrors makes DecodeRevert name the custom errors of an ABI.
func RegisterErrors(a abi.ABI) {
	for _, e := range a.Errors {
		knownErrors[[4]byte(e.ID[:4])] = e.Sig
	}
}
