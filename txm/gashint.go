package txm

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
)

// Gas hints. geth's eth_estimateGas runs the call at the highest limit it
// may use, then at a limit just above what that run used, then bisects
// until the bounds are within 1.5 % of each other: three or four
// executions of the call. Given a limit in the request it starts from that
// one instead, and a limit within 1.5 % above what the call needs ends the
// search after the first run. The previous estimate of a call of the same
// shape (same contract, function and calldata length: a mint like the one
// before) is such a limit, so it is offered as the request's gas.
//
// A hint changes how many runs an estimate costs, never what it means: the
// node still executes the call and answers a limit at which it succeeded.
// A hint that is too low makes the estimate fail (out of gas, or a revert a
// contract raised for want of gas), so any failure with a hint is asked
// again without one, and that answer stands.
type hintKey struct {
	to       common.Address
	selector [4]byte
	size     int
}

// maxHints bounds the hints (call shapes are few; past that they start over).
const maxHints = 4096

func hintOf(tx *coffer.Transaction) (hintKey, bool) {
	if tx.To == nil || len(tx.Data) < 4 {
		return hintKey{}, false // a deployment or a plain transfer: geth needs one run for the latter anyway
	}
	k := hintKey{to: *tx.To, size: len(tx.Data)}
	copy(k.selector[:], tx.Data)
	return k, true
}
