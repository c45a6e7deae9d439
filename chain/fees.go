package chain

import (
	"context"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Fee speeds: which reward percentile of recent blocks a new transaction's tip
// matches.
const (
	SpeedSlow   = "slow"   // 10th percentile
	SpeedNormal = "normal" // 50th percentile
	SpeedFast   = "fast"   // 90th percentile
)

// SpeedPercentile is the eth_feeHistory reward percentile of a speed (normal
// for an unknown one).
func SpeedPercentile(speed string) float64 {
	switch speed {
	case SpeedSlow:
		return 10
	case SpeedFast:
		return 90
	}
	return 50
}

// FeeOptions say how SuggestFeesFor prices a transaction.
type FeeOptions struct {
	Percentile float64 // reward percentile of each block (0 < p ≤ 100), default 50
	Blocks     int     // blocks of history, default 20
}

// Fees are what a new transaction should pay. On chains without EIP-1559
// GasPrice is set and FeeCap/TipCap/BaseFee are nil.
type Fees struct {
	FeeCap, TipCap, GasPrice *big.Int
	// BaseFee is the next block's base fee: a fee cap below BaseFee+TipCap
	// does not get the transaction into the next block.
	BaseFee *big.Int
}

// SuggestFees is SuggestFeesFor with the default options.
func (c *Client) SuggestFees(ctx context.Context) (Fees, error) {
	return c.SuggestFeesFor(ctx, FeeOptions{})
}

// SuggestFeesFor returns EIP-1559 fees — the tip is the median over the last
// Blocks blocks of each block's Percentile reward (eth_feeHistory), the fee cap
// 2 × next base fee + tip so the transaction survives several full blocks — or,
// on a chain without a base fee, eth_gasPrice. Without usable history (a node
// lacking eth_feeHistory, only empty blocks) the tip is eth_maxPriorityFeePerGas.
func (c *Client) SuggestFeesFor(ctx context.Context, o FeeOptions) (Fees, error) {
	if o.Percentile <= 0 || o.Percentile > 100 {
		o.Percentile = 50
	}
	if o.Blocks <= 0 {
		o.Blocks = 20
	}
	head, err := c.Header(ctx, nil)
	if err != nil {
		return Fees{}, err
	}
	var f Fees
	if head.BaseFee == nil {
		err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
			f.GasPrice, err = ec.SuggestGasPrice(ctx)
			return err
		})
		return f, err
	}
	var hist *ethereum.FeeHistory
	herr := c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
		hist, err = ec.FeeHistory(ctx, uint64(o.Blocks), nil, []float64{o.Percentile})
		return err
	})
	if herr != nil && Classify(herr) == ErrTransport {
		return Fees{}, herr
	}
	tip, next := TipFromHistory(hist)
	if next == nil {
		next = nextBaseFee(head.BaseFee, head.GasUsed, head.GasLimit)
	}
	if tip == nil {
		err = c.do(ctx, func(ctx context.Context, ec *ethclient.Client, _ *rpc.Client) error {
			tip, err = ec.SuggestGasTipCap(ctx)
			return err
		})
		if err != nil {
			return Fees{}, err
		}
	}
	f.TipCap, f.BaseFee = tip, next
	f.FeeCap = new(big.Int).Add(new(big.Int).Mul(next, big.NewInt(2)), tip)
	return f, nil
}

// TipFromHistory reads an eth_feeHistory answer asked for one percentile: the
// median of the blocks' rewards, skipping empty blocks (nil when every block
// was empty), and the next block's base fee (nil when not given).
func TipFromHistory(h *ethereum.FeeHistory) (tip, nextBase *big.Int) {
	if h == nil {
		return nil, nil
	}
	if n := len(h.BaseFee); n > 0 && h.BaseFee[n-1] != nil && h.BaseFee[n-1].Sign() > 0 {
		nextBase = h.BaseFee[n-1]
	}
	var rewards []*big.Int
	for i, r := range h.Reward {
		if len(r) == 0 || r[0] == nil {
			continue
		}
		if i < len(h.GasUsedRatio) && h.GasUsedRatio[i] == 0 {
			continue // an empty block reports a zero reward, not a price
		}
		rewards = append(rewards, r[0])
	}
	if len(rewards) == 0 {
		return nil, nextBase
	}
	slices.SortFunc(rewards, func(a, b *big.Int) int { return a.Cmp(b) })
	return new(big.Int).Set(rewards[len(rewards)/2]), nextBase
}

// nextBaseFee applies EIP-1559's update rule to a block (elasticity 2, change
// denominator 8) — used when the node gives no history.
func nextBaseFee(base *big.Int, used, limit uint64) *big.Int {
	target := limit / 2
	if target == 0 || used == target {
		return new(big.Int).Set(base)
	}
	d := new(big.Int)
	if used > target {
		d.Mul(base, new(big.Int).SetUint64(used-target))
		d.Div(d, new(big.Int).SetUint64(target))
		d.Div(d, big.NewInt(8))
		if d.Sign() == 0 {
			d.SetInt64(1)
		}
		return d.Add(d, base)
	}
	d.Mul(base, new(big.Int).SetUint64(target-used))
	d.Div(d, new(big.Int).SetUint64(target))
	d.Div(d, big.NewInt(8))
	return d.Sub(base, d)
}
