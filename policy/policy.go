// Package policy decides whether a signing request may go ahead. It combines
// the global policy (configuration) with a wallet's own policy (stored, set by
// admins), which overrides it rule by rule, and evaluates the rules that apply
// to the request's kind:
//
//	rule                 applies to                    refuses
//	chain_ids            transaction, typed_data       a chain not in the list
//	to                   transaction                   a destination not in the list, contract creation
//	max_value_per_tx     transaction                   a value above the limit
//	max_value_per_day    transaction                   a value that takes the rolling 24h sum above the limit
//	raw_hash             hash                          non-admins (admins, default), everyone (off)
//	typed_data_domains   typed_data                    a domain that matches no entry
//	                                                   (except the platform wallet in the exact
//	                                                   domain of a collection coffer deployed:
//	                                                   its mint vouchers)
//
// A refusal is a coffer.EFORBIDDEN error whose message starts with
// "policy <rule>: " and names the wallet. The defaults (no configuration)
// restrict nothing but raw-hash signing by non-admins.
package policy

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/cofferhq/coffer"
)

// Kinds of signing request (as in coffer.AuditRecord.Kind).
const (
	KindTransaction = "transaction"
	KindMessage     = "message"
	KindTypedData   = "typed_data"
	KindHash        = "hash"
)

// Request is one signing request as policies see it.
type Request struct {
	Wallet *coffer.Wallet
	Kind   string
	Admin  bool // the caller is an operator (or the platform itself)
	// Transactions: ChainID, To (nil: contract creation), Value, Nonce.
	ChainID uint64
	To      *common.Address
	Value   *big.Int
	Nonce   uint64
	// Typed data: its domain.
	Domain *apitypes.TypedDataDomain
	// OwnersMayHash lets owners sign raw hashes where raw_hash is not set by
	// any policy (the legacy allowOwners switch of custody.SignHash).
	OwnersMayHash bool
}

// Engine evaluates policies. It is safe for concurrent use.
type Engine struct {
	global coffer.Policy
	store  coffer.Store
	ttl    time.Duration

	mu    sync.Mutex
	cache map[common.Address]cached
}

type cached struct {
	p   *coffer.Policy
	exp time.Time
}

// DefaultCacheTTL is how long a wallet's stored policy is reused before it is
// read again. A change made through this Engine applies at once; one made by
// another process applies within the TTL.
const DefaultCacheTTL = 2 * time.Second

// New returns an engine over the global policy and the store that keeps the
// wallets' policies and the spends of max_value_per_day.
func New(global coffer.Policy, st coffer.Store) *Engine {
	return &Engine{global: global, store: st, ttl: DefaultCacheTTL, cache: map[common.Address]cached{}}
}

// SetCacheTTL changes how long stored policies are cached (0: not at all).
func (e *Engine) SetCacheTTL(d time.Duration) { e.ttl = d }

// Global returns the global policy.
func (e *Engine) Global() coffer.Policy { return e.global }

// Validate checks a policy before it is stored or used.
func Validate(p *coffer.Policy) error {
	switch p.RawHash {
	case "", coffer.RawHashAdmins, coffer.RawHashOwners, coffer.RawHashOff:
	default:
		return coffer.Errorf(coffer.EINVALID, "raw_hash must be one of admins, owners, off")
	}
	for _, v := range []*big.Int{p.MaxValuePerTx, p.MaxValuePerDay} {
		if v != nil && (v.Sign() < 0 || v.BitLen() > 256) {
			return coffer.Errorf(coffer.EINVALID, "value limits must be non-negative decimal wei below 2^256")
		}
	}
	for i, r := range p.TypedDataDomains {
		if r.Name == "" && r.VerifyingContract == nil && r.ChainID == nil {
			return coffer.Errorf(coffer.EINVALID, "typed_data_domains[%d] must set name, verifying_contract or chain_id", i)
		}
	}
	return nil
}

// WalletPolicy returns the wallet's own policy.
func (e *Engine) WalletPolicy(ctx context.Context, addr common.Address) (*coffer.Policy, error) {
	if e.ttl > 0 {
		e.mu.Lock()
		c, ok := e.cache[addr]
		e.mu.Unlock()
		if ok && time.Now().Before(c.exp) {
			return c.p, nil
		}
	}
	p, err := e.store.WalletPolicy(ctx, addr)
	if err != nil {
		return nil, err
	}
	if e.ttl > 0 {
		e.mu.Lock()
		if len(e.cache) > 100_000 {
			clear(e.cache)
		}
		e.cache[addr] = cached{p: p, exp: time.Now().Add(e.ttl)}
		e.mu.Unlock()
	}
	return p, nil
}

// SetWalletPolicy validates and stores the wallet's own policy.
func (e *Engine) SetWalletPolicy(ctx context.Context, addr common.Address, p *coffer.Policy) error {
	if err := Validate(p); err != nil {
		return err
	}
	if err := e.store.SetWalletPolicy(ctx, addr, p); err != nil {
		return err
	}
	e.mu.Lock()
	delete(e.cache, addr)
	e.mu.Unlock()
	return nil
}

// Effective is the policy that applies to the wallet: its own over the global.
func (e *Engine) Effective(ctx context.Context, addr common.Address) (coffer.Policy, error) {
	own, err := e.WalletPolicy(ctx, addr)
	if err != nil {
		return coffer.Policy{}, err
	}
	return own.Over(e.global), nil
}

func refuse(rule string, w *coffer.Wallet, format string, args ...any) error {
	return coffer.Errorf(coffer.EFORBIDDEN, "policy %s: %s for wallet %s", rule, fmt.Sprintf(format, args...), w.Address.Hex())
}

// Check evaluates every rule that applies to r. For a transaction under a
// max_value_per_day limit it also records the spend (last, once every other
// rule passed), so a nil error means the value is reserved.
func (e *Engine) Check(ctx context.Context, r *Request) error {
	p, err := e.Effective(ctx, r.Wallet.Address)
	if err != nil {
		return err
	}
	if err := e.collectionDomain(ctx, &p, r); err != nil {
		return err
	}
	if err := e.static(&p, r); err != nil {
		return err
	}
	if r.Kind != KindTransaction || p.MaxValuePerDay == nil {
		return nil
	}
	value := r.Value
	if value == nil {
		value = new(big.Int)
	}
	ok, prior, err := e.store.ReserveSpend(ctx, &coffer.Spend{Wallet: r.Wallet.Address, ChainID: r.ChainID, Nonce: r.Nonce, Value: value},
		p.MaxValuePerDay, coffer.SpendWindow)
	if err != nil {
		return err
	}
	if !ok {
		return refuse("max_value_per_day", r.Wallet, "%s spent in the last 24h + %s > %s on chain %d", prior, value, p.MaxValuePerDay, r.ChainID)
	}
	return nil
}

// Precheck evaluates the rules that need no spend record (everything but
// max_value_per_day), e.g. before a transaction is queued.
func (e *Engine) Precheck(ctx context.Context, r *Request) error {
	p, err := e.Effective(ctx, r.Wallet.Address)
	if err != nil {
		return err
	}
	if err := e.collectionDomain(ctx, &p, r); err != nil {
		return err
	}
	return e.static(&p, r)
}

// platformLabel is custody.LabelPlatform (custody imports this package).
const platformLabel = "platform"

// collectionDomain lets the platform wallet sign typed data in the EIP-712
// domain of a collection coffer deployed — its mint vouchers — whatever
// typed_data_domains says: the domain must be exactly the collection's (name,
// version "1", chain id and verifying contract, as stored). Other rules
// (chain_ids, a disabled wallet) still apply.
func (e *Engine) collectionDomain(ctx context.Context, p *coffer.Policy, r *Request) error {
	d := r.Domain
	if r.Kind != KindTypedData || len(p.TypedDataDomains) == 0 || r.Wallet.Label != platformLabel || d == nil ||
		d.ChainId == nil || !(*big.Int)(d.ChainId).IsUint64() || d.Version != "1" || !common.IsHexAddress(d.VerifyingContract) {
		return nil
	}
	chainID, contract := (*big.Int)(d.ChainId).Uint64(), common.HexToAddress(d.VerifyingContract)
	c, err := e.store.CollectionByAddress(ctx, chainID, contract)
	if coffer.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if c.Name != d.Name || c.Minter != r.Wallet.Address {
		return nil
	}
	p.TypedDataDomains = append(slices.Clip(p.TypedDataDomains), coffer.DomainRule{Name: c.Name, VerifyingContract: &contract, ChainID: &chainID})
	return nil
}

// static evaluates the rules that need no store.
func (e *Engine) static(p *coffer.Policy, r *Request) error {
	switch r.Kind {
	case KindTransaction:
		if len(p.ChainIDs) > 0 && !slices.Contains(p.ChainIDs, r.ChainID) {
			return refuse("chain_ids", r.Wallet, "chain %d is not allowed (allowed: %s)", r.ChainID, ids(p.ChainIDs))
		}
		if len(p.To) > 0 {
			switch {
			case r.To == nil:
				return refuse("to", r.Wallet, "contract creation is not allowed (a destination allowlist is set)")
			case *r.To != r.Wallet.Address && !slices.Contains(p.To, *r.To):
				return refuse("to", r.Wallet, "destination %s is not allowed", r.To.Hex())
			}
		}
		if p.MaxValuePerTx != nil && r.Value != nil && r.Value.Cmp(p.MaxValuePerTx) > 0 {
			return refuse("max_value_per_tx", r.Wallet, "%s > %s", r.Value, p.MaxValuePerTx)
		}
	case KindTypedData:
		var chain *big.Int
		if r.Domain != nil && r.Domain.ChainId != nil {
			chain = (*big.Int)(r.Domain.ChainId)
		}
		if len(p.ChainIDs) > 0 && chain != nil && !(chain.IsUint64() && slices.Contains(p.ChainIDs, chain.Uint64())) {
			return refuse("chain_ids", r.Wallet, "typed data for chain %s is not allowed (allowed: %s)", chain, ids(p.ChainIDs))
		}
		if len(p.TypedDataDomains) > 0 && !slices.ContainsFunc(p.TypedDataDomains, func(d coffer.DomainRule) bool { return matches(d, r.Domain) }) {
			return refuse("typed_data_domains", r.Wallet, "domain %s is not allowed", describe(r.Domain))
		}
	case KindHash:
		mode := p.RawHash
		if mode == "" {
			mode = coffer.RawHashAdmins
			if r.OwnersMayHash {
				mode = coffer.RawHashOwners
			}
		}
		switch {
		case mode == coffer.RawHashOff:
			return refuse("raw_hash", r.Wallet, "raw hash signing is off")
		case mode == coffer.RawHashAdmins && !r.Admin:
			return refuse("raw_hash", r.Wallet, "raw hash signing is reserved to admins")
		}
	}
	return nil
}

func matches(rule coffer.DomainRule, d *apitypes.TypedDataDomain) bool {
	if d == nil {
		return false
	}
	if rule.Name != "" && rule.Name != d.Name {
		return false
	}
	if rule.VerifyingContract != nil {
		if !common.IsHexAddress(d.VerifyingContract) || common.HexToAddress(d.VerifyingContract) != *rule.VerifyingContract {
			return false
		}
	}
	if rule.ChainID != nil {
		c := (*big.Int)(d.ChainId)
		if c == nil || !c.IsUint64() || c.Uint64() != *rule.ChainID {
			return false
		}
	}
	return true
}

func describe(d *apitypes.TypedDataDomain) string {
	if d == nil {
		return "{}"
	}
	var parts []string
	if d.Name != "" {
		name := d.Name
		if len(name) > 64 {
			name = name[:64] + "…"
		}
		parts = append(parts, "name="+strconv.Quote(name))
	}
	if d.ChainId != nil {
		parts = append(parts, "chainId="+(*big.Int)(d.ChainId).String())
	}
	if d.VerifyingContract != "" {
		parts = append(parts, "verifyingContract="+d.VerifyingContract)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func ids(v []uint64) string {
	if len(v) == 0 {
		return "none"
	}
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = strconv.FormatUint(id, 10)
	}
	return strings.Join(s, ", ")
}
