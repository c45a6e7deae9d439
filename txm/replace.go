package txm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
)

// suggest prices a new transaction on the worker's chain.
func (w *worker) suggest(ctx context.Context) (chain.Fees, error) {
	return w.cfg.Client.SuggestFeesFor(ctx, chain.FeeOptions{Percentile: chain.SpeedPercentile(w.cfg.FeeSpeed), Blocks: w.cfg.FeeBlocks})
}

// capFees limits f to max. An EIP-1559 fee cap above max is lowered to max
// (it is only an upper bound), as long as max still covers the next base fee
// plus the tip; a gas price above max is not lowered. ok is false when the
// transaction should wait for fees to fall instead.
func capFees(f chain.Fees, max *big.Int) (chain.Fees, bool) {
	if max == nil {
		return f, true
	}
	if f.GasPrice != nil {
		return f, f.GasPrice.Cmp(max) <= 0
	}
	if f.FeeCap.Cmp(max) <= 0 {
		return f, true
	}
	need := new(big.Int).Add(f.BaseFee, f.TipCap)
	if need.Cmp(max) > 0 {
		return f, false
	}
	f.FeeCap = new(big.Int).Set(max)
	return f, true
}

// errAtCap: a replacement would have to pay more than the chain's cap.
var errAtCap = errors.New("txm: a replacement would exceed the chain's max_fee_per_gas")

// raise returns the larger of prev raised by pct percent (rounded up) and
// market.
func raise(prev *big.Int, pct float64, market *big.Int) *big.Int {
	// prev × (1000 + 10·pct) / 1000, rounded up, in integers.
	num := new(big.Int).Mul(prev, big.NewInt(1000+int64(pct*10)))
	out := new(big.Int).Add(num, big.NewInt(999))
	out.Div(out, big.NewInt(1000))
	if market != nil && market.Cmp(out) > 0 {
		out.Set(market)
	}
	return out
}

// minRaise is the least a replacement must pay over prev for the node
// (MinBumpPercent).
func minRaise(prev *big.Int) *big.Int { return raise(prev, MinBumpPercent, nil) }

// bumpFees prices a replacement of prev: both fee fields raised by at least
// pct over prev and at least to the market's, capped by max. errAtCap when
// the cap leaves less than the node's replacement minimum.
func bumpFees(prev *types.Transaction, market chain.Fees, pct float64, max *big.Int) (gasPrice, feeCap, tipCap *big.Int, err error) {
	if prev.Type() == types.LegacyTxType || prev.Type() == types.AccessListTxType {
		m := market.GasPrice
		if m == nil {
			m = market.FeeCap
		}
		gasPrice = raise(prev.GasPrice(), pct, m)
		if max != nil && gasPrice.Cmp(max) > 0 {
			gasPrice = new(big.Int).Set(max)
		}
		if gasPrice.Cmp(minRaise(prev.GasPrice())) < 0 {
			return nil, nil, nil, errAtCap
		}
		return gasPrice, nil, nil, nil
	}
	mTip, mCap := market.TipCap, market.FeeCap
	if mCap == nil {
		mTip, mCap = market.GasPrice, market.GasPrice
	}
	tipCap = raise(prev.GasTipCap(), pct, mTip)
	feeCap = raise(prev.GasFeeCap(), pct, mCap)
	if feeCap.Cmp(tipCap) < 0 {
		feeCap = new(big.Int).Set(tipCap)
	}
	if max != nil && feeCap.Cmp(max) > 0 {
		feeCap = new(big.Int).Set(max)
	}
	if tipCap.Cmp(feeCap) > 0 {
		tipCap = new(big.Int).Set(feeCap)
	}
	if feeCap.Cmp(minRaise(prev.GasFeeCap())) < 0 || tipCap.Cmp(minRaise(prev.GasTipCap())) < 0 {
		return nil, nil, nil, errAtCap
	}
	return nil, feeCap, tipCap, nil
}

// replace re-signs tx at its nonce with bumped fees, records the attempt and
// broadcasts it. kind AttemptSend repeats the newest attempt's call;
// AttemptCancel and AttemptNoop send 0 to the sender itself. Every earlier
// attempt stays followed: whichever is mined decides the outcome.
func (w *worker) replace(ctx context.Context, tx *coffer.Transaction, kind string) error {
	if tx.Kind == coffer.KindRaw {
		return coffer.Errorf(coffer.ECONFLICT, "transaction %s was signed by its sender; only the sender can replace it", tx.ID)
	}
	if tx.Nonce == nil || len(tx.Raw) == 0 {
		return fmt.Errorf("txm: transaction %s has no signed attempt", tx.ID)
	}
	prev := new(types.Transaction)
	if err := prev.UnmarshalBinary(tx.Raw); err != nil {
		return fmt.Errorf("txm: decode attempt of %s: %w", tx.ID, err)
	}
	market, err := w.suggest(ctx)
	if err != nil {
		return fmt.Errorf("fees: %w", err)
	}
	gasPrice, feeCap, tipCap, err := bumpFees(prev, market, w.cfg.BumpPercent, w.cfg.MaxFeePerGas)
	if err != nil {
		if time.Since(w.heldLog) >= time.Minute {
			w.heldLog = time.Now()
			w.m.log.Warn("txm: stuck transaction at the chain's max_fee_per_gas; waiting", "tx", tx.ID, "nonce", *tx.Nonce,
				"fee_cap", prev.GasFeeCap(), "max_fee_per_gas", w.cfg.MaxFeePerGas)
		}
		return err
	}
	to, value, data, gas := prev.To(), prev.Value(), prev.Data(), prev.Gas()
	if kind != coffer.AttemptSend {
		self := tx.From
		to, value, data, gas = &self, new(big.Int), nil, 21000
	}
	chainID := new(big.Int).SetUint64(tx.ChainID)
	var inner types.TxData
	if gasPrice != nil {
		inner = &types.LegacyTx{Nonce: *tx.Nonce, GasPrice: gasPrice, Gas: gas, To: to, Value: value, Data: data}
	} else {
		inner = &types.DynamicFeeTx{ChainID: chainID, Nonce: *tx.Nonce, GasTipCap: tipCap, GasFeeCap: feeCap, Gas: gas, To: to, Value: value, Data: data}
	}
	signed, err := w.m.signer.SignTx(ctx, tx.From, types.NewTx(inner), chainID)
	if err != nil {
		return fmt.Errorf("sign replacement of %s: %w", tx.ID, err)
	}
	raw, err := signed.MarshalBinary()
	if err != nil {
		return err
	}
	a := &coffer.TxAttempt{Kind: kind, Hash: signed.Hash(), Raw: raw, GasPrice: gasPrice, FeeCap: feeCap, TipCap: tipCap, CreatedAt: time.Now()}
	// Persist before the broadcast: a crash after it still follows this hash.
	if err := w.m.store.AddAttempt(ctx, tx.ID, a); err != nil {
		return err
	}
	h := a.Hash
	tx.Attempts, tx.Hash, tx.Raw = append(tx.Attempts, *a), &h, raw
	delete(w.bumpNow, tx.ID)
	delete(w.rejects, tx.ID)
	w.m.log.Info("txm: replaced at the same nonce", "tx", tx.ID, "kind", kindName(kind), "nonce", *tx.Nonce, "hash", h,
		"attempt", len(tx.Attempts), "max_fee_per_gas", feeCap, "max_priority_fee_per_gas", tipCap, "gas_price", gasPrice)
	w.broadcast(ctx, tx)
	return nil
}

func kindName(k string) string {
	if k == coffer.AttemptSend {
		return "bump"
	}
	return k
}

// Cancel stops a transaction that is not mined yet. A queued one (no nonce)
// is simply marked cancelled. A pending one is replaced at its nonce by a
// 0-value self-transfer with bumped fees: it becomes cancelled if that is
// mined, and stays mined/confirmed if the original wins the race. A mined,
// confirmed or failed transaction is ECONFLICT, and so is a self-custody
// one (coffer cannot sign for its sender).
func (m *Manager) Cancel(ctx context.Context, id string) (*coffer.Transaction, error) {
	tx, err := m.store.Transaction(ctx, id)
	if err != nil {
		return nil, err
	}
	w := m.chains[tx.ChainID]
	if w == nil {
		return nil, coffer.Errorf(coffer.EINVALID, "chain %d is not configured", tx.ChainID)
	}
	if tx.Status == coffer.TxQueued {
		switch err := m.store.CancelQueued(ctx, id); {
		case err == nil:
			fresh, err := m.store.Transaction(ctx, id)
			if err != nil {
				return nil, err
			}
			m.log.Info("txm: queued transaction cancelled", "tx", id)
			m.emit(ctx, []Change{{Tx: fresh}})
			return fresh, nil
		case coffer.ErrorCode(err) != coffer.ECONFLICT:
			return nil, err
		}
		// It got its nonce meanwhile: replace it like any pending one.
	}
	// After the sender's batch (it may hold this transaction between its
	// nonce and its first broadcast), and alone among those that re-sign.
	w.sendMu.Lock()
	defer w.sendMu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	if tx, err = m.store.Transaction(ctx, id); err != nil {
		return nil, err
	}
	switch tx.Status {
	case coffer.TxCancelled:
		return tx, nil
	case coffer.TxMined, coffer.TxConfirmed:
		return nil, coffer.Errorf(coffer.ECONFLICT, "transaction %s is already %s", id, tx.Status)
	case coffer.TxFailed:
		return nil, coffer.Errorf(coffer.ECONFLICT, "transaction %s already failed", id)
	case coffer.TxPending:
	default:
		return nil, coffer.Errorf(coffer.ECONFLICT, "transaction %s is %s", id, tx.Status)
	}
	if tx.Kind == coffer.KindRaw {
		return nil, coffer.Errorf(coffer.ECONFLICT, "transaction %s was signed by its sender; only the sender can replace it", id)
	}
	if lastKind(tx) == coffer.AttemptCancel {
		return tx, nil // already asked
	}
	// Mined already, but not yet seen by the worker?
	rcpts, err := w.cfg.Client.Receipts(ctx, attemptHashes(tx))
	if err != nil {
		return nil, coffer.WrapError(coffer.EUNAVAILABLE, err, "chain %d node unavailable", tx.ChainID)
	}
	for _, r := range rcpts {
		if r != nil {
			return nil, coffer.Errorf(coffer.ECONFLICT, "transaction %s is already mined (block %d)", id, r.BlockNumber.Uint64())
		}
	}
	if err := w.replace(ctx, tx, coffer.AttemptCancel); err != nil {
		if errors.Is(err, errAtCap) {
			return nil, coffer.Errorf(coffer.ECONFLICT, "cannot outbid transaction %s within the chain's max_fee_per_gas", id)
		}
		if coffer.ErrorCode(err) != coffer.EINTERNAL {
			return nil, err
		}
		return nil, coffer.WrapError(coffer.EUNAVAILABLE, err, "cancel %s", id)
	}
	return m.store.Transaction(ctx, id)
}

// Preflight estimates tx's gas on its chain so that a call that would
// revert is refused before it is queued, with the decoded reason (EINVALID),
// spending nothing. On success it sets tx.Gas (with the chain's buffer) when
// unset, so the worker does not estimate again.
//
// A node that cannot be reached (or rate-limits) within PreflightTimeout
// does not refuse the transaction: it is queued unchecked, and the worker
// estimates its gas once the node is back — an estimate that reverts then
// fails it with the reason, before any nonce is taken. An outage delays
// transactions; it does not stop the API from taking them.
func (m *Manager) Preflight(ctx context.Context, tx *coffer.Transaction) error {
	w := m.chains[tx.ChainID]
	if w == nil {
		return coffer.Errorf(coffer.EINVALID, "chain %d is not configured", tx.ChainID)
	}
	pctx, cancel := context.WithTimeout(ctx, PreflightTimeout)
	gas, err := w.estimate(pctx, tx)
	cancel()
	if err == nil {
		if tx.Gas == 0 {
			tx.Gas = gas // the worker need not estimate again
		}
		return nil
	}
	if rev := chain.AsRevert(err); rev != nil {
		return coffer.Errorf(coffer.EINVALID, "the transaction would revert: %s", reasonOf(rev))
	}
	if chain.Classify(err) == chain.ErrInsufficientFunds {
		return coffer.Errorf(coffer.EINVALID, "%s cannot pay for the transaction: insufficient funds", tx.From.Hex())
	}
	if k := chain.Classify(err); (k == chain.ErrTransport || k == chain.ErrRateLimited) && ctx.Err() == nil {
		m.log.Warn("txm: node unreachable; queueing the transaction without a gas estimate", "chain_id", tx.ChainID, "err", err)
		return nil
	}
	return coffer.WrapError(coffer.EUNAVAILABLE, err, "chain %d node unavailable", tx.ChainID)
}

// PreflightTimeout bounds Preflight's gas estimate (retries included).
const PreflightTimeout = 5 * time.Second

// SubmitRaw takes a transaction its sender signed (self-custody): it must
// decode, be of a supported type (legacy with an EIP-155 chain id, EIP-2930
// or EIP-1559), be for a configured chain, and have a recoverable sender
// that is not a coffer custodial wallet — coffer assigns those wallets'
// nonces itself, so a transaction signed for one elsewhere would collide with
// its queue (send through POST /v1/transactions instead). It is stored as
// pending before it is broadcast, then followed like any other; it is never
// re-signed, only re-sent. The same bytes submitted again return the stored
// transaction (created false) to the principal who submitted them first.
//
// Errors: bad bytes, type, chain or signature and a node refusal for lack of
// funds or fees are EINVALID; a nonce already used is ECONFLICT. A node that
// cannot be reached leaves it pending, to be re-sent.
func (m *Manager) SubmitRaw(ctx context.Context, ownerID string, raw []byte) (*coffer.Transaction, bool, error) {
	stx := new(types.Transaction)
	if len(raw) == 0 {
		return nil, false, coffer.Errorf(coffer.EINVALID, "raw must be a signed transaction")
	}
	if err := stx.UnmarshalBinary(raw); err != nil {
		return nil, false, coffer.Errorf(coffer.EINVALID, "raw does not decode as a signed transaction: %v", err)
	}
	switch stx.Type() {
	case types.LegacyTxType:
		if !stx.Protected() {
			return nil, false, coffer.Errorf(coffer.EINVALID, "a legacy transaction must carry an EIP-155 chain id (replay protection)")
		}
	case types.AccessListTxType, types.DynamicFeeTxType:
	default:
		return nil, false, coffer.Errorf(coffer.EINVALID, "transaction type %d is not supported (legacy, 1 and 2 are)", stx.Type())
	}
	if !stx.ChainId().IsUint64() {
		return nil, false, coffer.Errorf(coffer.EINVALID, "chain id %s is not configured", stx.ChainId())
	}
	chainID := stx.ChainId().Uint64()
	w := m.chains[chainID]
	if w == nil {
		return nil, false, coffer.Errorf(coffer.EINVALID, "chain id %d is not configured on this server", chainID)
	}
	from, err := types.Sender(types.LatestSignerForChainID(stx.ChainId()), stx)
	if err != nil {
		return nil, false, coffer.Errorf(coffer.EINVALID, "cannot recover the sender: %v", err)
	}
	if prior, err := m.store.TransactionByHash(ctx, stx.Hash()); err == nil {
		if prior.Kind != coffer.KindRaw || prior.OwnerID != ownerID {
			return nil, false, coffer.Errorf(coffer.ECONFLICT, "transaction %s was already submitted", stx.Hash().Hex())
		}
		return prior, false, nil
	} else if !coffer.IsNotFound(err) {
		return nil, false, err
	}
	if _, err := m.store.Wallet(ctx, from); err == nil {
		return nil, false, coffer.Errorf(coffer.ECONFLICT,
			"sender %s is a coffer custodial wallet; coffer assigns its nonces, so send through POST /v1/transactions", from.Hex())
	} else if !coffer.IsNotFound(err) {
		return nil, false, err
	}
	// Refuse what the node would refuse before anything is stored.
	mined, err := w.cfg.Client.Nonce(ctx, from)
	if err != nil {
		return nil, false, coffer.WrapError(coffer.EUNAVAILABLE, err, "chain %d node unavailable", chainID)
	}
	if stx.Nonce() < mined {
		return nil, false, coffer.Errorf(coffer.ECONFLICT, "nonce too low: %s has used nonces up to %d; this transaction has %d", from.Hex(), mined-1, stx.Nonce())
	}
	nonce, h := stx.Nonce(), stx.Hash()
	now := time.Now().UTC()
	tx := &coffer.Transaction{
		ID: coffer.NewID("tx"), OwnerID: ownerID, Kind: coffer.KindRaw, ChainID: chainID, From: from, To: stx.To(),
		Value: stx.Value(), Data: stx.Data(), Nonce: &nonce, Gas: stx.Gas(), Hash: &h, Raw: raw, Status: coffer.TxPending,
		CreatedAt: now, UpdatedAt: now,
	}
	if stx.Type() == types.DynamicFeeTxType {
		tx.FeeCap, tx.TipCap = stx.GasFeeCap(), stx.GasTipCap()
	} else {
		tx.GasPrice = stx.GasPrice()
	}
	if err := m.store.CreateSignedTransaction(ctx, tx); err != nil {
		return nil, false, err
	}
	w.mu.Lock()
	err = w.broadcast(ctx, tx)
	w.mu.Unlock()
	switch kind := chain.Classify(err); kind {
	case nil, chain.ErrAlreadyKnown, chain.ErrTransport, chain.ErrRateLimited, chain.ErrNonceTooHigh:
		// Accepted, or to be re-sent by the worker.
	default:
		msg := "rejected by the node: " + err.Error()
		if uerr := m.store.UpdateTransaction(ctx, tx.ID, coffer.TxUpdate{Status: coffer.TxFailed, Error: &msg}); uerr != nil {
			return nil, false, uerr
		}
		w.mu.Lock()
		w.forget(tx.ID)
		w.mu.Unlock()
		code := coffer.EINVALID
		if kind == chain.ErrNonceTooLow || kind == chain.ErrReplacementUnderpriced {
			code = coffer.ECONFLICT // the nonce is taken, by a mined or a pooled transaction
		}
		return nil, false, coffer.Errorf(code, "the node refused transaction %s (%v): %v", h.Hex(), kind, err)
	}
	w.wakeUp()
	return tx, true, nil
}

func (w *worker) wakeUp() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}
