package txm

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
)

// GasTank funds the gas of users' custodial wallets from the platform wallet
// on one chain (ChainConfig.GasTank; nil or a zero TopUp: off).
//
// Before a queued transaction from a user's wallet (a wallet with an owner,
// not the platform's) takes a nonce, the worker compares what the wallet has
// — its balance less the most its pending transactions can still cost and
// what this round already sent — with the most this transaction can cost
// (gas × fee cap + value). When that is short, a top-up is queued: a
// transfer (kind "topup") of max(TopUp, shortfall) from the platform wallet to
// the user's wallet, which the same worker sends like any other transaction.
// The user's transaction stays queued — no nonce taken, its error field
// naming the top-up it waits for — and so do the wallet's later ones, until
// the top-up is confirmed; then it is sent. One top-up in flight per wallet
// serves every transaction waiting behind it.
//
// The tank pays gas, not value: a transaction whose value alone exceeds what
// the wallet has fails as before ("insufficient funds"). A wallet receives at
// most MaxPerWalletPerDay over any rolling 24 hours (top-ups that failed or
// were cancelled do not count); a transaction that would need more fails,
// before taking a nonce, with a reason naming the limit. So does one whose
// top-up failed (the platform wallet could not pay, or a policy refused it).
// With MinBalance set, a wallet left below it after a transaction is topped
// up as well, without making anything wait.
//
// The platform wallet's balance is read at least once a minute and whenever
// it sends; below PlatformLow it is reported by PlatformBalances (a gauge at
// /metrics) and logged at WARN with event=platform.low_balance, once per
// crossing.
//
// Top-ups are chained by their idempotency key (the previous top-up's id), so
// two processes deciding to top up the same wallet at once queue one.
type GasTank struct {
	TopUp              *big.Int // wei sent per top-up (at least the shortfall)
	MinBalance         *big.Int // also top up a wallet left below this; nil: only when it cannot pay
	MaxPerWalletPerDay *big.Int // wei one wallet may receive over a rolling 24h; nil: no limit
	PlatformLow        *big.Int // warn when the platform wallet holds less; nil: never
}

func (g *GasTank) enabled() bool { return g != nil && g.TopUp != nil && g.TopUp.Sign() > 0 }

// Waiting is the prefix of a queued transaction's error while it waits for a
// gas-tank top-up.
const Waiting = "waiting for gas-tank top-up "

// platformCheckEvery is how often the platform balance is read without a reason.
const platformCheckEvery = time.Minute

// SetPlatform tells the manager how to find the platform wallet, the one that
// funds gas-tank top-ups. It is asked until it answers, then remembered.
func (m *Manager) SetPlatform(f func(ctx context.Context) (common.Address, error)) {
	m.pmu.Lock()
	m.platformFn = f
	m.pmu.Unlock()
}

func (m *Manager) platform(ctx context.Context) (common.Address, bool) {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	if m.platformAddr != nil {
		return *m.platformAddr, true
	}
	if m.platformFn == nil {
		return common.Address{}, false
	}
	a, err := m.platformFn(ctx)
	if err != nil {
		m.log.Warn("txm: gas tank: platform wallet unknown; no top-ups", "err", err)
		return common.Address{}, false
	}
	m.platformAddr = &a
	return a, true
}

// PlatformBalance is the last platform wallet balance a gas-tank chain saw.
type PlatformBalance struct {
	ChainID   uint64
	Address   common.Address
	Balance   *big.Int // nil until first read
	Threshold *big.Int // GasTank.PlatformLow (nil: none)
	Low       bool
}

// PlatformBalances reports the platform wallet's balance on every chain with
// a gas tank, for /metrics.
func (m *Manager) PlatformBalances() []PlatformBalance {
	var out []PlatformBalance
	for id, w := range m.chains {
		if !w.cfg.GasTank.enabled() {
			continue
		}
		w.gmu.Lock()
		pb := PlatformBalance{ChainID: id, Address: w.pAddr, Threshold: w.cfg.GasTank.PlatformLow, Low: w.pLow}
		if w.pBal != nil {
			pb.Balance = new(big.Int).Set(w.pBal)
		}
		w.gmu.Unlock()
		out = append(out, pb)
	}
	return out
}

// OnPlatformLow registers f, called (from the chain's worker) each time the
// platform wallet's balance on a gas-tank chain falls below PlatformLow —
// once per crossing, like the WARN. For an events outbox or alerting.
func (m *Manager) OnPlatformLow(f func(ctx context.Context, b PlatformBalance)) {
	m.mu.Lock()
	m.lowHooks = append(m.lowHooks, f)
	m.mu.Unlock()
}

// observePlatform records a balance of the platform wallet and warns when it
// crosses the chain's PlatformLow.
func (w *worker) observePlatform(ctx context.Context, addr common.Address, bal *big.Int) {
	g := w.cfg.GasTank
	low := g.PlatformLow != nil && bal.Cmp(g.PlatformLow) < 0
	w.gmu.Lock()
	was := w.pLow
	w.pAddr, w.pBal, w.pLow, w.pSeen = addr, new(big.Int).Set(bal), low, time.Now()
	w.gmu.Unlock()
	switch {
	case low && !was:
		w.m.log.Warn("txm: platform wallet balance is low; gas-tank top-ups and platform transactions will fail once it is spent",
			"event", "platform.low_balance", "chain_id", w.id, "address", addr, "balance_wei", bal, "threshold_wei", g.PlatformLow)
		w.m.mu.Lock()
		hooks := w.m.lowHooks
		w.m.mu.Unlock()
		for _, h := range hooks {
			h(ctx, PlatformBalance{ChainID: w.id, Address: addr, Balance: new(big.Int).Set(bal), Threshold: g.PlatformLow, Low: true})
		}
	case !low && was:
		w.m.log.Info("txm: platform wallet balance is back above the threshold", "event", "platform.balance_ok",
			"chain_id", w.id, "address", addr, "balance_wei", bal, "threshold_wei", g.PlatformLow)
	}
}

// checkPlatform reads the platform balance when it has not been seen for a while.
func (w *worker) checkPlatform(ctx context.Context) {
	if !w.cfg.GasTank.enabled() {
		return
	}
	w.gmu.Lock()
	fresh := time.Since(w.pSeen) < platformCheckEvery
	w.gmu.Unlock()
	if fresh {
		return
	}
	p, ok := w.m.platform(ctx)
	if !ok {
		return
	}
	bal, err := w.cfg.Client.Balance(ctx, p)
	if err != nil {
		w.m.log.Warn("txm: gas tank: platform balance", "chain_id", w.id, "err", err)
		return
	}
	w.observePlatform(ctx, p, bal)
}

// tankWallet reports whether from is a user's custodial wallet the gas tank funds.
func (w *worker) tankWallet(ctx context.Context, from common.Address) bool {
	if !w.cfg.GasTank.enabled() {
		return false
	}
	w.mu.Lock()
	v, ok := w.users[from]
	w.mu.Unlock()
	if ok {
		return v
	}
	p, ok := w.m.platform(ctx)
	if !ok {
		return false
	}
	wal, err := w.m.store.Wallet(ctx, from)
	if err != nil && !coffer.IsNotFound(err) {
		return false // ask again next round
	}
	v = err == nil && wal.OwnerID != "" && from != p
	w.mu.Lock()
	w.users[from] = v
	w.mu.Unlock()
	return v
}

// committed is the most from's pending transactions on this chain can still
// cost: the node's balance does not show them until they are mined.
func (w *worker) committed(ctx context.Context, from common.Address) (*big.Int, error) {
	txs, _, err := w.m.store.Transactions(ctx, coffer.TxFilter{From: &from, Status: coffer.TxPending, Limit: 500})
	if err != nil {
		return nil, err
	}
	sum := new(big.Int)
	for _, t := range txs {
		if t.ChainID != w.id {
			continue
		}
		fee := t.FeeCap
		if t.GasPrice != nil {
			fee = t.GasPrice
		}
		if fee == nil {
			fee = new(big.Int)
		}
		c := new(big.Int).Mul(new(big.Int).SetUint64(t.Gas), fee)
		sum.Add(sum, c.Add(c, valueOf(t)))
	}
	return sum, nil
}

// topUps summarises the top-ups a wallet received on this chain.
type topUps struct {
	inflight *coffer.Transaction // queued, pending or mined: not confirmed yet
	newest   string              // id of the newest top-up, "" when none
	failed   *coffer.Transaction // newest failed or cancelled top-up
	day      *big.Int            // value of the top-ups of the last 24h that did not fail
}

func (w *worker) topUps(ctx context.Context, wallet common.Address) (*topUps, error) {
	txs, _, err := w.m.store.Transactions(ctx, coffer.TxFilter{Kind: coffer.KindTopUp, To: &wallet, Limit: 500})
	if err != nil {
		return nil, err
	}
	out := &topUps{day: new(big.Int)}
	since := time.Now().Add(-24 * time.Hour)
	for _, t := range txs { // newest first
		if t.ChainID != w.id {
			continue
		}
		if out.newest == "" {
			out.newest = t.ID
		}
		switch t.Status {
		case coffer.TxFailed, coffer.TxCancelled:
			if out.failed == nil {
				out.failed = t
			}
			continue
		case coffer.TxQueued, coffer.TxPending, coffer.TxMined:
			if out.inflight == nil {
				out.inflight = t
			}
		}
		if t.CreatedAt.After(since) {
			out.day.Add(out.day, valueOf(t))
		}
	}
	return out, nil
}

// tank decides whether tx, from a gas-tank wallet with avail wei to spend,
// goes now (true), or waits or failed (false; tx is then failed, or marked
// waiting here for the top-up returned).
func (w *worker) tank(ctx context.Context, tx *coffer.Transaction, gas uint64, fees chain.Fees, avail *big.Int) (bool, *coffer.Transaction, error) {
	g := w.cfg.GasTank
	need := maxCost(tx, gas, fees)
	enough := avail.Cmp(need) >= 0
	if enough {
		left := new(big.Int).Sub(avail, need)
		if g.MinBalance == nil || left.Cmp(g.MinBalance) >= 0 {
			return true, nil, nil
		}
	}
	tu, err := w.topUps(ctx, tx.From)
	if err != nil {
		return false, nil, err
	}
	if enough {
		// Sends now; tops up the tank behind it unless one is under way.
		if tu.inflight == nil {
			if _, _, err := w.queueTopUp(ctx, tx, tu, g.TopUp, nil); err != nil {
				return false, nil, err
			}
		}
		return true, nil, nil
	}
	if valueOf(tx).Cmp(avail) > 0 {
		w.fail(ctx, tx, fmt.Sprintf("insufficient funds: %s has %s wei available; this transaction sends %s wei (the gas tank pays gas, not value); fund the wallet and send it again",
			tx.From.Hex(), avail, valueOf(tx)))
		return false, nil, nil
	}
	if tu.inflight != nil {
		w.wait(ctx, tx, tu.inflight)
		return false, tu.inflight, nil
	}
	if f := tu.failed; f != nil && !f.CreatedAt.Before(tx.CreatedAt) {
		w.fail(ctx, tx, fmt.Sprintf("gas tank: top-up %s of %s from the platform wallet %s: %s", f.ID, tx.From.Hex(), f.Status, f.Error))
		return false, nil, nil
	}
	short := new(big.Int).Sub(need, avail)
	topUp, reason, err := w.queueTopUp(ctx, tx, tu, bigMax(g.TopUp, short), short)
	if err != nil {
		return false, nil, err
	}
	if topUp == nil {
		w.fail(ctx, tx, fmt.Sprintf("gas tank: %s cannot pay for this transaction (it needs up to %s wei: gas %d × fee %s + value %s; %s wei available) and %s; fund the wallet and send it again",
			tx.From.Hex(), need, gas, feeOf(fees), valueOf(tx), avail, reason))
		return false, nil, nil
	}
	w.wait(ctx, tx, topUp)
	return false, topUp, nil
}

// queueTopUp queues a top-up of amount to tx.From, trimmed to the daily limit
// but not below atLeast (nil: any amount). It returns nil and the reason when
// the limit leaves too little. A top-up queued meanwhile by another process
// is returned instead.
func (w *worker) queueTopUp(ctx context.Context, tx *coffer.Transaction, tu *topUps, amount, atLeast *big.Int) (*coffer.Transaction, string, error) {
	g := w.cfg.GasTank
	amount = new(big.Int).Set(amount)
	if g.MaxPerWalletPerDay != nil {
		room := new(big.Int).Sub(g.MaxPerWalletPerDay, tu.day)
		if room.Sign() < 0 {
			room.SetInt64(0)
		}
		if amount.Cmp(room) > 0 {
			amount = room
		}
		if amount.Sign() == 0 || atLeast != nil && amount.Cmp(atLeast) < 0 {
			reason := fmt.Sprintf("the daily gas-tank limit is reached: %s wei topped up in the last 24h, the limit is %s wei (gas_tank.max_per_wallet_per_day_wei)",
				tu.day, g.MaxPerWalletPerDay)
			if atLeast == nil {
				w.m.log.Debug("txm: gas tank: wallet below min_balance_wei but at its daily limit", "chain_id", w.id, "wallet", tx.From, "topped_up_24h", tu.day)
			}
			return nil, reason, nil
		}
	}
	p, ok := w.m.platform(ctx)
	if !ok {
		return nil, "the platform wallet is unknown", nil
	}
	to := tx.From
	now := time.Now().UTC()
	prev := tu.newest
	if prev == "" {
		prev = "first"
	}
	t := &coffer.Transaction{
		ID: coffer.NewID("tx"), Kind: coffer.KindTopUp, ChainID: w.id, From: p, To: &to, Value: amount,
		Status: coffer.TxQueued, CreatedAt: now, UpdatedAt: now,
		// One top-up after each previous one: two processes racing queue one.
		IdempotencyKey: fmt.Sprintf("gastank:%d:%s:%s", w.id, strings.ToLower(to.Hex()), prev),
	}
	if err := w.m.store.CreateTransaction(ctx, t); err != nil {
		if coffer.ErrorCode(err) == coffer.ECONFLICT {
			other, oerr := w.m.store.TransactionByIdempotencyKey(ctx, t.IdempotencyKey)
			return other, "", oerr
		}
		return nil, "", err
	}
	w.m.log.Info("txm: gas tank: topping up a user wallet", "chain_id", w.id, "wallet", to, "topup_tx", t.ID, "value_wei", amount,
		"for_tx", tx.ID, "topped_up_24h", tu.day)
	w.wakeUp()
	return t, "", nil
}

// wait leaves tx queued behind top-up, saying so in its error field once.
func (w *worker) wait(ctx context.Context, tx *coffer.Transaction, topUp *coffer.Transaction) {
	msg := fmt.Sprintf("%s%s (%s wei from the platform wallet); sent once it is confirmed", Waiting, topUp.ID, valueOf(topUp))
	if tx.Error == msg {
		return
	}
	if err := w.m.store.UpdateTransaction(ctx, tx.ID, coffer.TxUpdate{Error: &msg}); err != nil {
		w.m.log.Warn("txm: record gas-tank wait", "tx", tx.ID, "err", err)
		return
	}
	tx.Error = msg
	w.m.log.Info("txm: gas tank: transaction waits for a top-up", "tx", tx.ID, "from", tx.From, "topup_tx", topUp.ID)
}

func bigMax(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}
