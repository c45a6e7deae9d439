// Package txm is coffer's transaction manager: it takes queued transactions
// from the store, assigns nonces, prices and signs them, persists the signed
// bytes before broadcasting, and follows receipts to confirmation. Everything
// it knows lives in the store, so a restart picks up where it stopped.
//
// # States
//
//	queued ──AssignNonce──▶ pending ──receipt──▶ mined ──depth──▶ confirmed
//	  │  (nonce + signed      │  ▲                 │
//	  │   bytes stored in     │  └──block left ────┘   (reorg: pending again,
//	  │   one store tx,       │     the chain          re-broadcast at once)
//	  │   then broadcast)     │
//	  ├─ estimate reverts ─▶ failed (reason decoded; no nonce taken)
//	  ├─ cancel ───────────▶ cancelled (no nonce taken)
//	  ├─ sender cannot pay ▶ failed (no nonce taken) — or, a user's wallet on a
//	  │                      chain with a gas tank: stays queued behind a top-up
//	  │                      from the platform wallet, sent once it is confirmed;
//	  │                      failed at the daily top-up limit (gastank.go)
//	  └─ fees above max_fee_per_gas: stays queued, logged
//
//	pending ─┬─ a 0-value self-transfer attempt (kind "cancel") mined ─▶ cancelled
//	         ├─ a no-op attempt (kind "noop") mined ─────────────────▶ failed
//	         ├─ receipt with status 0 ──────────────────────────────▶ failed (revert reason replayed)
//	         └─ "nonce too low" twice, no attempt mined, node past ─▶ failed (nonce used outside coffer;
//	                                                                   sender re-synced from the node)
//
// A pending transaction owns its nonce until one of its attempts is mined.
// Every signed version is an attempt (Store.AddAttempt, persisted before it
// is broadcast) and all are followed: exactly one can be mined, and the
// record's hash, fees and raw bytes become that attempt's. The tracker
// finds them in the receipts of each new block (eth_getBlockReceipts), and
// asks for every attempt's receipt by hash when the blocks cannot be
// trusted to continue what it saw (see track).
//
// # Rounds
//
// Each chain has one worker of two goroutines. The sender's round (on a
// wake-up from Notify, or every PollInterval) prices the queue once (eth_feeHistory, FeeSpeed; see
// chain.SuggestFeesFor), estimates gas concurrently (GasBuffer), and takes
// each sender's run of queued transactions, in queue order, through
// Store.AssignNonces: consecutive nonces, signed concurrently (custody's
// audit records group-commit) and stored in one store transaction per run
// of up to 32 (maxAssign) — a signer's refusal fails that transaction and the rest of
// the run is assigned again, so nonces stay contiguous. Only then is
// everything signed broadcast, in nonce order, as JSON-RPC batches of
// eth_sendRawTransaction (chain.Client.SendRawBatch), each answer
// classified as for a single send; the node receives the run together and
// packs it into few blocks. Meanwhile the tracker, the worker's other
// goroutine, follows pending and mined transactions (replacements and
// cancels are signed and sent one by one):
//   - first sight in this process (a restart): re-broadcast the same bytes;
//   - every Rebroadcast: the same bytes again;
//   - newest attempt older than ResubmitAfter, or the node said
//     "replacement transaction underpriced"/"underpriced": re-sign at the
//     same nonce with both fee fields raised by BumpPercent (≥ 10%, the nodes'
//     minimum) or to the market, whichever is higher, never above
//     MaxFeePerGas (at the cap it waits and logs);
//   - "already known": fine; transport errors and rate limits: retried by
//     chain.Client with backoff and failover, then next round;
//   - rejected for good three times (insufficient funds, gas limit…): the
//     nonce is filled with a no-op, since a nonce is never skipped.
//
// Cancel replaces a pending transaction with a 0-value self-transfer at its
// nonce (bumped fees) under the worker's lock, so a round and a cancel never
// both decide the next attempt. SubmitRaw takes self-custody transactions:
// stored pending with their own nonce and hash, broadcast, followed; never
// re-signed (coffer has no key for them), only re-sent.
//
// Within one process the worker serialises replacements; two processes
// driving the same chain on one database would both bump a stuck
// transaction (harmless — the node keeps the higher — but noisy).
package txm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/chain"
	"github.com/cofferhq/coffer/internal/cache"
)

// TxSigner signs a transaction with the custodial key of from.
type TxSigner interface {
	SignTx(ctx context.Context, from common.Address, tx *types.Transaction, chainID *big.Int) (*types.Transaction, error)
}

// Change is a transaction's new state, with its receipt once mined. Tx is
// read back from the store after the change, without its attempts.
type Change struct {
	Tx      *coffer.Transaction
	Receipt *types.Receipt
}

// Hook is told about status changes in order, a batch at a time (a round's
// broadcasts, a round's receipts), so that a hook can record a batch in one
// store transaction.
type Hook func(ctx context.Context, changes []Change)

// ChainConfig tunes the manager for one chain.
type ChainConfig struct {
	Client        *chain.Client
	Confirmations uint64        // depth at which mined becomes confirmed (≥1)
	PollInterval  time.Duration // how often receipts are checked without a wake-up
	Rebroadcast   time.Duration // how long a pending transaction waits before the same bytes are sent again
	GasBuffer     float64       // multiplier on estimated gas, e.g. 1.2
	BatchSize     int           // queued transactions taken per round

	FeeSpeed     string   // chain.SpeedSlow, SpeedNormal (default) or SpeedFast
	FeeBlocks    int      // blocks of eth_feeHistory, default 20
	MaxFeePerGas *big.Int // per-chain cap on the fee cap (or gas price); nil: none
	// ResubmitAfter is how long the newest attempt may stay unmined before
	// the transaction is re-signed at its nonce with higher fees (default 60s).
	ResubmitAfter time.Duration
	// BumpPercent raises both fee fields of a replacement by at least this
	// much over the previous attempt (default 12.5; at least 10, geth's
	// replacement minimum).
	BumpPercent float64
	// GasTank, when set with a TopUp, funds the gas of users' custodial
	// wallets from the platform wallet (see GasTank and SetPlatform).
	GasTank *GasTank
}

// Defaults of ChainConfig.
const (
	DefaultResubmitAfter = time.Minute
	DefaultBumpPercent   = 12.5
	MinBumpPercent       = 10 // geth's txpool.PriceBump
	DefaultGasBuffer     = 1.2
	DefaultFeeBlocks     = 20
)

// Manager runs one worker per chain.
type Manager struct {
	store  coffer.Store
	signer TxSigner
	log    *slog.Logger
	chains map[uint64]*worker

	mu         sync.Mutex
	hooks      []Hook
	annotators []Annotator

	pmu          sync.Mutex // guards the platform wallet lookup (gastank.go)
	platformFn   func(ctx context.Context) (common.Address, error)
	platformAddr *common.Address
	lowHooks     []func(ctx context.Context, b PlatformBalance) // OnPlatformLow; guarded by mu
}

// New returns a manager; call Run to start it.
func New(store coffer.Store, signer TxSigner, chains map[uint64]ChainConfig, log *slog.Logger) *Manager {
	m := &Manager{store: store, signer: signer, log: log, chains: map[uint64]*worker{}}
	for id, cc := range chains {
		if cc.Confirmations == 0 {
			cc.Confirmations = 1
		}
		if cc.PollInterval <= 0 {
			cc.PollInterval = time.Second
		}
		if cc.Rebroadcast <= 0 {
			cc.Rebroadcast = 30 * time.Second
		}
		if cc.GasBuffer < 1 {
			cc.GasBuffer = DefaultGasBuffer
		}
		if cc.BatchSize <= 0 {
			cc.BatchSize = 256
		}
		if cc.FeeBlocks <= 0 {
			cc.FeeBlocks = DefaultFeeBlocks
		}
		if cc.ResubmitAfter <= 0 {
			cc.ResubmitAfter = DefaultResubmitAfter
		}
		if cc.BumpPercent == 0 {
			cc.BumpPercent = DefaultBumpPercent
		}
		cc.BumpPercent = max(cc.BumpPercent, MinBumpPercent)
		if cc.MaxFeePerGas != nil && cc.MaxFeePerGas.Sign() <= 0 {
			cc.MaxFeePerGas = nil
		}
		m.chains[id] = &worker{m: m, id: id, cfg: cc, wake: make(chan struct{}, 1), trackWake: make(chan struct{}, 1), synced: map[common.Address]bool{},
			lastSent: map[string]time.Time{}, nonceLow: map[string]int{}, rejects: map[string]int{}, bumpNow: map[string]bool{},
			users: map[common.Address]bool{}}
		m.chains[id].hints.Max = maxHints
	}
	return m
}

// OnChange registers a hook.
func (m *Manager) OnChange(h Hook) {
	m.mu.Lock()
	m.hooks = append(m.hooks, h)
	m.mu.Unlock()
}

// Annotator adds to u what receipt r means beyond the transaction itself
// (the token a mint minted): the store records it with the transaction's
// change, in the same store transaction.
type Annotator func(tx *coffer.Transaction, r *types.Receipt, u *coffer.TxUpdate)

// Annotate registers an annotator for receipts.
func (m *Manager) Annotate(a Annotator) {
	m.mu.Lock()
	m.annotators = append(m.annotators, a)
	m.mu.Unlock()
}

func (m *Manager) annotate(tx *coffer.Transaction, r *types.Receipt, u *coffer.TxUpdate) {
	m.mu.Lock()
	as := m.annotators
	m.mu.Unlock()
	for _, a := range as {
		a(tx, r, u)
	}
}

// Client returns the client of chainID, or nil.
func (m *Manager) Client(chainID uint64) *chain.Client {
	if w := m.chains[chainID]; w != nil {
		return w.cfg.Client
	}
	return nil
}

// Notify wakes the sender of chainID: new work is queued.
func (m *Manager) Notify(chainID uint64) {
	if w := m.chains[chainID]; w != nil {
		w.wakeUp()
	}
}

// Run drives every chain until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, w := range m.chains {
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
}

func (m *Manager) emit(ctx context.Context, changes []Change) {
	if len(changes) == 0 {
		return
	}
	m.mu.Lock()
	hooks := m.hooks
	m.mu.Unlock()
	for _, h := range hooks {
		h(ctx, changes)
	}
}

type worker struct {
	m     *Manager
	id    uint64
	cfg   ChainConfig
	wake  chan struct{}
	hints cache.Map[hintKey, uint64] // the last estimate per call shape (estimate, gashint.go)

	// The worker is two goroutines: the sender signs and broadcasts what is
	// queued (sendLoop), the tracker follows what is pending to its receipt
	// and confirmation (trackLoop), so receipts are recorded while the next
	// queued run is signed instead of after the queue is empty.
	//
	// sendMu is held by the sender from reading a queued batch to the end
	// of its first broadcast, and by Cancel: a transaction is not replaced
	// between getting its nonce and going out. mu guards the bookkeeping
	// below (the sender holds it briefly, the tracker while it decides what
	// each open transaction needs) and serialises everything that re-signs
	// at a nonce already taken (replacements, Cancel, a raw transaction's
	// broadcast): only one of them decides what the next attempt is. Lock
	// order: sendMu, then mu.
	sendMu    sync.Mutex
	mu        sync.Mutex
	trackWake chan struct{}           // a broadcast happened: receipts may follow
	synced    map[common.Address]bool // senders whose nonce was checked against the node
	// lastSent remembers when each pending transaction was last broadcast by
	// this process, so a restart re-broadcasts everything once.
	lastSent map[string]time.Time
	nonceLow map[string]int  // consecutive "nonce too low" answers without a receipt
	rejects  map[string]int  // consecutive permanent rejections of the current attempt
	bumpNow  map[string]bool // the node wants more than the current attempt pays
	heldLog  time.Time       // last warning that fees are above the cap

	// The last complete receipts pass (track, tracker only): the head it
	// saw (number and hash) and when; whether the next pass may read only
	// the blocks after that head (chained: that pass saw every open
	// transaction), and from a few before it (overlap: it asked by hash);
	// when the last hash pass was, and whether the node lacks
	// eth_getBlockReceipts. And whether something since needs the next
	// pass to look again anyway (trackAgain), or to ask by hash (trackFull).
	trackedHead     uint64
	trackedHash     common.Hash
	trackedAt       time.Time
	tracked         bool
	chained         bool
	overlap         bool
	fullAt          time.Time
	noBlockReceipts bool
	blockLog        time.Time // last warning that reading by block failed
	trackAgain      atomic.Bool
	trackFull       atomic.Bool
	trackCalls      atomic.Int64 // tests: calls of track, passes or not
	// The open transactions as the last pass read them (tracker only): the
	// next reads again only those whose UpdatedAt moved, and all of them
	// once knownAt is fullEvery old.
	known   map[string]*coffer.Transaction
	knownAt time.Time

	users map[common.Address]bool // gas tank: senders that are users' custodial wallets
	// The platform wallet's last balance (gas tank), read by PlatformBalances.
	gmu   sync.Mutex
	pAddr common.Address
	pBal  *big.Int
	pLow  bool
	pSeen time.Time
}

func (w *worker) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { w.sendLoop(ctx) })
	wg.Go(func() { w.trackLoop(ctx) })
	wg.Wait()
}

// sendLoop sends what is queued whenever new work is announced, and every
// PollInterval (transactions held back by fees or waiting for a top-up).
func (w *worker) sendLoop(ctx context.Context) {
	t := time.NewTicker(w.cfg.PollInterval)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			n, err := w.sendBatch(ctx)
			if err != nil {
				w.m.log.Warn("txm: sending queued transactions", "chain_id", w.id, "err", err)
				break
			}
			if n < w.cfg.BatchSize {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-t.C:
		}
	}
}

// trackLoop follows pending transactions every PollInterval, after each
// broadcast and, where the node announces them, at each new head (track
// itself skips a pass when nothing can have changed).
func (w *worker) trackLoop(ctx context.Context) {
	w.cfg.Client.WatchHeads(ctx, w.trackWake)
	t := time.NewTicker(w.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := w.track(ctx); err != nil && ctx.Err() == nil {
			w.m.log.Warn("txm: following pending transactions", "chain_id", w.id, "err", err)
		}
		w.checkPlatform(ctx)
		select {
		case <-ctx.Done():
			return
		case <-w.trackWake:
		case <-t.C:
		}
	}
}

// sendBatch is sendQueued under sendMu, and wakes the tracker when
// something went out.
func (w *worker) sendBatch(ctx context.Context) (int, error) {
	w.sendMu.Lock()
	defer w.sendMu.Unlock()
	n, err := w.sendQueued(ctx)
	if n > 0 {
		w.wakeTracker()
	}
	return n, err
}

func (w *worker) wakeTracker() {
	select {
	case w.trackWake <- struct{}{}:
	default:
	}
}

func (w *worker) sendQueued(ctx context.Context) (int, error) {
	queued, err := w.m.store.TransactionsByStatus(ctx, w.id, []string{coffer.TxQueued}, w.cfg.BatchSize)
	if err != nil || len(queued) == 0 {
		return 0, err
	}
	fees, err := w.suggest(ctx)
	if err != nil {
		return 0, fmt.Errorf("fees: %w", err)
	}
	fees, ok := capFees(fees, w.cfg.MaxFeePerGas)
	if !ok {
		// Refuse to overpay: nothing gets a nonce, so nothing waits at one.
		w.mu.Lock()
		warn := time.Since(w.heldLog) >= time.Minute
		if warn {
			w.heldLog = time.Now()
		}
		w.mu.Unlock()
		if warn {
			w.m.log.Warn("txm: fees above the chain's max_fee_per_gas; queued transactions wait", "chain_id", w.id,
				"queued", len(queued), "base_fee", fees.BaseFee, "tip", fees.TipCap, "gas_price", fees.GasPrice, "max_fee_per_gas", w.cfg.MaxFeePerGas)
		}
		return 0, nil
	}
	// Estimate gas concurrently (it is a node round trip each); sign and send in queue order.
	gas := make([]uint64, len(queued))
	errs := make([]error, len(queued))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, tx := range queued {
		if tx.Gas != 0 {
			gas[i] = tx.Gas
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			gas[i], errs[i] = w.estimate(ctx, tx)
		})
	}
	wg.Wait()
	balances := map[common.Address]*big.Int{} // fetched once per sender and round
	// Gas tank: what each user wallet can still spend this round (balance
	// less its pending and just-sent transactions), and the wallets whose
	// earlier transaction waits for a top-up (later ones wait behind it).
	avail := map[common.Address]*big.Int{}
	waiting := map[common.Address]*coffer.Transaction{} // the top-up they wait for (nil: none, retried next round)
	// What may take a nonce, per sender in queue order: each sender's run
	// is signed and stored in one store transaction, then broadcast.
	runs := map[common.Address][]*coffer.Transaction{}
	var senders []common.Address
	gasOf := map[string]uint64{}
	tanked := map[string]bool{}
	var perr error // stops the selection; what was selected still goes out
	n := len(queued)
	for i, tx := range queued {
		if errs[i] != nil {
			if rev := chain.AsRevert(errs[i]); rev != nil {
				w.fail(ctx, tx, "gas estimation reverted: "+reasonOf(rev))
				continue
			}
			if chain.Classify(errs[i]) == chain.ErrInsufficientFunds {
				// geth's estimate refuses a value the sender lacks; left
				// queued, it would stop every round here.
				w.fail(ctx, tx, fmt.Sprintf("insufficient funds: %s cannot pay this transaction's value (%s wei): %v", tx.From.Hex(), valueOf(tx), errs[i]))
				continue
			}
			n, perr = i, fmt.Errorf("estimate gas for %s: %w", tx.ID, errs[i])
			break
		}
		// A sender that cannot pay for the transaction fails it here, before
		// it takes a nonce: the node would refuse it, and a nonce that is
		// never mined would hold up every later transaction of the sender.
		// (Nodes differ in when they check: geth's eth_estimateGas already
		// refuses a value the sender lacks, anvil's does not; both refuse
		// at eth_sendRawTransaction.)
		if topUp, ok := waiting[tx.From]; ok {
			if topUp != nil {
				w.wait(ctx, tx, topUp)
			}
			continue
		}
		bal, ok := balances[tx.From]
		if !ok {
			if bal, err = w.cfg.Client.Balance(ctx, tx.From); err != nil {
				n, perr = i, fmt.Errorf("balance of %s: %w", tx.From, err)
				break
			}
			balances[tx.From] = bal
			if p, ok := w.m.platform(ctx); ok && p == tx.From && w.cfg.GasTank.enabled() {
				w.observePlatform(ctx, p, bal)
			}
		}
		tank := w.tankWallet(ctx, tx.From)
		if tank {
			if avail[tx.From] == nil {
				c, err := w.committed(ctx, tx.From)
				if err != nil {
					n, perr = i, err
					break
				}
				avail[tx.From] = new(big.Int).Sub(bal, c)
			}
			send, topUp, err := w.tank(ctx, tx, gas[i], fees, avail[tx.From])
			if err != nil {
				n, perr = i, fmt.Errorf("gas tank for %s: %w", tx.ID, err)
				break
			}
			if !send {
				waiting[tx.From] = topUp
				continue
			}
			// Counted as spent now: the transactions after it in this
			// round see what is left.
			avail[tx.From].Sub(avail[tx.From], maxCost(tx, gas[i], fees))
		} else if need := maxCost(tx, gas[i], fees); need.Cmp(bal) > 0 {
			w.fail(ctx, tx, fmt.Sprintf("insufficient funds: %s holds %s wei; this transaction needs up to %s wei (gas %d × fee %s + value %s); fund the wallet and send it again",
				tx.From.Hex(), bal, need, gas[i], feeOf(fees), valueOf(tx)))
			continue
		}
		if err := w.syncNonce(ctx, tx.From); err != nil {
			n, perr = i, err
			break
		}
		if _, ok := runs[tx.From]; !ok {
			senders = append(senders, tx.From)
		}
		runs[tx.From] = append(runs[tx.From], tx)
		gasOf[tx.ID] = gas[i]
		tanked[tx.ID] = tank
	}
	sign := func(t *coffer.Transaction, nonce uint64) (*coffer.TxAttempt, error) {
		return w.sign(ctx, t, nonce, gasOf[t.ID], fees)
	}
	// Counted as sent from now: the tracker, which may see them pending
	// before broadcastAll below, leaves their first broadcast to it.
	w.mu.Lock()
	now := time.Now()
	for _, t := range runs {
		for _, tx := range t {
			w.lastSent[tx.ID] = now
		}
	}
	w.mu.Unlock()
	var sent []*coffer.Transaction
	for _, from := range senders {
		signed, err := w.assignRun(ctx, runs[from], sign)
		for _, t := range signed {
			if tanked[t.ID] && strings.HasPrefix(t.Error, Waiting) {
				clear := ""
				if err := w.m.store.UpdateTransaction(ctx, t.ID, coffer.TxUpdate{Error: &clear}); err == nil {
					t.Error = ""
				}
			}
		}
		sent = append(sent, signed...)
		if err != nil {
			perr = err
			break
		}
	}
	// Those that took no nonce: the tracker broadcasts what another
	// process stored of them on first sight.
	w.mu.Lock()
	for _, t := range runs {
		for _, tx := range t {
			delete(w.lastSent, tx.ID)
		}
	}
	for _, tx := range sent {
		w.lastSent[tx.ID] = now
	}
	w.mu.Unlock()
	// One JSON-RPC batch, each sender's transactions in nonce order: the
	// node receives them together and can pack them into few blocks.
	w.broadcastAll(ctx, sent)
	// Hooks hear "pending" only while it is still so: another process
	// following the same chain sees a transaction as soon as it is stored,
	// broadcasts it (first sight) and may record its receipt while this one
	// is still telling the hooks about the run; a late "pending" would undo
	// that (a confirmed mint back to pending).
	if len(sent) > 0 {
		ids := make([]string, len(sent))
		for i, t := range sent {
			ids[i] = t.ID
		}
		fresh, err := w.m.store.TransactionsByID(ctx, ids)
		if err != nil {
			w.m.log.Error("txm: reload sent transactions", "count", len(ids), "err", err)
		}
		var changes []Change
		for _, t := range fresh {
			if t.Status == coffer.TxPending {
				changes = append(changes, Change{Tx: t})
			}
		}
		w.m.emit(ctx, changes)
	}
	return n, perr
}

// assignRun gives nonces to run (one sender, queue order) and stores their
// signed bytes, maxAssign at a time, each in one store transaction. A
// transaction the signer refuses fails (it took no nonce) and the rest of
// the run goes on; one no longer queued is skipped. It returns what was
// signed and stored, in nonce order, and an error that stopped it (the
// rest stays queued).
func (w *worker) assignRun(ctx context.Context, run []*coffer.Transaction, sign func(*coffer.Transaction, uint64) (*coffer.TxAttempt, error)) ([]*coffer.Transaction, error) {
	var out []*coffer.Transaction
	for len(run) > 0 {
		part := run[:min(len(run), maxAssign)]
		ids := make([]string, len(part))
		for i, t := range part {
			ids[i] = t.ID
		}
		got, err := w.m.store.AssignNonces(ctx, ids, sign)
		for _, t := range got {
			if t != nil {
				out = append(out, t)
			}
		}
		var ae *coffer.AssignError
		if err != nil && !errors.As(err, &ae) {
			return out, fmt.Errorf("assign nonces to %d transactions of %s: %w", len(ids), part[0].From, err)
		}
		if ae == nil {
			run = run[len(part):]
			continue
		}
		at := slices.Index(ids, ae.ID)
		switch code := coffer.ErrorCode(ae.Err); {
		case at < 0:
			return out, fmt.Errorf("assign nonces: %w", err)
		case code == coffer.ECONFLICT:
			// taken by another process
		case code == coffer.EINTERNAL:
			return out, fmt.Errorf("assign nonce to %s: %w", ae.ID, ae.Err)
		default:
			w.fail(ctx, part[at], "signing refused: "+coffer.ErrorMessage(ae.Err))
		}
		run = run[at+1:] // the ones after it took no nonce: again
	}
	return out, nil
}

// maxAssign is the most transactions of one sender signed and stored in one
// store transaction.
const maxAssign = 32

// maxCost is the most tx can cost its sender: gas × max fee + value.
func maxCost(tx *coffer.Transaction, gas uint64, fees chain.Fees) *big.Int {
	c := new(big.Int).Mul(new(big.Int).SetUint64(gas), feeOf(fees))
	return c.Add(c, valueOf(tx))
}

func feeOf(f chain.Fees) *big.Int {
	switch {
	case f.GasPrice != nil:
		return f.GasPrice
	case f.FeeCap != nil:
		return f.FeeCap
	}
	return new(big.Int)
}

func valueOf(tx *coffer.Transaction) *big.Int {
	if tx.Value == nil {
		return new(big.Int)
	}
	return tx.Value
}

// estimate asks the node for tx's gas plus GasBuffer.
func (w *worker) estimate(ctx context.Context, tx *coffer.Transaction) (uint64, error) {
	g, err := w.estimateGas(ctx, tx)
	if err != nil {
		return 0, err
	}
	return uint64(float64(g) * w.cfg.GasBuffer), nil
}

// estimateGas asks the node for tx's gas, offering the last estimate of a
// call of the same shape as the limit to start from (gashint.go).
func (w *worker) estimateGas(ctx context.Context, tx *coffer.Transaction) (uint64, error) {
	msg := ethereum.CallMsg{From: tx.From, To: tx.To, Value: tx.Value, Data: tx.Data}
	key, hinted := hintOf(tx)
	if hinted {
		msg.Gas, _ = w.hints.Get(key) // 0: none yet
	}
	g, err := w.cfg.Client.EstimateGas(ctx, msg)
	if err != nil && msg.Gas != 0 {
		if k := chain.Classify(err); k == chain.ErrTransport || k == chain.ErrRateLimited {
			return 0, err // no answer: asking again without the hint would wait as long again
		}
		msg.Gas = 0
		g, err = w.cfg.Client.EstimateGas(ctx, msg)
	}
	if err != nil {
		return 0, err
	}
	if hinted {
		w.hints.Put(key, g)
	}
	return g, nil
}

func (w *worker) sign(ctx context.Context, t *coffer.Transaction, nonce, gas uint64, fees chain.Fees) (*coffer.TxAttempt, error) {
	value := t.Value
	if value == nil {
		value = new(big.Int)
	}
	chainID := new(big.Int).SetUint64(t.ChainID)
	var inner types.TxData
	if fees.GasPrice != nil {
		inner = &types.LegacyTx{Nonce: nonce, GasPrice: fees.GasPrice, Gas: gas, To: t.To, Value: value, Data: t.Data}
	} else {
		inner = &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce, GasTipCap: fees.TipCap, GasFeeCap: fees.FeeCap, Gas: gas, To: t.To, Value: value, Data: t.Data}
	}
	signed, err := w.m.signer.SignTx(ctx, t.From, types.NewTx(inner), chainID)
	if err != nil {
		return nil, err
	}
	raw, err := signed.MarshalBinary()
	if err != nil {
		return nil, err
	}
	t.Gas = gas
	return &coffer.TxAttempt{Kind: coffer.AttemptSend, Hash: signed.Hash(), Raw: raw, GasPrice: fees.GasPrice, FeeCap: fees.FeeCap, TipCap: fees.TipCap, CreatedAt: time.Now()}, nil
}

// syncNonce checks once per sender and process that the node has not seen
// nonces coffer never assigned (the key used elsewhere); if it has, coffer
// continues after them.
func (w *worker) syncNonce(ctx context.Context, from common.Address) error {
	w.mu.Lock()
	done := w.synced[from]
	w.mu.Unlock()
	if done {
		return nil
	}
	node, err := w.cfg.Client.PendingNonce(ctx, from)
	if err != nil {
		return fmt.Errorf("pending nonce of %s: %w", from, err)
	}
	ours, err := w.m.store.NextNonce(ctx, w.id, from)
	if err != nil {
		return err
	}
	if node > ours {
		w.m.log.Warn("txm: sender used outside coffer; continuing after the node's nonce", "chain_id", w.id, "from", from, "coffer_next", ours, "node_next", node)
		if err := w.m.store.SetNextNonce(ctx, w.id, from, node); err != nil {
			return err
		}
	}
	w.mu.Lock()
	w.synced[from] = true
	w.mu.Unlock()
	return nil
}

// broadcast sends the current attempt and acts on the node's answer.
// Failures leave the transaction pending: its nonce is taken, so it is
// re-sent until mined or replaced. The caller holds mu.
func (w *worker) broadcast(ctx context.Context, tx *coffer.Transaction) error {
	w.lastSent[tx.ID] = time.Now()
	return w.sent(ctx, tx, w.cfg.Client.SendRaw(ctx, tx.Raw))
}

// broadcastAll is the sender's first broadcast of txs (marked as sent by
// the caller), in the order given, with batched JSON-RPC requests; each
// answer is acted on as broadcast does.
func (w *worker) broadcastAll(ctx context.Context, txs []*coffer.Transaction) {
	if len(txs) == 0 {
		return
	}
	raws := make([][]byte, len(txs))
	for i, tx := range txs {
		raws[i] = tx.Raw
	}
	errs := w.cfg.Client.SendRawBatch(ctx, raws)
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, tx := range txs {
		w.sent(ctx, tx, errs[i])
	}
}

// sent acts on the node's answer err to the broadcast of tx. The caller
// holds mu.
func (w *worker) sent(ctx context.Context, tx *coffer.Transaction, err error) error {
	kind := chain.Classify(err)
	if kind != nil && kind != chain.ErrAlreadyKnown {
		w.trackAgain.Store(true) // the next pass must not wait for a block (track)
	}
	if kind == chain.ErrNonceTooLow {
		// Something is mined at this nonce, maybe this transaction in a
		// block a block pass has left behind: the next pass asks by hash.
		w.trackFull.Store(true)
	}
	if kind != chain.ErrNonceTooLow {
		delete(w.nonceLow, tx.ID)
	}
	switch kind {
	case nil, chain.ErrAlreadyKnown:
		delete(w.rejects, tx.ID)
	case chain.ErrNonceTooLow:
		w.nonceTooLow(ctx, tx)
	case chain.ErrReplacementUnderpriced, chain.ErrUnderpriced:
		// The node holds something at this nonce paying more, or wants a
		// higher tip or fee cap than this attempt has: outbid it next round.
		w.bumpNow[tx.ID] = true
		w.m.log.Info("txm: node wants higher fees; bumping", "tx", tx.ID, "hash", tx.Hash, "kind", kind)
	case chain.ErrTransport, chain.ErrRateLimited, chain.ErrNonceTooHigh:
		if kind != chain.ErrNonceTooHigh {
			// Not delivered: send it again next round, not after Rebroadcast
			// — every later nonce of the sender waits behind this one.
			delete(w.lastSent, tx.ID)
		}
		w.m.log.Warn("txm: broadcast failed; will retry", "tx", tx.ID, "hash", tx.Hash, "kind", kind, "err", err)
	default:
		// Insufficient funds, gas limit, anything else the node refuses.
		w.rejects[tx.ID]++
		w.m.log.Warn("txm: node rejects the transaction", "tx", tx.ID, "hash", tx.Hash, "kind", kind, "err", err, "times", w.rejects[tx.ID])
		if w.rejects[tx.ID] >= maxRejects {
			w.cannotSend(ctx, tx, err)
		}
	}
	return err
}

// maxRejects is how many permanent rejections in a row make a transaction
// one that cannot go out.
const maxRejects = 3

// cannotSend handles a transaction the node keeps refusing. A custodial one
// holds a nonce that must not stay empty, so it is replaced by a no-op
// (a 0-value self-transfer) and fails once that is mined; a self-custody one
// simply fails (its nonce is its signer's business).
func (w *worker) cannotSend(ctx context.Context, tx *coffer.Transaction, cause error) {
	reason := "rejected by the node: " + cause.Error()
	if tx.Kind == coffer.KindRaw {
		w.forget(tx.ID)
		w.update(ctx, tx, coffer.TxUpdate{Status: coffer.TxFailed, Error: &reason}, nil)
		return
	}
	if lastKind(tx) != coffer.AttemptSend {
		return // already a no-op or a cancel: keep trying it
	}
	msg := fmt.Sprintf("%s; nonce %d filled with a no-op", reason, deref(tx.Nonce))
	if err := w.m.store.UpdateTransaction(ctx, tx.ID, coffer.TxUpdate{Error: &msg}); err != nil {
		w.m.log.Error("txm: record error", "tx", tx.ID, "err", err)
		return
	}
	tx.Error = msg
	if err := w.replace(ctx, tx, coffer.AttemptNoop); err != nil {
		w.m.log.Warn("txm: no-op replacement failed; will retry", "tx", tx.ID, "err", err)
	}
}

// nonceTooLow: the node has a transaction at this nonce mined. Either it is
// one of our attempts (tracking sees its receipt) or the key was used
// outside coffer. After a second answer in a row with no receipt for any
// attempt, and the node's mined nonce past ours, it is the latter: the
// transaction fails as replaced, and the sender's nonce is re-synced from
// the node before the next assignment.
func (w *worker) nonceTooLow(ctx context.Context, tx *coffer.Transaction) {
	delete(w.synced, tx.From)
	w.nonceLow[tx.ID]++
	if w.nonceLow[tx.ID] < 2 || tx.Nonce == nil {
		w.m.log.Info("txm: node says nonce too low; waiting for the receipt", "tx", tx.ID, "nonce", deref(tx.Nonce))
		return
	}
	rcpts, err := w.cfg.Client.Receipts(ctx, attemptHashes(tx))
	if err != nil {
		return
	}
	for _, r := range rcpts {
		if r != nil {
			return // ours was mined; track records it
		}
	}
	mined, err := w.cfg.Client.Nonce(ctx, tx.From)
	if err != nil || mined <= *tx.Nonce {
		return
	}
	msg := fmt.Sprintf("replaced: nonce %d of %s was used by a transaction coffer did not send", *tx.Nonce, tx.From.Hex())
	w.m.log.Warn("txm: nonce used outside coffer; transaction replaced", "tx", tx.ID, "from", tx.From, "nonce", *tx.Nonce)
	w.forget(tx.ID)
	w.update(ctx, tx, coffer.TxUpdate{Status: coffer.TxFailed, Error: &msg}, nil)
}

func (w *worker) forget(id string) {
	delete(w.lastSent, id)
	delete(w.nonceLow, id)
	delete(w.rejects, id)
	delete(w.bumpNow, id)
}

func attemptHashes(tx *coffer.Transaction) []common.Hash {
	var hs []common.Hash
	for _, a := range tx.Attempts {
		hs = append(hs, a.Hash)
	}
	if len(hs) == 0 && tx.Hash != nil {
		hs = append(hs, *tx.Hash)
	}
	return hs
}

// lastKind is the kind of the newest attempt.
func lastKind(tx *coffer.Transaction) string {
	if n := len(tx.Attempts); n > 0 {
		return tx.Attempts[n-1].Kind
	}
	return coffer.AttemptSend
}

// attemptKind is the kind of the attempt with hash h.
func attemptKind(tx *coffer.Transaction, h common.Hash) string {
	for _, a := range tx.Attempts {
		if a.Hash == h {
			return a.Kind
		}
	}
	return coffer.AttemptSend
}

// track follows pending and mined transactions to confirmation.
//
// A pass reads every open transaction and learns which are mined from the
// blocks since the last complete pass (a block pass): their headers and
// receipts in one JSON-RPC batch (chain.Client.Blocks), matched against
// the attempts of the pending ones; mined ones, waiting for their depth,
// have their receipts asked for by hash. Under load that is one
// eth_getBlockReceipts per block instead of a receipt lookup per attempt
// and pass, most of them null. Blocks are trusted only as a continuation:
// they must chain onto the head the last complete pass saw and end at the
// head this pass began at, which is read before the open transactions — a
// transaction is stored before it is broadcast, so one stored after that
// read is mined after that head. Otherwise — the first pass, a
// reorganisation, a head more than maxTrackBlocks ahead, a node without
// eth_getBlockReceipts, more open transactions than one read takes, a
// failed recording, a "nonce too low" answer, or fullEvery since the last —
// the pass asks for every attempt's receipt by hash (a hash pass), which
// also sees a block that left the chain under a mined transaction.
//
// A pass is skipped while nothing can have changed: the head is the block
// the last complete pass saw (no block, so no receipt came or went), that
// pass is less than PollInterval old (the timers of pending — re-sends,
// replacements — and other processes' transactions are looked at at least
// that often) and no broadcast since asked for a follow-up. Rounds woken by
// every new request would otherwise cost a pass each. (A reorganisation
// that replaces the head with another block at the same height changes its
// hash: the next call passes.)
func (w *worker) track(ctx context.Context) error {
	w.trackCalls.Add(1)
	head, err := w.cfg.Client.Head(ctx)
	if err != nil {
		return err
	}
	if w.tracked && !w.trackAgain.Load() && head.Number == w.trackedHead && head.Hash == w.trackedHash && time.Since(w.trackedAt) < w.cfg.PollInterval {
		return nil
	}
	began := time.Now()
	w.trackAgain.Store(false)
	askedFull := w.trackFull.Swap(false)
	complete := false // every open transaction looked at
	byBlock, byHash := false, false
	var open []*coffer.Transaction
	defer func() {
		if !complete || ctx.Err() != nil {
			if askedFull {
				w.trackFull.Store(true) // still owed
			}
			return
		}
		w.tracked, w.trackedHead, w.trackedHash, w.trackedAt = true, head.Number, head.Hash, began
		// Beyond one read's limit, open transactions went unseen: their
		// receipts may be in the blocks just passed.
		w.chained = len(open) < maxOpen
		w.overlap = byHash
		if !byBlock {
			w.fullAt = began
		}
	}()
	if began.Sub(w.knownAt) >= fullEvery {
		// Now and then all in full: a change stamped the same microsecond
		// as the copy kept would not show.
		w.known, w.knownAt = nil, began
	}
	open, err = w.m.store.TransactionsByStatusKnown(ctx, w.id, []string{coffer.TxPending, coffer.TxMined}, maxOpen, w.known)
	if err != nil {
		return err
	}
	// The rows are kept as read; the pass works on copies, since it
	// changes some of them as it records its own writes.
	w.known = make(map[string]*coffer.Transaction, len(open))
	for i, tx := range open {
		w.known[tx.ID] = tx
		c := *tx
		c.Attempts = slices.Clip(c.Attempts) // an append copies
		open[i] = &c
	}
	if len(open) == 0 {
		complete = true
		return nil
	}
	var found []*types.Receipt
	if !askedFull && w.chained && !w.noBlockReceipts && time.Since(w.fullAt) < fullEvery &&
		head.Number >= w.trackedHead && head.Number-w.trackedHead <= maxTrackBlocks {
		found, err = w.blockReceipts(ctx, head, open)
		switch kind := chain.Classify(err); kind {
		case nil:
			byBlock = true
		case chain.ErrTransport, chain.ErrRateLimited:
			return err
		case chain.ErrUnsupported:
			w.noBlockReceipts = true
			w.m.log.Info("txm: node has no eth_getBlockReceipts; asking for receipts per transaction", "chain_id", w.id, "err", err)
		case chain.ErrInconsistent:
			// A reorganisation, or a node behind the one that gave the
			// head; the hash pass logs what it changes.
			w.m.log.Debug("txm: blocks do not continue the last pass's chain; asking for receipts per transaction", "chain_id", w.id, "err", err)
		default:
			if time.Since(w.blockLog) >= time.Minute { // e.g. a provider's limit on a batch's size, every pass
				w.blockLog = time.Now()
				w.m.log.Warn("txm: reading receipts by block failed; asking per transaction", "chain_id", w.id, "err", err)
			}
		}
	}
	if !byBlock {
		if found, err = w.hashReceipts(ctx, open); err != nil {
			return err
		}
		byHash = true
	}
	// The receipts' changes are recorded together, in one store
	// transaction, and the hooks hear them as one batch.
	var changes []coffer.TxChange
	var receipts []*types.Receipt
	defer func() { w.updateAll(ctx, changes, receipts) }()
	// The decisions (re-send, replace) hold mu; recording the receipts
	// (deferred above, so after the unlock) does not.
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, tx := range open {
		if ctx.Err() != nil {
			return nil
		}
		r := found[i]
		if r == nil {
			if tx.Status == coffer.TxMined {
				// Its block left the canonical chain: pending again, and sent
				// again now (the new chain may not carry it).
				w.m.log.Warn("txm: mined transaction left the canonical chain; pending again", "tx", tx.ID, "block", deref(tx.BlockNumber))
				w.update(ctx, tx, coffer.TxUpdate{Status: coffer.TxPending}, nil)
				tx.Status = coffer.TxPending
				w.broadcast(ctx, tx)
				continue
			}
			w.pending(ctx, tx)
			continue
		}
		w.forget(tx.ID)
		status := coffer.TxMined
		depth := uint64(0)
		if bn := r.BlockNumber.Uint64(); head.Number >= bn {
			depth = head.Number - bn + 1
		}
		if depth >= w.cfg.Confirmations {
			status = coffer.TxConfirmed
		}
		var errMsg *string
		switch attemptKind(tx, r.TxHash) {
		case coffer.AttemptCancel:
			status = coffer.TxCancelled
		case coffer.AttemptNoop:
			status = coffer.TxFailed
			msg := tx.Error
			if msg == "" {
				msg = fmt.Sprintf("could not be sent; nonce %d filled with a no-op", deref(tx.Nonce))
			}
			errMsg = &msg
		default:
			if r.Status != types.ReceiptStatusSuccessful {
				status = coffer.TxFailed
				msg := w.revertReason(ctx, tx, r)
				errMsg = &msg
			}
		}
		if status == tx.Status && tx.BlockHash != nil && *tx.BlockHash == r.BlockHash {
			continue
		}
		bn, used, hash, bh := r.BlockNumber.Uint64(), r.GasUsed, r.TxHash, r.BlockHash
		u := coffer.TxUpdate{Status: status, BlockNumber: &bn, BlockHash: &bh, Hash: &hash, GasUsed: &used, Error: errMsg}
		if r.ContractAddress != (common.Address{}) {
			ca := r.ContractAddress
			u.ContractAddress = &ca
		}
		w.m.annotate(tx, r, &u)
		changes, receipts = append(changes, coffer.TxChange{ID: tx.ID, Update: u}), append(receipts, r)
	}
	complete = true
	return nil
}

// Bounds of the tracker's passes (track).
const (
	// maxOpen is the most open transactions one pass reads.
	maxOpen = 2000
	// maxTrackBlocks is the most new blocks a block pass reads; further
	// behind (a stall, a long wait for the node), a hash pass costs less.
	maxTrackBlocks = 64
	// trackOverlap: a block pass after a hash pass reads this many blocks
	// up to that pass's head again. Behind a load balancer, the receipts a
	// hash pass was answered may come from a node a few blocks behind the
	// head another one reported.
	trackOverlap = 4
	// fullEvery: a hash pass at least this often. It finds what a block
	// pass cannot see: a transaction stored after its block was read (a
	// self-custody one mined elsewhere while it was submitted), a status
	// moved back to pending by another process after this one saw it mined.
	fullEvery = time.Minute
)

// hashReceipts asks for the receipt of every attempt of open, in batches;
// found is aligned with open (nil: no attempt mined).
func (w *worker) hashReceipts(ctx context.Context, open []*coffer.Transaction) ([]*types.Receipt, error) {
	// Any attempt may be the one mined.
	var hashes []common.Hash
	var owners []int
	for i, tx := range open {
		for _, h := range attemptHashes(tx) {
			hashes, owners = append(hashes, h), append(owners, i)
		}
	}
	found := make([]*types.Receipt, len(open))
	return found, w.receiptsOf(ctx, hashes, owners, found)
}

// receiptsOf asks for the receipts of hashes (batched) and sets
// found[owners[j]] to that of hashes[j] where there is one.
func (w *worker) receiptsOf(ctx context.Context, hashes []common.Hash, owners []int, found []*types.Receipt) error {
	if len(hashes) == 0 {
		return nil
	}
	rcpts, err := w.cfg.Client.Receipts(ctx, hashes)
	if err != nil {
		return err
	}
	for j, r := range rcpts {
		if r != nil {
			found[owners[j]] = r
		}
	}
	return nil
}

// blockReceipts finds the receipts of open's pending transactions in the
// blocks after the last complete pass's head up to head, and those of its
// mined ones by hash; found is aligned with open. The blocks must continue
// the chain that pass saw and end at head (chain.ErrInconsistent
// otherwise).
func (w *worker) blockReceipts(ctx context.Context, head chain.Block, open []*coffer.Transaction) ([]*types.Receipt, error) {
	found := make([]*types.Receipt, len(open))
	want := map[common.Hash]int{} // attempts of pending transactions: index in open
	var hashes []common.Hash      // attempts of mined ones
	var owners []int
	for i, tx := range open {
		for _, h := range attemptHashes(tx) {
			if tx.Status == coffer.TxMined {
				hashes, owners = append(hashes, h), append(owners, i)
			} else {
				want[h] = i
			}
		}
	}
	// With nothing pending, no block can hold a receipt to look for: one
	// stored from now on is mined after head.
	if len(want) > 0 {
		from := w.trackedHead + 1
		if w.overlap {
			from -= min(trackOverlap, w.trackedHead)
		}
		if from > head.Number {
			if head.Hash != w.trackedHash {
				return nil, fmt.Errorf("%w: block %d is %s, was %s", chain.ErrInconsistent, head.Number, head.Hash, w.trackedHash)
			}
		} else {
			blocks, err := w.cfg.Client.Blocks(ctx, from, head.Number, func(h common.Hash) bool { _, ok := want[h]; return ok })
			if err != nil {
				return nil, err
			}
			var last common.Hash // what the blocks say of the last pass's head
			if from > w.trackedHead {
				last = blocks[0].ParentHash
			} else {
				last = blocks[w.trackedHead-from].Hash
			}
			if last != w.trackedHash || blocks[len(blocks)-1].Hash != head.Hash {
				return nil, fmt.Errorf("%w: blocks %d to %d do not lead from %s (block %d) to %s", chain.ErrInconsistent,
					from, head.Number, w.trackedHash, w.trackedHead, head.Hash)
			}
			for _, b := range blocks {
				for j, r := range b.Receipts {
					if r != nil {
						found[want[b.TxHashes[j]]] = r
					}
				}
			}
		}
	}
	if err := w.receiptsOf(ctx, hashes, owners, found); err != nil {
		return nil, err
	}
	return found, nil
}

// pending handles a transaction none of whose attempts is mined: re-sent
// once per process start and every Rebroadcast; re-signed with higher fees
// when its newest attempt is older than ResubmitAfter or the node asked for
// more.
func (w *worker) pending(ctx context.Context, tx *coffer.Transaction) {
	last, seen := w.lastSent[tx.ID]
	if !seen {
		w.broadcast(ctx, tx) // first sight in this process: the same bytes again
		return
	}
	if tx.Kind != coffer.KindRaw && len(tx.Attempts) > 0 {
		newest := tx.Attempts[len(tx.Attempts)-1]
		if w.bumpNow[tx.ID] || time.Since(newest.CreatedAt) >= w.cfg.ResubmitAfter {
			err := w.replace(ctx, tx, lastKind(tx))
			if err == nil {
				return
			}
			if !errors.Is(err, errAtCap) {
				w.m.log.Warn("txm: replacing a stuck transaction failed", "tx", tx.ID, "err", err)
			}
		}
	}
	if time.Since(last) >= w.cfg.Rebroadcast {
		w.broadcast(ctx, tx)
	}
}

// revertReason replays a reverted transaction at its block to learn why.
func (w *worker) revertReason(ctx context.Context, tx *coffer.Transaction, r *types.Receipt) string {
	_, err := w.cfg.Client.Call(ctx, ethereum.CallMsg{From: tx.From, To: tx.To, Value: tx.Value, Data: tx.Data, Gas: tx.Gas})
	if rev := chain.AsRevert(err); rev != nil {
		return "reverted: " + reasonOf(rev)
	}
	return "reverted"
}

func (w *worker) update(ctx context.Context, tx *coffer.Transaction, u coffer.TxUpdate, r *types.Receipt) {
	w.updateAll(ctx, []coffer.TxChange{{ID: tx.ID, Update: u}}, []*types.Receipt{r})
}

// maxUpdate bounds the changes recorded in one store transaction: on SQLite
// a write transaction holds the single writer lock, and the API's writes
// (new mints, transactions) wait behind it.
const maxUpdate = 32

// updateAll records cs (receipts aligned with them, nil where none) in one
// store transaction and tells the hooks.
func (w *worker) updateAll(ctx context.Context, cs []coffer.TxChange, receipts []*types.Receipt) {
	if len(cs) == 0 || ctx.Err() != nil {
		return // stopping: the receipts are read again at the next start
	}
	if len(cs) > maxUpdate {
		for len(cs) > 0 {
			n := min(len(cs), maxUpdate)
			w.updateAll(ctx, cs[:n], receipts[:n])
			cs, receipts = cs[n:], receipts[n:]
		}
		return
	}
	fresh, err := w.m.store.UpdateTransactions(ctx, cs)
	if err != nil {
		// The receipts are read again at the next pass, by hash: their
		// blocks are behind it.
		w.trackAgain.Store(true)
		w.trackFull.Store(true)
		if len(cs) == 1 {
			w.m.log.Error("txm: record transaction status", "tx", cs[0].ID, "err", err)
			return
		}
		// One change the store refuses must not hold up the others.
		w.m.log.Warn("txm: recording a batch of transaction statuses failed; one at a time", "count", len(cs), "err", err)
		for i := range cs {
			w.updateAll(ctx, cs[i:i+1], receipts[i:i+1])
		}
		return
	}
	changes := make([]Change, len(fresh))
	wake := false
	for i, t := range fresh {
		changes[i] = Change{Tx: t, Receipt: receipts[i]}
		w.m.log.Debug("txm: transaction status", "tx", t.ID, "status", t.Status, "hash", t.Hash)
		if t.Kind == coffer.KindTopUp && t.Status != coffer.TxPending && t.Status != coffer.TxMined {
			wake = true
		}
	}
	w.m.emit(ctx, changes)
	if wake {
		w.wakeUp() // transactions waiting for this top-up go now (or fail)
	}
}

// fail marks a transaction that never got a nonce as failed.
func (w *worker) fail(ctx context.Context, tx *coffer.Transaction, reason string) {
	w.m.log.Info("txm: transaction failed before sending", "tx", tx.ID, "reason", reason)
	w.update(ctx, tx, coffer.TxUpdate{Status: coffer.TxFailed, Error: &reason}, nil)
}

func reasonOf(rev *chain.RevertError) string {
	if rev.Reason == "" {
		return "no reason given"
	}
	return rev.Reason
}

func deref(n *uint64) uint64 {
	if n == nil {
		return 0
	}
	return *n
}

// ErrUnknownChain is returned for a chain the manager does not drive.
var ErrUnknownChain = errors.New("txm: unknown chain")
